"""The stage 1 summary report for the reporter (``airq case report``): PDF, HTML or Word.

The content is built once as a list of blocks (headings, paragraphs, tables) from a
:class:`~airq.case.report.CaseSummary`; the HTML/PDF and the Word (.docx, python-docx)
layouts render the same blocks, and the tables are those of ``airq report``
(:mod:`airq.render.report_tables`). Officers edit the Word version before it is sent.
Every text from officers and residents is escaped for HTML and cleaned of control
characters for Word.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from html import escape
from pathlib import Path

from airq.case.events import OUTCOME_LABEL, OUTCOME_TEXT
from airq.render.case_text import clean
from airq.results import SYNTHETIC_BANNER

#: Suffixes :func:`write_summary` writes.
SUFFIXES = (".pdf", ".docx", ".html", ".htm")
#: Event kinds listed in the record of contacts and decisions.
RECORD_KINDS = ("contact", "referral", "decision", "closed")
_KIND_WORDS = {"contact": "Contact with you", "referral": "Passed to another team",
               "decision": "Decision", "closed": "Outcome recorded", "opened": "Received"}
_TRACKS = (
    ("exposure", "Exposure: air quality and land use",
     "what you might have been exposed to where you live"),
    ("health", "Health: cancer rates",
     "how many cancers were diagnosed in the area compared with elsewhere"),
    ("communication", "Communication", "letters and other documents"),
)


@dataclass(frozen=True)
class Block:
    """One piece of the summary, for every layout.

    ``kind`` is h1, h2, h3, h4, p, quote, banner, bullets, meta, table, records, small or
    image; ``value`` its text, list of texts or (key, value) pairs, Table or PNG bytes.
    """

    kind: str
    value: object


def _title(summary) -> str:
    return f"Stage 1 summary: enquiry {summary.case.reference}"


def _when(e) -> str:
    return e.at.replace("T", " ")


def _exposure_blocks(f) -> list[Block]:
    from airq.render.report_tables import (
        air_quality_tables,
        land_use_intro,
        land_use_tables,
        short_term_lines,
    )

    a = f.assessment
    out = [Block("h4", f"{a.area.name} (from {f.attachment.name})"),
           Block("p", f"Modelled yearly averages of air pollution at the grid points within "
                      f"{a.area.n_boundaries} residential property boundaries "
                      f"({a.area.area_m2 / 10_000:.2f} ha), compared with the air quality "
                      "objectives. These are estimates from a city-wide computer model, not "
                      "measurements at the homes; they describe outdoor air over a whole "
                      "year.")]
    out += [Block("table", t) for t in air_quality_tables(a)]
    if a.short_term:
        out.append(Block("bullets", short_term_lines(a)))
    if a.land_use is not None:
        out.append(Block("p", "Land contamination: " + land_use_intro(a)))
        out.append(Block("bullets", [v.text for v in a.land_use.verdicts]))
        out += [Block("records" if t.notes else "table", t) for t in land_use_tables(a)]
    else:
        out.append(Block("p", "No land-use layers were screened in this result."))
    if a.warnings:
        out.append(Block("p", "Warnings recorded with this result:"))
        out.append(Block("bullets", list(a.warnings)))
    return out


def _health_blocks(f) -> list[Block]:
    from airq.render.report_tables import rate_table

    doc = f.rates
    made = doc.provenance.get("airq_version")
    out = [Block("h4", f"Rate table (from {f.attachment.name})"),
           Block("table", rate_table(doc.results))]
    words = [f"{r.area}: {r.comparison}." for r in doc.results
             if r.comparison and r.significance is not None]
    if words:
        out.append(Block("bullets", words))
    if made:
        out.append(Block("small", f"Made by airq {made} on {doc.provenance.get('run_at', '')}."))
    return out


def _track_blocks(summary, track: str) -> list[Block]:
    out: list[Block] = []
    for f in summary.on_track(track):
        a = f.attachment
        if f.assessment is not None:
            out += _exposure_blocks(f)
        elif f.rates is not None:
            out += _health_blocks(f)
        elif f.image is not None:
            out.append(Block("h4", f"{a.description} (from {a.name})"))
            out.append(Block("image", f.image))
        else:
            note = f" ({a.note})" if a.note else ""
            out.append(Block("p", f"{a.name}: {a.description}{note}, attached {a.at[:10]}."))
        if f.problem:
            out.append(Block("p", f"{a.name}: {f.problem}."))
    return out or [Block("p", "Nothing was attached on this track.")]


def summary_blocks(summary) -> list[Block]:
    """Build the summary's content once, for every layout.

    Parameters
    ----------
    summary
        From :func:`airq.case.report.build_summary`.

    Returns
    -------
    list of Block
    """
    c = summary.case
    closing = c.closing
    where = ", ".join(x for x in (c.address, c.postcode) if x)
    blocks = [Block("h1", _title(summary))]
    if summary.synthetic:
        blocks.append(Block("banner", f"{SYNTHETIC_BANNER}. Figures in this summary come from "
                                      "airq's generated demo data; do not use it for any "
                                      "decision."))
    blocks.append(Block("meta", [
        ("Reference", c.reference), ("Reported by", c.reporter),
        ("Received", c.received.isoformat()), *([("About", where)] if where else []),
        ("Outcome", OUTCOME_LABEL.get(c.outcome, c.outcome) if closing else
         "none recorded yet (interim summary)"),
        ("Prepared", f"{summary.generated_at[:10]} with airq {summary.airq_version}")]))
    blocks += [Block("h2", "1. Your concern as we received it"), Block("quote", c.concern)]
    blocks.append(Block("h2", "2. The outcome"))
    if closing is None:
        blocks.append(Block("p", "No outcome has been recorded yet: this is an interim "
                                 "summary of the work so far."))
    else:
        blocks += [Block("p", OUTCOME_TEXT.get(c.outcome, "")),
                   Block("p", f"Recorded on {_when(closing)} by {closing.officer}: "
                              f"{closing.text}")]
    blocks += [Block("h2", "3. What we looked at"),
               Block("p", "Public Health England's guidance on investigating possible "
                          "clusters of disease runs three tracks side by side: "
                          + "; ".join(f"{name.split(':')[0].lower()}, {what}"
                                      for _, name, what in _TRACKS) + ".")]
    for track, name, _ in _TRACKS:
        blocks.append(Block("h3", name))
        blocks += _track_blocks(summary, track)
    record = [e for e in c.timeline() if e.kind in RECORD_KINDS]
    blocks.append(Block("h2", "4. Record of contacts and decisions"))
    if record:
        from airq.render.report_tables import Table

        blocks.append(Block("table", Table(None, ("When", "What", "By", "Details"), tuple(
            (_when(e), _KIND_WORDS[e.kind], e.officer, e.text) for e in record))))
    else:
        blocks.append(Block("p", "No contact, referral or decision has been recorded."))
    head = c.head
    from airq.render.report_tables import Table

    blocks += [
        Block("h2", "5. About this summary"),
        Block("p", f"Made by airq {summary.airq_version} on {summary.generated_at} from case "
                   f"{c.reference} in the case register {c.database}. The record holds "
                   f"{len(c.events)} events; the last is event {head.seq}, with hash "
                   f"{head.hash}. Whoever holds the register can check that the record is "
                   f"unchanged: airq case verify {c.reference} --head {head.hash}"),
    ]
    if c.attachments:
        blocks.append(Block("table", Table("Attachments", ("Event", "File", "Track", "SHA-256"),
                                           tuple((str(a.seq), a.name, a.track, a.sha256)
                                                 for a in c.attachments))))
    if summary.warnings:
        blocks += [Block("p", "Attachments whose figures are not shown:"),
                   Block("bullets", list(summary.warnings))]
    return blocks


# --------------------------------------------------------------------------- HTML and PDF

_EXTRA_CSS = """
h4 { font-size: 10pt; margin: 3mm 0 1mm 0; break-after: avoid; }
figure img.attached { height: auto; max-height: 150mm; }
table.sha td:last-child { font-family: "DejaVu Sans Mono", monospace; font-size: 7pt;
                          overflow-wrap: anywhere; }
