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
from pathlib import Path

from airq.read.grids import POLLUTANTS
from airq.render.embed import html_script, pdf_attachment
from airq.render.escape import page_text
from airq.render.text import _editions, _method, area_features, fmt_mean
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
figure img { width: 100%; height: auto; max-height: 225mm; object-fit: contain; }
figure.aq img, figure.landuse img { width: auto; max-width: 100%; height: 135mm; }
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
    return page_text(x)


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
        if r.no_verdict:
            verdict = f"no verdict can be given: {_e(r.no_verdict)}"
        elif c is None:
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


def _html_table(t) -> str:
    """Lay out a :class:`~airq.render.report_tables.Table` (cells escaped here)."""
    rows = []
    for i, row in enumerate(t.rows):
        cells = [f'<span style="white-space: nowrap">{_e(c)}</span>' if j in t.nowrap
                 else _e(c) for j, c in enumerate(row)]
        if i < len(t.flagged) and t.flagged[i]:
            cells[-1] = f'<span class="exceeded">{cells[-1]}</span>'
        rows.append(cells)
    out = f"<h3>{_e(t.title)}</h3>" if t.title else ""
    out += _table(t.headers, rows, num=t.num)
    return out + (f'<p class="small">{_e(t.caption)}</p>' if t.caption else "")


def _air_quality(a: Assessment) -> str:
    from airq.render.report_tables import air_quality_tables, short_term_lines

    out = [_html_table(t) for t in air_quality_tables(a)]
    if a.short_term:
        out.append("<h3>Short-term objectives</h3><ul>"
                   + "".join(f"<li>{_e(x)}</li>" for x in short_term_lines(a)) + "</ul>")
    return "".join(out)


def _records_table(t) -> str:
    """Lay out the land-use records: one row each, its notes in a row under it."""
    head = "".join(f"<th>{_e(h)}</th>" for h in t.headers)
    body = []
    for row, notes in zip(t.rows, t.notes, strict=True):
        body.append("<tbody class='record'><tr>" + "".join(
            f"<td class='{'num' if i in t.num else ''}'>{_e(c)}</td>"
            for i, c in enumerate(row)) + "</tr>")
        if notes:
            body.append(f"<tr><td></td><td></td><td colspan='{len(row) - 2}' class='notes'>"
                        f"{_e(notes)}</td></tr>")
        body.append("</tbody>")
    cols = "".join(f"<col style='width:{w}'>" for w in
                   ("9mm", "15mm", "10mm", "18mm", "28mm", "22mm", "auto", "25mm"))
    return (f"<h3>{_e(t.title)}</h3><table class='records'><colgroup>{cols}</colgroup><thead>"
            f"<tr>{head}</tr></thead>{''.join(body)}</table>"
            f'<p class="small">{_e(t.caption)}</p>')


def _land_use(a: Assessment) -> str:
    from airq.render.report_tables import land_use_intro, land_use_tables

    s = a.land_use
    if s is None:
        return ("<p>No land-use layers were screened for this report (run without "
                "<code>--no-layers</code> after cataloguing layers with "
                "<code>airq layers add</code>).</p>")
    out = [f"<p>{_e(land_use_intro(a))}</p><ul>"]
    out += [f"<li>{_e(v.text)}</li>" for v in s.verdicts]
    out.append("</ul>")
    for t in land_use_tables(a):
        out.append(_records_table(t) if t.notes else _html_table(t))
    return "".join(out)


def _rates(rates) -> str:
    """Lay out the health track: each rate table, its notes and where it came from."""
    from airq.render.report_tables import rate_table

    out = []
    for doc in rates:
        out.append(_html_table(rate_table(doc.results)))
        made = doc.provenance.get("airq_version")
        out.append(f'<p class="small">From {_e(Path(doc.source).name)} (SHA-256 '
                   f'<span class="mono">{_e(doc.sha256)}</span>)'
                   + (f", made by airq {_e(made)} on {_e(doc.provenance.get('run_at', ''))}"
                      if made else "") + ".</p>")
    return "".join(out)


