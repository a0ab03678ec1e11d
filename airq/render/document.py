"""The officer's report as an A4 HTML document and PDF (WeasyPrint), built from an Assessment.

It reads like the environmental health appendix of the case: the resident's
query, a plain-language summary, land contamination findings with the land-use
timeline, the air quality table per model year with the static map, methods,
data sources with checksums and licences, and caveats. Formatting only: every
figure comes from the Assessment, whose JSON document (figures and provenance) the
HTML carries in a script element and the PDF as an attachment, for ``airq verify``.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from airq.read.grids import POLLUTANTS
from airq.render.embed import html_script, pdf_attachment
from airq.render.text import _editions, _method, _short_term_lines, fmt_mean, sd_text
from airq.results import SYNTHETIC_BANNER, Assessment

#: Suffixes :func:`write_report` writes.
FORMATS = ("html", "pdf")

_LONG_NAMES = {"no2": "nitrogen dioxide (NO2)", "pm10": "PM10 particles",
               "pm25": "fine particles (PM2.5)", "nox": "nitrogen oxides (NOx)"}

_LICENCES = {
    "grid": "LAEI: Open Government Licence v2.0 (Greater London Authority, London Datastore)",
    "background": "Defra background maps: Open Government Licence v3.0 (Defra, UK-AIR)",
    "ea-historic-landfill": "Open Government Licence v3.0 (Environment Agency)",
    "brownfield-register": "Open Government Licence v3.0 (local planning authority)",
    "brownfield-register-lonlat": "Open Government Licence v3.0 (local planning authority)",
    "brownfield-land": "Open Government Licence v3.0 (planning.data.gov.uk)",
}

CSS = """
@page {
  size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-left { content: string(doctitle); font-size: 8pt; color: #555; }
  @top-right { content: string(banner); font-size: 8pt; color: #b00000; font-weight: bold; }
  @bottom-left { content: "airq VERSION · run RUNDATE"; font-size: 8pt; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt;
                  color: #555; }
}
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt;
       line-height: 1.4; color: #111; }
body { margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; string-set: doctitle content(); }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #999;
     padding-bottom: 1mm; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm 0; break-after: avoid; }
p { margin: 0 0 2mm 0; }
.subtitle { color: #333; margin-bottom: 4mm; }
.banner { background: #b00000; color: white; font-weight: bold; padding: 2mm 3mm;
          margin: 0 0 4mm 0; string-set: banner "SYNTHETIC DEMO DATA"; }
.query { border-left: 3px solid #ff7f00; padding: 1mm 3mm; background: #fff7ef;
         font-style: italic; }
.summary { border: 1px solid #bbb; padding: 2mm 4mm; background: #f6f6f6; }
.summary li { margin-bottom: 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; font-size: 8.5pt;
        break-inside: auto; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num, th.num { text-align: right; white-space: nowrap; }
.exceeded { color: #b00000; font-weight: bold; }
figure { margin: 3mm 0; text-align: center; break-inside: avoid; }
figure img { height: 135mm; max-width: 100%; }
figcaption { font-size: 8.5pt; color: #333; text-align: left; margin-top: 1mm; }
tbody.record { break-inside: avoid; }
td.notes { font-size: 7.5pt; color: #333; }
table.records, table.sources { table-layout: fixed; }
table.sources td { overflow-wrap: anywhere; }
table.sources th:nth-child(1) { width: 40mm; }
table.sources th:nth-child(2) { width: 38mm; }
table.sources th:nth-child(3) { width: 34mm; }
table.records td { overflow-wrap: anywhere; }
.small { font-size: 8pt; color: #333; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 7pt; word-break: break-all; }
dl.meta { display: grid; grid-template-columns: 32mm auto; margin: 0 0 3mm 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
ul { margin: 0 0 2mm 0; padding-left: 5mm; }
@media screen { body { max-width: 180mm; margin: 10mm auto; } }
"""


def _e(x) -> str:
    return escape("" if x is None else str(x))


def _table(headers, rows, num=()) -> str:
    head = "".join(f'<th class="{"num" if i in num else ""}">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i in num else ""}">{c}</td>'
                         for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _latest_year(a: Assessment):
    years = [y for y in a.years if y is not None]
    return max(years) if years else None


def _summary(a: Assessment) -> str:
    items = []
    year = _latest_year(a)
    for r in a.results:
        if r.year != year or r.stats.mean is None:
            continue
        c = r.first
        name = _LONG_NAMES.get(r.pollutant, r.name)
        if c is None:
            verdict = "there is no objective for it in the sets chosen"
        elif c.exceeds:
            verdict = (f"this is <b>above</b> the {c.objective.value:g} {_e(r.units)} "
                       "annual objective")
        else:
            verdict = (f"this is below the {c.objective.value:g} {_e(r.units)} "
                       "annual objective")
        if r.background:
            items.append(f"<li>The modelled yearly <b>background</b> level of {_e(name)} in the "
                         f"1 km square around the homes (Defra background maps, not a roadside "
                         f"value) was {fmt_mean(r.stats.mean)} {_e(r.units)} in {year}; "
                         f"{verdict}.</li>")
            continue
        items.append(f"<li>The modelled yearly average of {_e(name)} across the homes was "
                     f"{fmt_mean(r.stats.mean)} {_e(r.units)} in {year}; {verdict}.</li>")
    if a.land_use is not None:
        for v in a.land_use.verdicts:
            items.append(f"<li>{_e(v.text)}</li>")
    exceeded = any(r.first is not None and r.first.exceeds for r in a.results if r.year == year)
    close = ("At least one modelled value is above its objective: the officer should look "
             "at it further." if exceeded else
             "None of the modelled yearly averages is above its objective.")
    return (f'<div class="summary"><ul>{"".join(items)}</ul><p>{close} These are estimates '
            "from a city-wide computer model, not measurements taken at the homes; they "
            "describe outdoor air over a whole year.</p></div>")


def _air_quality(a: Assessment) -> str:
    out = []
    for year in a.years:
        rows = []
        for r in a.results:
            if r.year != year:
                continue
            c = r.first
            obj = f"{c.objective.value:g} ({_e(c.objective.set)})" if c else "none"
            verdict = _e(c.verdict) if c else "n/a"
            if c is not None and c.exceeds:
                verdict = f'<span class="exceeded">{verdict}</span>'
            rows.append([_e(r.name), fmt_mean(r.stats.mean), _e(sd_text(r)),
                         str(r.stats.n_points), obj, verdict])
        eds = "; ".join(sorted({r.edition_label for r in a.results if r.year == year}))
        out.append(f"<h3>Model year {_e(year)} ({_e(eds)})</h3>")
        out.append(_table(["Pollutant", "Mean (µg/m³)", "SD", "n points",
                           "Annual-mean objective (µg/m³)", "Verdict"], rows, num={1, 2, 3}))
    if a.short_term:
        out.append("<h3>Short-term objectives</h3><ul>"
                   + "".join(f"<li>{_e(x)}</li>" for x in _short_term_lines(a)) + "</ul>")
    return "".join(out)


def _land_use(a: Assessment) -> str:
    from airq.render.landuse_text import _share_text, dates_cell, notes_cell, number_cell

    s = a.land_use
    if s is None:
        return ("<p>No land-use layers were screened for this report (run without "
                "<code>--no-layers</code> after cataloguing layers with "
                "<code>airq layers add</code>).</p>")
    out = [f"<p>Searched the site and up to {s.search_m:g} m from its boundary "
           f"(bands: {_e(', '.join(s.band_labels))}).</p><ul>"]
    out += [f"<li>{_e(v.text)}</li>" for v in s.verdicts]
    out.append("</ul>")
    if s.timeline:
        out.append("<h3>Land use on the site by map epoch</h3>")
        rows = [[_e(t.epoch), _e(t.layer), _e(_share_text(t))] for t in s.timeline]
        out.append(_table(["Epoch", "Layer", "Land use covering the site"], rows))
    others = [r for r in s.records if r.epoch is None]
    if others:
        out.append("<h3>Records on the site and nearby</h3>")
        head = "".join(f"<th>{h}</th>" for h in ("No.", "Distance", "Dir.", "Band", "Layer",
                                                   "Category", "Name", "Dates"))
        body = []
        for r in others:
            name = r.name + (f" ({r.reference})" if r.reference else "") if r.name else \
                (r.reference or "")
            cells = [number_cell(r), f"{r.distance_m:.0f} m", r.direction or "-", r.band,
                     r.layer, r.category or "", name, dates_cell(r)]
            body.append("<tbody class='record'><tr>" + "".join(
                f"<td class='{'num' if i < 2 else ''}'>{_e(c)}</td>"
                for i, c in enumerate(cells)) + "</tr>")
            notes = notes_cell(r, width=None)
            if notes:
                body.append(f"<tr><td></td><td></td><td colspan='6' class='notes'>{_e(notes)}"
                            "</td></tr>")
            body.append("</tbody>")
        cols = "".join(f"<col style='width:{w}'>" for w in
                       ("9mm", "15mm", "10mm", "18mm", "28mm", "22mm", "auto", "25mm"))
        out.append(f"<table class='records'><colgroup>{cols}</colgroup><thead><tr>{head}</tr>"
                   f"</thead>{''.join(body)}</table>")
        out.append('<p class="small">No.: the number on the maps. Distance from the site '
                   "boundary to the feature; direction from the centre of the site.</p>")
    return "".join(out)


def _per_boundary(a: Assessment) -> str:
    if not a.per_boundary:
        return ""
    keys = list(dict.fromkeys((b.pollutant, b.year) for b in a.per_boundary))
    cells = {(b.boundary_id, b.pollutant, b.year): b for b in a.per_boundary}
    ids = list(dict.fromkeys(b.boundary_id for b in a.per_boundary))
    rows = []
    for bid in ids:
        row = [_e(bid)]
        for p, y in keys:
            b = cells.get((bid, p, y))
            if b is None or b.stats.mean is None:
                row.append("-")
            else:
                row.append(fmt_mean(b.stats.mean) + ("*" if b.fallback else ""))
        rows.append(row)
    head = ["Boundary"] + [f"{POLLUTANTS.get(p, p)} {y}" for p, y in keys]
    return ("<h2>Appendix: values per boundary</h2>"
            + _table(head, rows, num=set(range(1, len(head))))
            + '<p class="small">Mean of the grid points inside each boundary (µg/m³). '
              "* no grid point inside: the value of the grid cell the boundary lies in.</p>")


def _sources(a: Assessment) -> str:
    rows = []
    for i in a.provenance.inputs:
        if i["role"] == "layer":
            continue  # listed below with the land-use screening's own record
        name = Path(i["source"]).name + (f"!{i['member']}" if i.get("member") else "")
        if i["role"] == "grid":
            what = f"{POLLUTANTS.get(i['pollutant'], i['pollutant'])} {i['year']} grid, " \
                   f"{i['edition']}"
            licence = _LICENCES["background" if i.get("background") else "grid"]
            sha = i.get("member_sha256") or i["sha256"]
        elif i["role"] == "grid-part":
            what = f"{i['grid']} grid, also combined from"
            licence = _LICENCES["background"]
            sha = i.get("member_sha256") or i["sha256"]
        else:
            what = f"{i['role']}: {i.get('name', '')}"
            licence = "as supplied (council or Ordnance Survey terms)"
            sha = i["sha256"]
        if i.get("synthetic") or a.synthetic:
            licence = "synthetic demo data generated by airq (no restrictions)"
        rows.append([_e(what), _e(name), _e(licence), f'<span class="mono">{_e(sha)}</span>'])
    if a.land_use is not None:
        for p in a.land_use.layers:
            licence = _LICENCES.get(p.schema or "", "as supplied by the data owner")
            if a.synthetic:
                licence = "synthetic demo data generated by airq (no restrictions)"
            left = (f"; {p.dropped_features} rows without a usable location left out"
                    if p.dropped_features else "")
            rows.append([_e(f"land-use layer {p.name} ({p.kind}, {p.feature_count} "
                            f"features{left})"),
                         _e(Path(p.source_path).name), _e(licence),
                         f'<span class="mono">{_e(p.sha256)}</span>'])
    return _table(["Data", "File", "Licence", "SHA-256"], rows).replace(
        "<table>", "<table class='sources'>", 1)


def _methods(a: Assessment) -> str:
    s = a.provenance.settings
    crs_notes = list(dict.fromkeys(
        f"{'Grids' if i['role'] == 'grid' else i['role'].capitalize()}: {i['crs_note']}"
        if i["crs"] in i["crs_note"] else
        f"{'Grids' if i['role'] == 'grid' else i['role'].capitalize()}: {i['crs']}, "
        f"{i['crs_note']}"
        for i in a.provenance.inputs if i.get("crs_note")))
    items = [
        f"Grid points: the modelled concentrations at the centres of the grid cells "
        f"(method <i>{_e(s['method'])}</i>) that fall inside or on the edge of the "
        f"{a.area.n_boundaries} residential property boundaries; each point counted once.",
        "Standard deviation: " + ("population SD (divided by n)" if s["sd"] == "population"
                                  else "sample SD (divided by n - 1)") + ".",
        "Coordinates: boundaries are put into the grid's coordinate reference system "
        "before sampling. " + ". ".join(_e(c) for c in crs_notes) + ".",
        f"Objectives: set(s) {_e(', '.join(s['objectives']))}, compared with the mean over "
        "the grid points.",
    ]
    if a.area.no_centre_ids:
        ids = ", ".join(a.area.no_centre_ids[:25])
        more = " …" if len(a.area.no_centre_ids) > 25 else ""
        items.append(f"{len(a.area.no_centre_ids)} boundaries hold no grid point "
                     f"({_e(ids)}{more}); they add nothing to the pooled statistics.")
    details = "".join(f"<li>{_e(x)}</li>" for x in _method(a))
    return (f"<ul>{''.join(f'<li>{x}</li>' for x in items)}</ul>"
            f'<h3>Statistics per grid</h3><ul class="small">{details}</ul>')


def _figure(a: Assessment, fmt: str) -> str:
    from airq.render.figures import pick_samples, render_figure

    if a.boundaries_gdf is None:
        return ""
    data = render_figure(a, fmt)
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    s = pick_samples(a)
    what = (f"{POLLUTANTS.get(s.pollutant, s.pollutant)} {s.year}" if s is not None
            else "the boundaries")
    return (f'<figure><img src="{uri}" alt="Map of {_e(a.area.name)}: residential boundaries '
            f'in orange and {_e(what)} at the grid points"><figcaption>Figure 1. The '
            f"{a.area.n_boundaries} residential property boundaries (orange) and the modelled "
            f"{_e(what)} annual mean at each grid point used. The interactive map "
            "(<code>airq map</code>) shows every pollutant and year.</figcaption></figure>")


def render_report_html(a: Assessment, *, query_text: str | None = None,
                       figure: str | None = "svg") -> str:
    """Render the officer's report as one HTML document (A4 print styles included).

    Parameters
    ----------
    a
        The assessment.
    query_text
        The resident's query as received, quoted near the top.
    figure
        ``svg`` or ``png`` to embed the static map, or None for none.

    Returns
    -------
    str
    """
    p = a.provenance
    run_date = p.run_at[:10]
    css = CSS.replace("VERSION", _e(p.airq_version)).replace("RUNDATE", _e(run_date))
    b = a.area.boundaries
    where = f" ({_e(', '.join(b['where']))})" if b.get("where") else ""
    banner = (f'<div class="banner">{_e(SYNTHETIC_BANNER)}. Every figure in this document '
              "comes from airq's generated demo data; do not use it for any decision.</div>"
              if a.synthetic else "")
    query = (f'<p class="query">{_e(query_text)}</p>' if query_text else
             '<p class="small">The query as received was not recorded with this report '
             "(pass <code>--query-text</code>).</p>")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Land contamination and air quality: {_e(a.area.name)}</title>",
        f"<meta name='generator' content='airq {_e(p.airq_version)}'>",
        f"<style>{css}</style>", html_script(a.to_dict()), "</head><body>",
        f"<h1>Land contamination and air quality: {_e(a.area.name)}</h1>",
        '<p class="subtitle">Environmental health report (stage 1 screening of a '
        "resident's enquiry)</p>",
        banner,
        "<dl class='meta'>",
        f"<dt>Area</dt><dd>{_e(a.area.name)}: {a.area.n_boundaries} residential property "
        f"boundaries from {_e(Path(b.get('source', '')).name)}{where}, "
        f"{a.area.area_m2 / 10_000:.2f} ha</dd>",
        (f"<dt>Selection</dt><dd>{_e(a.area.selection)} (addresses from "
         f"{_e(b['selection']['addresses_source'])})</dd>" if a.area.selection else ""),
        f"<dt>Air quality data</dt><dd>{_e(_editions(a))}</dd>",
        f"<dt>Prepared</dt><dd>{_e(run_date)} with airq {_e(p.airq_version)}</dd>",
        "</dl>",
        "<h2>1. The enquiry</h2>", query,
        "<h2>2. Summary for the resident</h2>", _summary(a),
        "<h2>3. Land contamination</h2>", _land_use(a),
        "<h2>4. Air quality</h2>",
        "<p>Modelled annual-mean concentrations at the grid points within the residential "
        "property boundaries, compared with the annual-mean air quality objectives.</p>",
        _air_quality(a),
        _figure(a, figure) if figure else "",
        "<h2>5. Methods</h2>", _methods(a),
        "<h2>6. Caveats</h2><ul>" + "".join(f"<li>{_e(c)}</li>" for c in a.caveats) + "</ul>",
    ]
    if a.warnings:
        parts.append("<h3>Warnings raised during the run</h3><ul>"
                     + "".join(f"<li>{_e(w)}</li>" for w in a.warnings) + "</ul>")
    parts += ["<h2>7. Data sources</h2>", _sources(a),
              f'<p class="small">Objectives data {_e(p.objectives_version)}; run '
              f"{_e(p.run_at)}" + (f"; command: <code>{_e(p.command)}</code>"
                                  if p.command else "") + ".</p>",
              _per_boundary(a), "</body></html>"]
    return "\n".join(x for x in parts if x)


def render_report_pdf(a: Assessment, *, query_text: str | None = None,
                      figure: str = "svg") -> bytes:
    """Render the report as an A4 PDF with WeasyPrint (see :func:`render_report_html`)."""
    from weasyprint import HTML

    page = render_report_html(a, query_text=query_text, figure=figure)
    return HTML(string=page).write_pdf(attachments=[pdf_attachment(a.to_dict())])


def write_report(a: Assessment, path, *, overwrite: bool = False,
                 query_text: str | None = None) -> Path:
    """Write the report to ``path``: HTML or PDF from its suffix, atomically.

    Raises
    ------
    InputError
        If the suffix is not .html, .htm or .pdf.
    """
    from airq.errors import InputError
    from airq.outputs import write_bytes, write_text

    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        return write_text(path, render_report_html(a, query_text=query_text), overwrite)
    if suffix == ".pdf":
        return write_bytes(path, render_report_pdf(a, query_text=query_text), overwrite)
    raise InputError(f"{path}: a report is .html or .pdf, not {suffix or 'no suffix'}")
