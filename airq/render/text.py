"""Render an Assessment as text, Markdown, JSON or CSV. Renderers never recompute."""

from __future__ import annotations

import io
import json

from airq.read.defra import BACKGROUND_NOTE
from airq.read.grids import POLLUTANTS
from airq.render.escape import markdown_text, terminal_safe, terminal_text
from airq.render.sheets_text import sheet_provenance_line, sheet_summary_lines
from airq.results import SYNTHETIC_BANNER, Assessment, PollutantResult

FORMATS = ("text", "markdown", "json", "csv")


def fmt_mean(v: float | None) -> str:
    """Format a mean to one decimal place, as the published case does."""
    return "n/a" if v is None else f"{v:.1f}"


def fmt_sd(v: float | None) -> str:
    """Format an SD to two significant figures (3.5, 0.82, 0.29 in the case)."""
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    text = f"{v:.2g}"
    return f"{float(text):.0f}" if "e" in text else text


def _verdict(r: PollutantResult) -> str:
    c = r.first
    if r.no_verdict:
        return f"no verdict: {r.no_verdict}"
    if c is None:
        return "no objective in the chosen sets"
    return f"objective {c.objective.value:g}: {c.verdict}"


def sd_text(r: PollutantResult) -> str:
    """Return the SD as reported: ``3.5``, or ``n/a (one 1 km cell)`` where it means nothing."""
    if r.sd_note and r.stats.sd is None:
        return r.sd_note
    return f"{fmt_sd(r.stats.sd)} {r.sd_note}" if r.sd_note else fmt_sd(r.stats.sd)


def _line(r: PollutantResult) -> str:
    s = r.stats
    line = f"{r.name:<6} {fmt_mean(s.mean)} {r.units} (SD {sd_text(r)}), {_verdict(r)}"
    if r.background:
        line += f"\n         {BACKGROUND_NOTE}"
    return line


def area_features(a: Assessment) -> str:
    """Say which boundaries were used, out of the features selected and in the file.

    E.g. ``49 boundaries of plots.gpkg (street=Orchard Close: 54 of its 300 features;
    5 dropped: 5 with no or empty geometry)``.
    """
    from pathlib import Path

    b = a.area.boundaries
    used = a.area.n_boundaries
    selected = b.get("n_selected", used)
    in_file = b.get("n_features", selected)
    dropped = []
    if b.get("dropped_empty"):
        dropped.append(f"{b['dropped_empty']} with no or empty geometry")
    if b.get("dropped_not_polygon"):
        dropped.append(f"{b['dropped_not_polygon']} not polygons")
    note = f"; {selected - used} dropped: {', '.join(dropped)}" if dropped else ""
    if b["where"]:
        which = f"{', '.join(b['where'])}: {selected} of its {in_file} features"
    else:
        which = f"all {in_file} features"
    return f"{used} boundaries of {Path(b['source']).name} ({which}{note})"


def _area_line(a: Assessment) -> str:
    from pathlib import Path

    b = a.area.boundaries
    if a.area.selection:  # chosen by address: say which addresses, and from which files
        where = f", {', '.join(b['where'])}" if b["where"] else ""
        return (f"{a.area.selection} ({Path(b['source']).name}{where}; addresses from "
                f"{b['selection']['addresses_source']}); {a.area.area_m2 / 10_000:.2f} ha")
    return f"{area_features(a)}; {a.area.area_m2 / 10_000:.2f} ha"


def _editions(a: Assessment) -> str:
    eds = sorted({r.edition_label for r in a.results})
    years = ", ".join(str(y) for y in a.years)
    return f"{'; '.join(eds)}; model year{'s' if len(a.years) > 1 else ''} {years}"


