"""Gather what the stage 1 summary report shows: the case and its attached figures.

Like :mod:`airq.pipeline` this joins readers to results: it reads each attachment's
stored bytes back into result objects (an area's :class:`~airq.results.Assessment`
from a query result or a report's embedded document; a rate table), so that the
renderers of ``airq report`` lay them out again. Nothing is recomputed. An attachment
that cannot be read is named in the report, never silently left out.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from airq.case.events import Attachment, Case
from airq.errors import AirqError


@dataclass(frozen=True, eq=False)
class Figures:
    """One attachment and the figures read from it.

    Attributes
    ----------
    attachment
        The attachment as recorded.
    assessment
        An area's air quality and land use (exposure track), or None.
    rates
        A rate table (:class:`~airq.read.results_json.RatesDocument`, health track),
        or None.
    problem
        Why its figures could not be read, or None.
    image
        A figure's PNG bytes (exposure track), shown as it is; or None.
    """

    attachment: Attachment
    assessment: object | None = None
    rates: object | None = None
    problem: str | None = None
    image: bytes | None = None


@dataclass(frozen=True, eq=False)
class CaseSummary:
    """Everything the stage 1 summary report shows, ready to render.

    Attributes
    ----------
    case
        The case with all its events.
    figures
        One per attachment, in the order attached.
    generated_at
        When the summary was made (UTC, ISO 8601).
    airq_version
        The airq that made it.
    """

    case: Case
    figures: tuple[Figures, ...]
    generated_at: str
    airq_version: str
    warnings: tuple[str, ...] = field(default=())

    def on_track(self, track: str) -> tuple[Figures, ...]:
        """Return the attachments on one track."""
        return tuple(f for f in self.figures if f.attachment.track == track)

    @property
    def synthetic(self) -> bool:
        """Whether any attachment or figure comes from synthetic demo data."""
        return self.case.synthetic or any(
            getattr(f.assessment, "synthetic", False) for f in self.figures)


def _suffix(name: str, content: bytes) -> str:
    if content.startswith(b"%PDF"):
        return ".pdf"
    if content.lstrip()[:1] == b"<":
        return ".html"
    return Path(name).suffix.lower() or ".json"


def _read_figures(att: Attachment, content: bytes | None) -> Figures:
    from airq.read.results_json import (
        assessment_from_document,
        rates_from_document,
        read_json_bytes,
    )

    if content is None:
        return Figures(att, problem="its bytes are missing from the register; run "
                                    "`airq case verify`")
    if hashlib.sha256(content).hexdigest() != att.sha256:
        return Figures(att, problem="its stored bytes differ from the SHA-256 recorded when "
                                    "it was attached; run `airq case verify`")
    if att.kind == "figure" and content.startswith(b"\x89PNG"):
        return Figures(att, image=content)
    try:
        if att.kind == "rates" and not att.name.lower().endswith(".csv"):
            return Figures(att, rates=rates_from_document(
                read_json_bytes(content, att.name), att.name, att.sha256))
        if att.kind == "query":
            return Figures(att, assessment=assessment_from_document(
                read_json_bytes(content, att.name), att.name))
        if att.kind == "report":
            from airq.read.recorded import read_recorded

            with tempfile.TemporaryDirectory(prefix="airq-case-") as tmp:
                path = Path(tmp) / (Path(att.name).stem + _suffix(att.name, content))
                path.write_bytes(content)
                rec = read_recorded(path)
            if rec.document is None:
                return Figures(att, problem="it carries no result to show")
            return Figures(att, assessment=assessment_from_document(rec.document, att.name))
    except AirqError as err:
        return Figures(att, problem=f"its figures could not be read: {err}")
    return Figures(att)


def build_summary(store, case: Case) -> CaseSummary:
    """Read every attachment of ``case`` and gather what the summary report shows.

    The record is verified first (hash chain and attachment checksums): a summary
    is never made from a record that was changed behind airq's back.

    Parameters
    ----------
    store
        The register holding the attachments' bytes.
    case
        The case.

    Returns
    -------
    CaseSummary

    Raises
    ------
    CaseError
        If the record fails verification (the first differences are named).
    """
    from airq import __version__
    from airq.case.register import attachment_bytes, verify_case
    from airq.errors import CaseError

    check = verify_case(store, case.reference)
    if not check.ok:
        shown = "; ".join(check.problems[:3])
        more = f"; and {len(check.problems) - 3} more" if len(check.problems) > 3 else ""
        raise CaseError(f"the record of case {case.reference} fails verification ({shown}"
                        f"{more}); no summary is made from it. Run `airq case verify "
                        f"{case.reference}`")

    figures = tuple(_read_figures(a, attachment_bytes(store, a.sha256))
                    for a in case.attachments)
    warnings = tuple(f"{f.attachment.name} (event {f.attachment.seq}): {f.problem}"
                     for f in figures if f.problem)
    return CaseSummary(case, figures, datetime.now(UTC).isoformat(timespec="seconds"),
                       __version__, warnings)