def _rates_sources(rates) -> list[list[str]]:
    """Rows of the data-sources table for the rate tables and the inputs they name."""
    rows = []
    for doc in rates:
        rows.append([_e("rate table (airq rates -f json)"), _e(Path(doc.source).name),
                     _e("as supplied (cancer registry data)"),
                     f'<span class="mono">{_e(doc.sha256)}</span>'])
        for i in doc.provenance.get("inputs") or []:
            rows.append([_e(f"rates {i.get('role', 'input')}"),
                         _e(Path(str(i.get("source", ""))).name),
                         _e("as supplied"), f'<span class="mono">{_e(i.get("sha256", ""))}</span>'])
    return rows


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


def _sources(a: Assessment, extra_rows=()) -> str:
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
        elif i["role"] in ("historic-map", "basemap"):
            when = f" {i['epoch']}" if i.get("epoch") is not None else ""
            what = f"{'historic map' if i['role'] == 'historic-map' else 'base map'}{when}: " \
                   f"{i['title']} ({i['format']})"
            if i.get("format") == "web tiles":
                name = i["source"]
            licence = f"as credited: {i['attribution']}"
            sha = i["sha256"]
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
    rows += list(extra_rows)
    return _table(["Data", "File", "Licence", "SHA-256"], rows).replace(
        "<table>", "<table class='sources'>", 1)


def _methods(a: Assessment) -> str:
    s = a.provenance.settings
    crs_notes = list(dict.fromkeys(
        f"{'Grids' if i['role'] == 'grid' else i['role'].capitalize()}: {i['crs_note']}"
        if i["crs"] in i["crs_note"] else
        f"{'Grids' if i['role'] == 'grid' else i['role'].capitalize()}: {i['crs']}, "
        f"{i['crs_note']}"
        for i in a.provenance.inputs if i["role"] in ("grid", "boundaries")
        and i.get("crs_note")))
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
    if a.map_sheets or a.basemap is not None:
        items.append("Map sheets: each historic sheet (and the figures' base map) is read "
                     "around the site and its search area, warped from its own coordinate "
                     "system to Web Mercator for the interactive map and to British National "
                     "Grid for the figures (bilinear resampling); the sheets are not altered "
                     "otherwise. Land-use records are drawn on an extract when their map epoch "
                     "or their dates include its year.")
    if a.area.no_centre_ids:
        ids = ", ".join(a.area.no_centre_ids[:25])
        more = " …" if len(a.area.no_centre_ids) > 25 else ""
        items.append(f"{len(a.area.no_centre_ids)} boundaries hold no grid point "
                     f"({_e(ids)}{more}); they add nothing to the pooled statistics.")
    details = "".join(f"<li>{_e(x)}</li>" for x in _method(a))
    return (f"<ul>{''.join(f'<li>{x}</li>' for x in items)}</ul>"
            f'<h3>Statistics per grid</h3><ul class="small">{details}</ul>')


class _Figures:
    """Numbers the report's figures in the order they appear."""

    def __init__(self, fmt: str | None, panels=()):
        self.fmt, self.panels, self.n = fmt, panels, 0

    def embed(self, data: bytes, fmt: str, alt: str, caption: str, cls: str = "") -> str:
        self.n += 1
        mime = "image/svg+xml" if fmt == "svg" else "image/png"
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return (f'<figure class="{cls}"><img src="{uri}" alt="{_e(alt)}"><figcaption>'
                f"Figure {self.n}. {caption}</figcaption></figure>")


