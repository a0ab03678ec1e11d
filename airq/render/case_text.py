"""Render a case (``airq case show``) and the case list (``airq case list``).

Text, Markdown or JSON.

Renderers lay out what the register holds; they compute nothing but the order of the
timeline. Every output built with a synthetic attachment says SYNTHETIC DEMO DATA, and
records the register, the chain's head and the airq version.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime

from airq.case.events import OUTCOME_LABEL, OUTCOME_TEXT, Case, Event
from airq.case.workdays import HOLIDAYS_NOTE, CaseStatus
from airq.render.escape import BIDI_CONTROLS
from airq.results import SYNTHETIC_BANNER

#: Formats of ``airq case show`` and ``airq case list``.
FORMATS = ("text", "markdown", "json")
#: Version of the case JSON documents.
CASE_SCHEMA_VERSION = "1.0"

# C0/C1 controls but tab and newline (terminal escapes), and the bidirectional controls
# ("\u202e" made a note read backwards on the terminal and in the summary documents)
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_WIDTH = 96


def clean(text: str | None) -> str:
    """Text safe to print: control and bidirectional-override characters become ``?``."""
    return _CONTROL.sub("?", "" if text is None else str(text))


def _md(text: str | None) -> str:
    """Text for a Markdown table cell: no line breaks, pipes and markup escaped."""
    t = clean(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return re.sub(r"([`*_\[\]<>#])", r"\\\1", t)


def _version() -> str:
    from airq import __version__

    return __version__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def event_summary(e: Event) -> str:
    """One line saying what an event records (its kind's details, then the text)."""
    d = e.data
    if e.kind == "opened":
        where = ", ".join(x for x in (d.get("address"), d.get("postcode")) if x)
        return (f"Enquiry received from {d.get('reporter', '?')}"
                + (f" about {where}" if where else "") + f": {e.text}")
    if e.kind == "attachment":
        note = f": {e.text}" if e.text else ""
        return f"Attached {d.get('name', '?')} ({d.get('kind', '?')}, {d.get('track', '?')} " \
               f"track){note}"
    if e.kind == "closed":
        outcome = d.get("outcome", "?")
        return f"Closed, outcome {outcome} ({OUTCOME_LABEL.get(outcome, '?')}): {e.text}"
    return e.text


def _state_line(case: Case) -> str:
    c = case.closing
    if c is None:
        return "open"
    return f"closed on {c.when}, outcome {case.outcome} ({OUTCOME_LABEL.get(case.outcome, '?')})"


def record_warnings(case: Case) -> list[str]:
    """Return the warnings every output of ``case`` carries: a record that fails its chain."""
    if not case.problems:
        return []
    return [f"the record of case {case.reference} fails verification: it was changed "
            f"behind airq's back (run `airq case verify {case.reference}`)",
            *case.problems]


def _by(e: Event) -> str:
    # An officer named by the OS user name is airq's guess: say so wherever it is shown.
    return e.officer + (" (OS user)" if e.data.get("by_source") == "the OS user" else "")


def _provenance(case: Case) -> dict:
    head = case.head
    inputs = [{"role": "case-register", "source": case.database, "sha256": head.hash,
               "sha256_of": f"the case's event chain up to event {head.seq}"}]
    inputs += [{"role": "attachment", "source": a.name, "sha256": a.sha256}
               for a in case.attachments]
    return {"airq_version": _version(), "run_at": _now(), "inputs": inputs}


def case_to_dict(case: Case) -> dict:
    """Return the case as the ``airq case show -f json`` document."""
    c = case.closing
    return {
        "schema_version": CASE_SCHEMA_VERSION,
        "synthetic_demo_data": case.synthetic,
        "notice": SYNTHETIC_BANNER if case.synthetic else None,
        "reference": case.reference,
        "state": "closed" if c else "open",
        "reporter": case.reporter,
        "received": case.received.isoformat(),
        "postcode": case.postcode,
        "address": case.address,
        "concern": case.concern,
        "outcome": None if c is None else {
            "outcome": case.outcome, "at": c.at, "by": c.officer, "text": c.text,
            "plain_language": OUTCOME_TEXT.get(case.outcome)},
        "timeline": [e.to_dict() for e in case.timeline()],
        "attachments": [a.to_dict() for a in case.attachments],
        "head": {"seq": case.head.seq, "hash": case.head.hash},
        "times": "UK local time; recorded_at in UTC",
        "warnings": record_warnings(case),
        "provenance": _provenance(case),
    }


def _wrap(text: str, indent: str) -> list[str]:
    out = []
    for para in clean(text).splitlines() or [""]:
        out += textwrap.wrap(para, _WIDTH, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=True, break_on_hyphens=False) or [indent]
    return out


def render_case_text(case: Case) -> str:
    """Render a case as plain text: details, timeline, attachments, outcome, record."""
    out = []
    if case.synthetic:
        out += [f"*** {SYNTHETIC_BANNER} (in an attachment) ***", ""]
    warn = record_warnings(case)
    if warn:
        out += [f"*** WARNING: {warn[0]} ***", *(f"  {w}" for w in warn[1:]), ""]
    where = ", ".join(clean(x) for x in (case.address, case.postcode) if x)
    out += [f"Case {case.reference}: {_state_line(case)}",
            f"Reporter: {clean(case.reporter)}",
            f"Received: {case.received}"]
    if where:
        out.append(f"About: {where}")
    out += ["Concern as received:", *_wrap(case.concern, "  "), "",
            "Timeline (when it happened, UK time; event number = order recorded):"]
    for e in case.timeline():
        out.append(f"  {e.when:<16}  {e.kind} (event {e.seq}, by {clean(_by(e))})")
        out += _wrap(event_summary(e), "      ")
    out.append("")
    if case.attachments:
        out.append("Attachments (kept in the register; SHA-256 of the bytes):")
        for a in case.attachments:
            out.append(f"  event {a.seq}  {clean(a.name)}  {a.track} track, {a.kind}")
            out.append(f"      sha256 {a.sha256}")
            out += _wrap(a.description + (" [SYNTHETIC DEMO DATA]" if a.synthetic else ""),
                         "      ")
    else:
        out.append("Attachments: none")
    out.append("")
    c = case.closing
    if c is None:
        out.append("Outcome: none yet (the case is open)")
    else:
        out.append(f"Outcome: {case.outcome} ({c.when}, by {clean(_by(c))})")
        out += _wrap("For the reporter: " + OUTCOME_TEXT.get(case.outcome, ""), "  ")
        out += _wrap(f"Officer's note: {c.text}", "  ")
    out += ["", f"Record: {len(case.events)} events in {case.database}; last event "
                f"{case.head.seq}, hash {case.head.hash}",
            f"(check it with: airq case verify {case.reference} --head {case.head.hash})",
            f"airq {_version()}"]
    return "\n".join(out) + "\n"


def render_case_markdown(case: Case) -> str:
    """Render a case as Markdown (tables for the timeline and attachments)."""
    out = []
    if case.synthetic:
        out += [f"**{SYNTHETIC_BANNER}** (in an attachment)", ""]
    warn = record_warnings(case)
    if warn:
        out += [f"**WARNING: {_md(warn[0])}**", "", *(f"- {_md(w)}" for w in warn[1:]), ""]
    where = ", ".join(_md(x) for x in (case.address, case.postcode) if x)
    out += [f"# Case {_md(case.reference)}", "",
            f"- **State:** {_md(_state_line(case))}",
            f"- **Reporter:** {_md(case.reporter)}",
            f"- **Received:** {case.received}"]
    if where:
        out.append(f"- **About:** {where}")
    out += [f"- **Concern as received:** {_md(case.concern)}", "",
            "## Timeline", "", "When it happened (UK time); # is the order recorded.", "",
            "| when | # | kind | by | what |", "|---|---:|---|---|---|"]
    out += [f"| {e.when} | {e.seq} | {e.kind} | {_md(_by(e))} | {_md(event_summary(e))} |"
            for e in case.timeline()]
    out += ["", "## Attachments", ""]
    if case.attachments:
        out += ["| # | file | track | kind | bytes | SHA-256 | what |",
                "|---:|---|---|---|---:|---|---|"]
        out += [f"| {a.seq} | {_md(a.name)} | {a.track} | {a.kind} | {a.size} | "
                f"`{a.sha256}` | {_md(a.description)}"
                f"{' **SYNTHETIC DEMO DATA**' if a.synthetic else ''} |"
                for a in case.attachments]
    else:
        out.append("None.")
    out += ["", "## Outcome", ""]
    c = case.closing
    if c is None:
        out.append("None yet: the case is open.")
    else:
        out += [f"**{case.outcome}** ({c.when}, by {_md(_by(c))}): "
                f"{_md(OUTCOME_TEXT.get(case.outcome, ''))}", "",
                f"Officer's note: {_md(c.text)}"]
    out += ["", "## Record", "",
            f"- {len(case.events)} events in {_md(case.database)}",
            f"- last event {case.head.seq}, hash `{case.head.hash}`",
            f"- airq {_version()}"]
    return "\n".join(out) + "\n"


def render_case(case: Case, fmt: str = "text") -> str:
    """Render a case in one of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(case_to_dict(case), indent=1, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_case_markdown(case)
    if fmt == "text":
        return render_case_text(case)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _status_cells(s: CaseStatus) -> list[str]:
    state = s.state if s.outcome is None else f"closed: {s.outcome}"
    flag = "OVERDUE" if s.overdue else ""
    return [s.reference, s.received.isoformat(), clean(s.reporter), state,
            s.last_update.isoformat() if s.last_update else "none",
            str(s.working_days) if s.state == "open" else "",
            s.due.isoformat() if s.state == "open" else "", flag]


_LIST_HEAD = ["reference", "received", "reporter", "state", "last update", "working days",
              "update due", ""]


def render_list(statuses: Sequence[CaseStatus], fmt: str = "text", *, as_of, limit: int,
                database: str, filters: str = "", digest: str = "",
                warnings: Sequence[str] = ()) -> str:
    """Render ``airq case list``.

    Parameters
    ----------
    statuses
        One per case, from :func:`airq.case.workdays.case_status`.
    fmt
        ``text``, ``markdown`` or ``json``.
    as_of
        The day the list describes.
    limit
        Working days allowed between updates to the reporter.
    database
        The register (password hidden).
    filters
        The filters applied, in words (``open``, ``overdue``), for the title.
    digest
        :func:`airq.case.chain.heads_digest` of every case read (the JSON's provenance).
    warnings
        Cases not listed or whose record fails verification, in words.
    """
    rule = (f"an open case is overdue when the reporter has had no update (a contact) for "
            f"more than {limit} working days; {HOLIDAYS_NOTE}")
    if fmt == "json":
        doc = {"schema_version": CASE_SCHEMA_VERSION, "as_of": as_of.isoformat(),
               "filters": filters or None, "rule": rule,
               "cases": [s.to_dict() for s in statuses], "warnings": list(warnings),
               "provenance": {"airq_version": _version(), "run_at": _now(),
                              "inputs": [{"role": "case-register", "source": database,
                                          "sha256": digest,
                                          "sha256_of": "every case's reference and last "
                                                       "event hash"}]}}
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    title = f"Cases{' (' + filters + ')' if filters else ''} as of {as_of}: {len(statuses)}"
    rows = [_status_cells(s) for s in statuses]
    if fmt == "markdown":
        out = [f"**{title}**", "", "| " + " | ".join(_LIST_HEAD[:-1] + ["overdue"]) + " |",
               "|" + "---|" * len(_LIST_HEAD)]
        out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
        out += ["", *(f"**WARNING:** {_md(w)}" for w in warnings)] if warnings else []
        return "\n".join(out + ["", f"Rule: {rule}.", f"Register: {_md(database)}"]) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = [title]
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_LIST_HEAD)]
        out.append("  ".join(h.ljust(w) for h, w in zip(_LIST_HEAD, widths, strict=True))
                   .rstrip())
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                for r in rows]
    out += [f"WARNING: {w}" for w in warnings]
    out += [f"Rule: {rule}.", f"Register: {database}"]
    return "\n".join(out) + "\n"


def render_verification(v) -> str:
    """Render ``airq case verify``: one line per check, then the verdict."""
    out = [f"Case {v.reference}: {v.events} events, {v.attachments} attachments"]
    out += [f"  same: {c}" for c in v.checked]
    out += [f"  DIFFERS: {p}" for p in v.problems]
    out += [f"  note: {n}" for n in v.notes]
    out.append("OK: the record is as airq wrote it" if v.ok else
               f"FAILED: {len(v.problems)} difference{'s' * (len(v.problems) != 1)}")
    return "\n".join(out) + "\n"