def _method(a: Assessment) -> list[str]:
    out = []
    for r in a.results:
        s = r.stats
        sd = "population SD (divided by n)" if r.sd_kind == "population" else \
            "sample SD (divided by n - 1)"
        dropped = (f"; {s.n_implausible} implausible value(s) left out (--drop-implausible)"
                   if s.n_implausible else "")
        units = f"; {r.units_note}" if r.units_note else ""
        n = (f"{s.n_points} cell{'s' if s.n_points != 1 else ''}: {r.sampling}" if r.background
             else f"{s.n_points} {r.sampling}")
        out.append(f"{r.name} {r.year}: {n}; {s.n_nodata} NODATA left out{dropped}{units}; "
                   f"{sd}; min {fmt_mean(s.min)}, median {fmt_mean(s.median)}, "
                   f"max {fmt_mean(s.max)} {r.units}")
    return out


def _short_term_lines(a: Assessment) -> list[str]:
    out = []
    for s in a.short_term:
        name = POLLUTANTS.get(s.objective.pollutant, s.objective.pollutant)
        head = f"{name} {s.objective.text} ({s.objective.set})"
        if s.testable and s.days is not None:
            verdict = "exceeded" if s.exceeds else "not exceeded"
            out.append(f"{head}, {s.year}: modelled days above 50 µg/m³ mean "
                       f"{fmt_mean(s.days.mean)}, max {fmt_mean(s.days.max)} at any grid point "
                       f"({s.n_points_over} of {s.days.n_points} points over "
                       f"{s.objective.allowed_exceedances}): {verdict}")
        else:
            out.append(f"{head}: {s.reason}")
    return out


def _provenance_lines(a: Assessment) -> list[str]:
    from pathlib import Path

    p = a.provenance
    out = [f"airq {p.airq_version}, run {p.run_at}; objectives data {p.objectives_version}"]
    for i in p.inputs:
        if i["role"] == "grid-part":
            out.append(f"  also combined into grid {i['grid']}: {Path(i['source']).name}, "
                       f"sha256 {i.get('member_sha256') or i['sha256']}")
            continue
        if i["role"] == "grid":
            member = f"!{i['member']}" if i.get("member") else ""
            edition = i["edition"] or "unknown edition"
            crs = (f"{i['crs']} assumed (the file has none)" if i["crs_assumed"]
                   else f"{i['crs']} ({i['crs_note']})")
            out.append(f"grid {POLLUTANTS.get(i['pollutant'], i['pollutant'])} {i['year']}: "
                       f"{Path(i['source']).name}{member}, {edition}, sha256 "
                       f"{i['member_sha256'] or i['sha256']}, CRS {crs}"
                       + "".join(f"; {n}" for n in i.get("notes") or ())
                       + (f"; read from its catalogue copy, sha256 {i['catalogue_sha256']}"
                          if i.get("catalogue_sha256") else ""))
        elif i["role"] == "boundaries":
            out.append(f"boundaries: {Path(i['source']).name}, sha256 {i['sha256']}, CRS "
                       f"{i['crs']} ({i['crs_note']})")
        elif i["role"] == "addresses":
            out.append(f"addresses: {Path(i['source']).name} ({i['name']}, "
                       f"{i['n_addresses']} address points), sha256 {i['sha256']}, CRS "
                       f"{i['crs']} ({i['crs_note']})")
        elif i["role"] in ("historic-map", "basemap"):
            out.append(sheet_provenance_line(i))
        elif i["role"] == "layer":
            out.append(f"land-use layer {i['name']}: {Path(i['source']).name}, sha256 "
                       f"{i['sha256']}"
                       + (f"; read from its catalogue copy, sha256 {i['catalogue_sha256']}"
                          if i.get("catalogue_sha256") else ""))
        else:
            out.append(f"{i['role']}: {Path(i['source']).name}, sha256 {i['sha256']}")
    s = p.settings
    drop = ", drop-implausible True" if s.get("drop_implausible") else ""
    out.append(f"settings: method {s['method']}, SD {s['sd']}, objectives "
               f"{', '.join(s['objectives'])}, per-boundary {s['per_boundary']}{drop}")
    if p.command:
        out.append(f"command: {p.command}")
    return out


def _landuse(a: Assessment, fmt: str) -> str | None:
    if a.land_use is None:
        return None
    from airq.render import landuse_text as reports_landuse

    render = {"text": reports_landuse.render_text,
              "markdown": reports_landuse.render_markdown}[fmt]
    return render(a.land_use)