def _air_figure(a: Assessment, figs: _Figures) -> str:
    from airq.render.figures import render_figure, resolve_panels

    if a.boundaries_gdf is None or not figs.fmt or not a.samples:
        return ""
    panels = [p for p in resolve_panels(a, figs.panels, landuse=False) if not p.is_landuse]
    if not panels:
        return ""
    data = render_figure(a, figs.fmt, panels=panels)
    what = ", ".join(f"{POLLUTANTS.get(p.pollutant, p.pollutant)} {p.year}" for p in panels)
    base = _basemap_note(a)
    return figs.embed(
        data, figs.fmt, f"Map of {a.area.name}: residential boundaries in orange and {what} at "
        "the grid points",
        f"The {a.area.n_boundaries} residential property boundaries (orange) and the modelled "
        f"annual mean at each grid point used: {_e(what)}.{base} The interactive map "
        "(<code>airq map</code>) shows every pollutant and year.", "aq")


def _basemap_note(a: Assessment) -> str:
    if a.basemap is None:
        return ""
    b = a.basemap
    when = f", {b.epoch}" if b.epoch is not None else ""
    return f" Base map: {_e(b.title)}{_e(when)} ({_e(b.attribution)})."


def _landuse_figure(a: Assessment, figs: _Figures) -> str:
    from airq.render.figures import Panel, render_figure

    if a.land_use is None or a.boundaries_gdf is None or not figs.fmt:
        return ""
    data = render_figure(a, figs.fmt, panels=[Panel("landuse")])
    return figs.embed(
        data, figs.fmt, f"Land-use records around {a.area.name}",
        "The site (orange), the search bands (dashed: "
        f"{_e(', '.join(a.land_use.band_labels[1:]))} from the site boundary) and each land-use "
        "record's shape with its number, as in the table above." + _basemap_note(a), "landuse")


def _historic_maps(a: Assessment, figs: _Figures) -> str:
    from airq.render.sheet_figures import extract_records, render_extract

    out = ["<p>Extracts of each historic map sheet around the site, oldest first, with the "
           "site boundary in orange and the land-use records dated to the map's year.</p>"]
    for sheet in a.map_sheets:
        when = sheet.epoch if sheet.epoch is not None else "undated"
        recs = extract_records(a, sheet)
        nums = ", ".join(str(r.number) for r in recs if r.number is not None)
        shown = f" Records shown: {_e(nums)}." if nums else ""
        cover = ("" if sheet.coverage >= 0.999 else
                 f" The sheet covers {100 * sheet.coverage:.0f}% of the area shown.")
        out.append(f"<h3>{_e(when)}: {_e(sheet.title)}</h3>")
        out.append(figs.embed(
            render_extract(a, sheet, "png"), "png", f"Historic map {when}: {sheet.title}",
            f"Historic map {_e(when)}: {_e(sheet.title)}. {_e(sheet.attribution)} "
            f"({_e(sheet.format)}, SHA-256 {_e(sheet.sha256[:12])}…).{shown}{cover}",
            "extract"))
    return "".join(out)


def embedded_document(a: Assessment, rates=()) -> dict:
    """Return the JSON document a report carries for ``airq verify``.

    The result's own document, and each rate table shown with the file it was read
    from, its SHA-256 and its rows as ``airq rates -f json`` wrote them.
    """
    doc = a.to_dict()
    if rates:
        doc["rates"] = [{"source": r.source, "sha256": r.sha256,
                         "rows": [dict(x.to_dict(), provenance=r.provenance)
                                  for x in r.results]} for r in rates]
    return doc