"""


def _e(x) -> str:
    return escape(clean(x))


def render_summary_html(summary) -> str:
    """Render the summary as one HTML document with A4 print styles.

    Parameters
    ----------
    summary
        From :func:`airq.case.report.build_summary`.

    Returns
    -------
    str
    """
    from airq.render.case_text import case_to_dict
    from airq.render.document import CSS, _html_table, _records_table
    from airq.render.embed import html_script

    css = CSS.replace("VERSION", _e(summary.airq_version)).replace(
        "RUNDATE", _e(summary.generated_at[:10])) + _EXTRA_CSS
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           f"<title>{_e(_title(summary))}</title>",
           f"<meta name='generator' content='airq {_e(summary.airq_version)}'>",
           f"<style>{css}</style>", html_script(case_to_dict(summary.case), kind="case"),
           "</head><body>"]
    for b in summary_blocks(summary):
        v = b.value
        if b.kind in ("h1", "h2", "h3", "h4"):
            out.append(f"<{b.kind}>{_e(v)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_e(v)}</p>")
        elif b.kind == "small":
            out.append(f'<p class="small">{_e(v)}</p>')
        elif b.kind == "quote":
            out.append(f'<p class="query">{_e(v)}</p>')
        elif b.kind == "banner":
            out.append(f'<div class="banner">{_e(v)}</div>')
        elif b.kind == "bullets":
            out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in v) + "</ul>")
        elif b.kind == "meta":
            out.append("<dl class='meta'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(x)}</dd>"
                                                     for k, x in v) + "</dl>")
        elif b.kind == "table":
            page = _html_table(_cleaned(v))
            out.append(page.replace("<table>", "<table class='sha'>", 1)
                       if v.headers[-1:] == ("SHA-256",) else page)
        elif b.kind == "records":
            out.append(_records_table(_cleaned(v)))
        elif b.kind == "image":
            uri = f"data:image/png;base64,{base64.b64encode(v).decode('ascii')}"
            out.append(f'<figure><img class="attached" src="{uri}" alt="attached figure">'
                       "</figure>")
    out.append("</body></html>")
    return "\n".join(out)


def _cleaned(t):
    """Return the table with control characters taken out (escaping comes later)."""
    from dataclasses import replace

    return replace(t, title=None if t.title is None else clean(t.title),
                   rows=tuple(tuple(clean(c) for c in r) for r in t.rows),
                   notes=tuple(None if n is None else clean(n) for n in t.notes),
                   caption=None if t.caption is None else clean(t.caption))


def render_summary_pdf(summary) -> bytes:
    """Render the summary as an A4 PDF (WeasyPrint), the case record attached as JSON."""
    from weasyprint import HTML, Attachment

    from airq.render.case_text import case_to_dict
    from airq.render.embed import result_json

    record = Attachment(string=result_json(case_to_dict(summary.case), kind="case"),
                        name="airq-case.json",
                        description="the case record this summary was made from (JSON)")
    return HTML(string=render_summary_html(summary)).write_pdf(attachments=[record])


# --------------------------------------------------------------------------- Word


def render_summary_docx(summary) -> bytes:
    """Render the summary as a Word document (.docx) an officer can edit before sending.

    Parameters
    ----------
    summary
        From :func:`airq.case.report.build_summary`.

    Returns
    -------
    bytes
        The .docx file.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    props = doc.core_properties
    props.title = _title(summary)
    props.subject = "Stage 1 summary report (PHE guidance on non-infectious disease clusters)"
    props.author = f"airq {summary.airq_version}"
    props.comments = (f"Made by airq {summary.airq_version} on {summary.generated_at} from "
                      f"case {summary.case.reference}; record head event "
                      f"{summary.case.head.seq}, hash {summary.case.head.hash}"
                      + ("; SYNTHETIC DEMO DATA" if summary.synthetic else ""))
    footer = section.footer.paragraphs[0]
    footer.text = clean(f"{_title(summary)} · airq {summary.airq_version} · "
                        f"{summary.generated_at[:10]}"
                        + (" · SYNTHETIC DEMO DATA" if summary.synthetic else ""))
    footer.runs[0].font.size = Pt(8)

    def table(t):
        small = Pt(8)
        if t.title:
            doc.add_paragraph(clean(t.title), style="Heading 4")
        grid = doc.add_table(rows=1, cols=len(t.headers))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, t.headers, strict=True):
            run = cell.paragraphs[0].add_run(clean(text))
            run.bold, run.font.size = True, small
        for i, row in enumerate(t.rows):
            cells = grid.add_row().cells
            for j, (cell, text) in enumerate(zip(cells, row, strict=True)):
                run = cell.paragraphs[0].add_run(clean(text))
                run.font.size = small
                if j in t.num:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if j == len(row) - 1 and i < len(t.flagged) and t.flagged[i]:
                    run.bold = True
            if i < len(t.notes) and t.notes[i]:
                note = grid.add_row().cells
                merged = note[1].merge(note[-1]) if len(note) > 2 else note[-1]
                merged.paragraphs[0].add_run(clean(t.notes[i])).font.size = Pt(7)
        if t.caption:
            doc.add_paragraph(clean(t.caption)).runs[0].font.size = Pt(8)

    for b in summary_blocks(summary):
        v = b.value
        if b.kind == "h1":
            doc.add_heading(clean(v), level=0)
        elif b.kind in ("h2", "h3", "h4"):
            doc.add_heading(clean(v), level=int(b.kind[1]) - 1)
        elif b.kind == "p":
            doc.add_paragraph(clean(v))
        elif b.kind == "small":
            doc.add_paragraph(clean(v)).runs[0].font.size = Pt(8)
        elif b.kind == "quote":
            doc.add_paragraph(clean(v), style="Quote")
        elif b.kind == "banner":
            run = doc.add_paragraph().add_run(clean(v))
            run.bold, run.font.color.rgb = True, RGBColor(0xB0, 0, 0)
        elif b.kind == "bullets":
            for x in v:
                doc.add_paragraph(clean(x), style="List Bullet")
        elif b.kind == "meta":
            for k, x in v:
                p = doc.add_paragraph()
                p.add_run(clean(f"{k}: ")).bold = True
                p.add_run(clean(x))
        elif b.kind in ("table", "records"):
            table(v)
        elif b.kind == "image":
            doc.add_picture(io.BytesIO(v), width=Mm(160))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_summary(summary, path, *, overwrite: bool = False) -> Path:
    """Write the summary to ``path``: PDF, Word or HTML from its suffix, atomically.

    Raises
    ------
    InputError
        If the suffix is not .pdf, .docx, .html or .htm.
    """
    from airq.errors import InputError
    from airq.outputs import write_bytes, write_text

    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        return write_bytes(path, render_summary_pdf(summary), overwrite)
    if suffix == ".docx":
        return write_bytes(path, render_summary_docx(summary), overwrite)
    if suffix in (".html", ".htm"):
        return write_text(path, render_summary_html(summary), overwrite)
    raise InputError(f"{path}: the summary is .pdf, .docx or .html, not "
                     f"{suffix or 'no suffix'}")