def render_text(a: Assessment) -> str:
    """Render the officer's report: area, edition, year, a line per pollutant, method, sources."""
    lines = []
    if a.synthetic:
        lines += [f"*** {SYNTHETIC_BANNER} ***", ""]
    lines += [f"Air quality at {terminal_text(a.area.name)}", f"Area: {_area_line(a)}",
              f"Inventory: {_editions(a)}", ""]
    for year in a.years:
        lines.append(f"Model year {year} (annual means):")
        for r in a.results:
            if r.year == year:
                lines.append(f"  {_line(r)}")
                for c in r.comparisons[1:]:
                    lines.append(f"         against {c.objective.set} {c.objective.value:g}: "
                                 f"{c.verdict} (margin {c.margin:+.1f})")
        lines.append("")
    if a.short_term:
        lines.append("Short-term objectives:")
        lines += [f"  {x}" for x in _short_term_lines(a)]
        lines.append("")
    lines.append("Method:")
    lines += [f"  {x}" for x in _method(a)]
    if a.area.no_centre_ids:
        ids = ", ".join(map(terminal_text, a.area.no_centre_ids[:20]))
        more = " ..." if len(a.area.no_centre_ids) > 20 else ""
        lines.append(f"  {len(a.area.no_centre_ids)} boundaries hold no grid point: {ids}{more}")
    lines.append("")
    if a.per_boundary:
        lines.append("Per boundary:")
        for b in a.per_boundary:
            fb = " (fallback: the cell it lies in)" if b.fallback else ""
            bid = terminal_text(b.boundary_id)
            lines.append(f"  {bid:<12} {POLLUTANTS.get(b.pollutant, b.pollutant):<6} "
                         f"{b.year} {fmt_mean(b.stats.mean)} (n {b.stats.n_points}){fb}")
        lines.append("")
    lu = _landuse(a, "text")
    if lu:
        lines += [lu.rstrip(), ""]
    sheets = sheet_summary_lines(a)
    if sheets:
        lines.append("Historic map sheets (drawn on the map and in the report):")
        lines += [f"  {x}" for x in sheets]
        lines.append("")
    if a.warnings:
        lines.append("Warnings:")
        lines += [f"  - {w}" for w in a.warnings]
        lines.append("")
    lines.append("Caveats:")
    lines += [f"  - {c}" for c in a.caveats]
    lines.append("")
    lines.append("Provenance:")
    lines += [f"  {x}" for x in _provenance_lines(a)]
    return "\n".join(lines) + "\n"


def render_markdown(a: Assessment) -> str:
    """Render the same report as Markdown, with a table per model year."""
    out = []
    if a.synthetic:
        out += [f"> **{SYNTHETIC_BANNER}**", ""]
    out += [f"# Air quality at {markdown_text(terminal_text(a.area.name))}", "",
            f"- Area: {markdown_text(_area_line(a))}", f"- Inventory: {_editions(a)}", ""]
    for year in a.years:
        out += [f"## Model year {year}", "",
                "| pollutant | mean (µg/m³) | SD | n points | objective | verdict |",
                "|---|---|---|---|---|---|"]
        for r in a.results:
            if r.year == year:
                c = r.first
                obj = f"{c.objective.value:g} ({c.objective.set})" if c else "none"
                verdict = (f"no verdict: {r.no_verdict}" if r.no_verdict else
                           c.verdict if c else "n/a")
                out.append(f"| {r.name} | {fmt_mean(r.stats.mean)} | {sd_text(r)} | "
                           f"{r.stats.n_points} | {obj} | {verdict} |")
        out.append("")
    if a.short_term:
        out += ["## Short-term objectives", ""] + [f"- {x}" for x in _short_term_lines(a)] + [""]
    out += ["## Method", ""] + [f"- {x}" for x in _method(a)] + [""]
    if a.per_boundary:
        out += ["## Per boundary", "", "| boundary | pollutant | year | mean | n | fallback |",
                "|---|---|---|---|---|---|"]
        for b in a.per_boundary:
            pol = POLLUTANTS.get(b.pollutant, b.pollutant)
            out.append(f"| {markdown_text(terminal_text(b.boundary_id))} | {pol} | "
                       f"{b.year} | {fmt_mean(b.stats.mean)} | {b.stats.n_points} | "
                       f"{b.fallback or ''} |")
        out.append("")
    lu = _landuse(a, "markdown")
    if lu:
        out += [lu.rstrip(), ""]
    sheets = sheet_summary_lines(a)
    if sheets:
        out += ["## Historic map sheets", ""] + [f"- {markdown_text(x)}" for x in sheets] + [""]
    if a.warnings:
        out += ["## Warnings", ""] + [f"- {markdown_text(w)}" for w in a.warnings] + [""]
    out += ["## Caveats", ""] + [f"- {c}" for c in a.caveats] + [""]
    out += ["## Provenance", ""] + [f"- {markdown_text(x)}" for x in _provenance_lines(a)]
    return "\n".join(out) + "\n"