def render_report_html(a: Assessment, *, query_text: str | None = None,
                       figure: str | None = "svg", rates=(), panels=()) -> str:
    """Render the officer's report as one HTML document (A4 print styles included).

    Parameters
    ----------
    a
        The assessment.
    query_text
        The resident's query as received, quoted near the top.
    figure
        ``svg`` or ``png`` to embed the static maps, or None for none.
    rates
        Rate tables (:class:`~airq.read.results_json.RatesDocument`, from
        ``airq rates -f json``) shown in a section of their own: the health track.
    panels
        ``--figure`` values for the air-quality figure (default one panel per pollutant
        for the latest model year).

    Returns
    -------
    str
    """
    p = a.provenance
    run_date = p.run_at[:10]
    css = CSS.replace("VERSION", _e(p.airq_version)).replace("RUNDATE", _e(run_date))
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
        f"<style>{css}</style>", html_script(embedded_document(a, rates)), "</head><body>",
        f"<h1>Land contamination and air quality: {_e(a.area.name)}</h1>",
        '<p class="subtitle">Environmental health report (stage 1 screening of a '
        "resident's enquiry)</p>",
        banner,
        "<dl class='meta'>",
        f"<dt>Area</dt><dd>{_e(a.area.name)}: residential property boundaries, "
        f"{_e(area_features(a))}, {a.area.area_m2 / 10_000:.2f} ha</dd>",
        (f"<dt>Selection</dt><dd>{_e(a.area.selection)} (addresses from "
         f"{_e(a.area.boundaries['selection']['addresses_source'])})</dd>"
         if a.area.selection else ""),
        f"<dt>Air quality data</dt><dd>{_e(_editions(a))}</dd>",
        f"<dt>Prepared</dt><dd>{_e(run_date)} with airq {_e(p.airq_version)}</dd>",
        "</dl>",
    ]
    figs = _Figures(figure, panels)
    sections = [("The enquiry", query), ("Summary for the resident", _summary(a)),
                ("Land contamination", _land_use(a) + _landuse_figure(a, figs))]
    if a.map_sheets:
        sections.append(("Historic maps", _historic_maps(a, figs)))
    sections += [
        ("Air quality", "<p>Modelled annual-mean concentrations at the grid points within the "
         "residential property boundaries, compared with the annual-mean air quality "
         "objectives.</p>" + _air_quality(a) + _air_figure(a, figs)),
    ]
    if rates:
        sections.append(("Cancer rates", _rates(rates)))
    sections += [
        ("Methods", _methods(a)),
        ("Caveats", "<ul>" + "".join(f"<li>{_e(c)}</li>" for c in a.caveats) + "</ul>"),
    ]
    for i, (head, body) in enumerate(sections, start=1):
        parts += [f"<h2>{i}. {head}</h2>", body]
    n_sources = len(sections) + 1
    if a.warnings:
        parts.append("<h3>Warnings raised during the run</h3><ul>"
                     + "".join(f"<li>{_e(w)}</li>" for w in a.warnings) + "</ul>")
    parts += [f"<h2>{n_sources}. Data sources</h2>", _sources(a, _rates_sources(rates)),
              f'<p class="small">Objectives data {_e(p.objectives_version)}; run '
              f"{_e(p.run_at)}" + (f"; command: <code>{_e(p.command)}</code>"
                                  if p.command else "") + ".</p>",
              _per_boundary(a), "</body></html>"]
    return "\n".join(x for x in parts if x)


def render_report_pdf(a: Assessment, *, query_text: str | None = None,
                      figure: str = "svg", rates=(), panels=()) -> bytes:
    """Render the report as an A4 PDF with WeasyPrint (see :func:`render_report_html`)."""
    from weasyprint import HTML

    page = render_report_html(a, query_text=query_text, figure=figure, rates=rates,
                              panels=panels)
    return HTML(string=page).write_pdf(attachments=[pdf_attachment(embedded_document(a,
                                                                                  rates))])


def write_report(a: Assessment, path, *, overwrite: bool = False,
                 query_text: str | None = None, rates=(), panels=()) -> Path:
    """Write the report to ``path``: HTML or PDF from its suffix, atomically.

    ``rates`` are rate tables to show beside the air quality (see
    :func:`render_report_html`).

    Raises
    ------
    InputError
        If the suffix is not .html, .htm or .pdf.
    """
    from airq.errors import InputError
    from airq.outputs import write_bytes, write_text

    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        return write_text(path, render_report_html(a, query_text=query_text, rates=rates,
                                                   panels=panels), overwrite)
    if suffix == ".pdf":
        return write_bytes(path, render_report_pdf(a, query_text=query_text, rates=rates,
                                                   panels=panels),
                           overwrite)
    raise InputError(f"{path}: a report is .html or .pdf, not {suffix or 'no suffix'}")
