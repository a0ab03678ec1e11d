"""The hook between ``airq case verify`` and ``airq verify``: re-check an attachment's figures.

``airq verify`` (:func:`airq.verify.verify_output`) re-reads every input an airq output
names, checks their checksums and recomputes its figures. Where this airq has it, each
attached airq output is written to a temporary folder under its own name and verified;
where it has not, the attachment's checksum is all that is checked, and the case
verification says so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

#: Attachment kinds whose figures ``airq verify`` can recompute.
FIGURE_KINDS = ("query", "report", "map", "batch")


def check_figures(name: str, content: bytes) -> list[tuple[str, str]]:
    """Verify one attached output's figures.

    Parameters
    ----------
    name
        The attachment's file name (its suffix tells ``airq verify`` the format).
    content
        Its bytes, as stored in the register.

    Returns
    -------
    list of (str, str)
        ``(status, text)`` pairs: status ``same``, ``changed``, ``missing`` or
        ``note`` (nothing was recomputed, and why).
    """
    try:
        from airq.verify import verify_output
    except ImportError:
        return [("note", "figures not recomputed: this airq has no `airq verify`; only the "
                         "checksum was checked")]
    from airq.errors import AirqError

    with tempfile.TemporaryDirectory(prefix="airq-case-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(content)
        try:
            result = verify_output(path)
        except AirqError as err:
            return [("note", f"figures not recomputed: {err}")]
    out = []
    for c in result.checks:
        text = f"{c.kind} {c.subject}" + ("" if c.status == "same" else f": {c.status}")
        detail = "; ".join(x for x in (getattr(c, "detail", ""), getattr(c, "note", "")) if x)
        out.append((c.status, text + (f" ({detail})" if detail else "")))
    return out or [("note", "airq verify found nothing to recompute")]