def render_json(a: Assessment) -> str:
    """Render the documented JSON document (see README, "JSON output")."""
    return json.dumps(a.to_dict(), indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("level", "area", "boundary_id", "pollutant", "year", "edition", "units",
               "n_points", "n_nodata", "n_implausible", "mean", "sd", "min", "max", "median",
               "sd_kind", "method", "objective", "objective_set", "exceeds", "margin",
               "fallback", "synthetic_demo_data", "warnings", "note")


def _csv_note(r: PollutantResult) -> str:
    """Return what a CSV reader must know of a row.

    A background map, an SD meaning nothing, units converted (the values were not in the
    units the row states).
    """
    notes = [f"{BACKGROUND_NOTE}; SD {sd_text(r)}" if r.background else r.sd_note,
             r.units_note]
    return "; ".join(n for n in notes if n)


def render_csv(a: Assessment) -> str:
    """One row per pollutant and year (``level=area``), then per boundary if asked.

    Every row carries the run's warnings (joined by `` | ``), so no filter loses them.
    Text cells that a spreadsheet would run as a formula start with ``'``
    (:func:`airq.render.escape.csv_cell`).
    """
    from airq.render.escape import SafeDictWriter

    buf = io.StringIO()
    w = SafeDictWriter(buf, fieldnames=CSV_COLUMNS)
    w.writeheader()
    warned = " | ".join(a.warnings)
    for r in a.results:
        d = r.to_dict()
        w.writerow({k: d.get(k) for k in CSV_COLUMNS} | {
            "level": "area", "area": a.area.name, "boundary_id": "",
            "fallback": "yes" if r.fallback else "", "synthetic_demo_data": a.synthetic,
            "note": _csv_note(r), "warnings": warned})
    background = {(r.pollutant, r.year) for r in a.results if r.background}
    units = {(r.pollutant, r.year): r.units for r in a.results}
    for b in a.per_boundary:
        d = b.to_dict()
        if (b.pollutant, b.year) in background:
            d["note"] = f"{BACKGROUND_NOTE}; the cell the boundary lies in"
        w.writerow({k: d.get(k) for k in CSV_COLUMNS} | {
            "level": "boundary", "area": a.area.name, "sd_kind": a.provenance.settings["sd"],
            "method": a.provenance.settings["method"], "fallback": b.fallback,
            "units": units.get((b.pollutant, b.year)), "synthetic_demo_data": a.synthetic,
            "warnings": warned})
    return buf.getvalue()


def render(a: Assessment, fmt: str) -> str:
    """Render in one of :data:`FORMATS`.

    Text and Markdown show control characters from the inputs (escape sequences,
    carriage returns) as visible escapes, never raw (:mod:`airq.render.escape`).
    """
    out = {"text": render_text, "markdown": render_markdown, "json": render_json,
           "csv": render_csv}[fmt](a)
    return terminal_safe(out) if fmt in ("text", "markdown") else out
