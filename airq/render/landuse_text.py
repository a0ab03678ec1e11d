"""Render a land-use screening as text, Markdown or JSON; formatting only, never analysis."""

from __future__ import annotations

import json
from collections.abc import Sequence

from airq.analyse.landuse import LandUseRecord, LandUseScreening, TimelineEntry
from airq.errors import InputError
from airq.render.escape import markdown_text, terminal_safe, terminal_text

#: Formats :func:`render_landuse` writes.
FORMATS = ("text", "markdown", "json")
_NOTES_WIDTH = 70

_SCHEMA_LABELS = {
    "ea-historic-landfill": "EA Historic Landfill Sites",
    "brownfield-register": "brownfield land register",
    "brownfield-register-lonlat": "brownfield land register (longitude/latitude)",
    "brownfield-land": "national brownfield land dataset",
}


def to_json_dict(screening: LandUseScreening) -> dict:
    """Return the JSON-ready dict: records, timeline, verdicts, bands_m, layers."""
    return screening.to_dict()


def render_json(screening: LandUseScreening, provenance: dict | None = None) -> str:
    """Return the screening as indented JSON text (with its provenance, when given)."""
    doc = to_json_dict(screening)
    if provenance is not None:
        doc["provenance"] = provenance
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_landuse(screening: LandUseScreening, fmt: str = "text",
                   provenance: dict | None = None) -> str:
    """Render a screening in one of :data:`FORMATS`.

    Parameters
    ----------
    screening
        The result of :func:`airq.analyse.landuse.screen_landuse`.
    fmt
        ``text`` (an officer's paragraph, a records table and the timeline),
        ``markdown`` or ``json``.
    provenance
        Inputs, bands, version and command (:func:`airq.record.screen_provenance`),
        recorded in the JSON document.

    Returns
    -------
    str

    Raises
    ------
    InputError
        If the format is unknown.
    """
    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    if fmt not in renderers:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    text = render_json(screening, provenance) if fmt == "json" else \
        terminal_safe(renderers[fmt](screening) + _warnings(provenance, fmt))
    if screening.synthetic and fmt != "json":
        # Stand-alone output: say plainly that the demo layers are invented.
        banner = "SYNTHETIC DEMO DATA: these land-use layers are invented, not real records"
        text = (f"> **{banner}**\n\n" if fmt == "markdown" else f"*** {banner} ***\n\n") + text
    return text


def _warnings(provenance: dict | None, fmt: str) -> str:
    """Return the run's warnings (recorded in the provenance) as a closing section."""
    said = (provenance or {}).get("warnings") or []
    if not said:
        return ""
    if fmt == "markdown":
        return "\n### Warnings\n\n" + "".join(f"- {_md(w)}\n" for w in said)
    return "\nWarnings\n" + "".join(f"  - {w}\n" for w in said)


# --------------------------------------------------------------------------- cells


def _search_sentence(s: LandUseScreening) -> str:
    if s.search_m == 0:
        return "Searched the site itself only."
    return (
        f"Searched the site and up to {s.search_m:g} m from its boundary "
        f"(bands: {', '.join(s.band_labels)})."
    )


def _date_part(value: str | None, raw: str | None) -> str | None:
    if value:
        return value
    if raw and raw.strip():
        return f"'{raw.strip()}'?"
    return None


def dates_cell(r: LandUseRecord) -> str:
    """Return a record's dates as written for a table (unparsed ones quoted with ``?``)."""
    if r.epoch is not None:
        return f"{r.epoch} map"
    s = _date_part(r.start, r.start_raw)
    e = _date_part(r.end, r.end_raw)
    if s and e:
        return f"{s} to {e}"
    if s:
        return f"from {s}"
    if e:
        return f"until {e}"
    return ""


def notes_cell(r: LandUseRecord, width: int | None = _NOTES_WIDTH) -> str:
    """Return a record's further attributes in one line (waste types, controls...)."""
    d = dict(r.details)
    parts = []
    if "waste_types" in d:
        parts.append("waste: " + (", ".join(d.pop("waste_types")) or "not recorded"))
        parts.append(f"gas control: {d.pop('gas_control', 'not recorded')}")
        parts.append(f"leachate control: {d.pop('leachate_control', 'not recorded')}")
        licence = d.pop("licence", [])
        if licence:
            parts.append("licence: " + ", ".join(licence))
        if "licence_holder" in d:
            parts.append(f"holder: {d.pop('licence_holder')}")
    parts.extend(f"{k}={v}" for k, v in d.items() if v not in (None, "", []))
    text = "; ".join(parts)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _name_cell(r: LandUseRecord) -> str:
    if r.name and r.reference:
        return f"{r.name} ({r.reference})"
    return r.name or r.reference or ""


def number_cell(r: LandUseRecord) -> str:
    """Return the record's number as shown on the map and figures, or ``-`` on the site."""
    return "-" if r.number is None else str(r.number)


def _direction_cell(r: LandUseRecord) -> str:
    return r.direction or "-"


def _share_text(t: TimelineEntry) -> str:
    parts = [f"{c.category} {_pct(c.share_pct)}" for c in t.classes]
    if t.unmapped_pct >= 0.5 or not parts:
        parts.append(f"not mapped {_pct(t.unmapped_pct)}")
    return ", ".join(parts)


def _pct(p: float) -> str:
    return "<1%" if 0 < p < 0.5 else f"{p:.0f}%"


def _timeline_by_layer(s: LandUseScreening) -> dict[str, list[TimelineEntry]]:
    out: dict[str, list[TimelineEntry]] = {}
    for t in s.timeline:
        out.setdefault(t.layer, []).append(t)
    return out


def _dropped(p) -> str:
    n = p.dropped_features
    return f" ({n} row{'s' if n != 1 else ''} without a usable location left out)" if n else ""


def _layer_label(p) -> str:
    schema = _SCHEMA_LABELS.get(p.schema or "")
    return f"{p.kind}, {schema} schema" if schema else p.kind


def _date_problems(s: LandUseScreening) -> list[str]:
    return [
        f"{r.layer} {r.reference or r.name or '#' + str(r.feature_index)}: {r.date_flag}"
        for r in s.records
        if r.date_flag
    ]


def _table(headers: Sequence[str], rows: list[list[str]], right: set[int]) -> list[str]:
    rows = [[terminal_text(c) for c in row] for row in rows]  # a value is one cell, one line
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(cells):
        out = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return "  " + "  ".join(out).rstrip()

    return [line(headers)] + [line(r) for r in rows]


# --------------------------------------------------------------------------- text


def render_text(screening: LandUseScreening) -> str:
    """Render for an officer: the verdicts as a paragraph, a records table, the timeline.

    Parameters
    ----------
    screening
        The result of :func:`airq.analyse.landuse.screen_landuse`.

    Returns
    -------
    str
        Plain text; distances in metres to 0.1 m.
    """
    s = screening
    lines = ["Land-use history screening", ""]
    lines.append(" ".join([_search_sentence(s)] + [v.text for v in s.verdicts]))
    if s.records:
        headers = ["no.", "distance", "dir", "band", "layer", "category", "name", "dates",
                   "notes"]
        rows = [
            [
                number_cell(r),
                f"{r.distance_m:.1f} m",
                _direction_cell(r),
                r.band,
                r.layer,
                r.category or "",
                _name_cell(r),
                dates_cell(r),
                notes_cell(r),
            ]
            for r in s.records
        ]
        lines += ["", "Records (no. as on the maps; distance from the site boundary; "
                  "direction from its centre)"]
        lines += _table(headers, rows, right={0, 1})
    for layer, entries in _timeline_by_layer(s).items():
        lines += ["", f"Land use on the site by map epoch (layer {layer})"]
        lines.append("  " + "; ".join(f"{t.epoch}: {_share_text(t)}" for t in entries))
    problems = _date_problems(s)
    if problems:
        lines += ["", "Dates to check (kept as written)"]
        lines += [f"  {p}" for p in problems]
    if s.layers:
        lines += ["", "Layers searched"]
        for p in s.layers:
            added = f", added {p.added}" if p.added else ""
            lines.append(
                f"  {p.name} ({_layer_label(p)}): {p.feature_count} "
                f"feature{'' if p.feature_count == 1 else 's'}{_dropped(p)} from "
                f"{p.source_path} ({p.source_crs}), sha256 {p.sha256 or '-'}{added}"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown


def _md(text: str) -> str:
    return markdown_text(text)


def render_markdown(screening: LandUseScreening) -> str:
    """Render as Markdown: verdicts, a records table, the timeline and the layers.

    Parameters
    ----------
    screening
        The result of :func:`airq.analyse.landuse.screen_landuse`.

    Returns
    -------
    str
    """
    s = screening
    lines = ["## Land-use history screening", "", _search_sentence(s), ""]
    lines += [f"- **{_md(v.layer)}**: {_md(v.text)}" for v in s.verdicts]
    if s.records:
        lines += [
            "",
            "### Records",
            "",
            "No. as on the maps; distance from the site boundary; direction from the centre "
            "of the site.",
            "",
            "| No. | Distance (m) | Direction | Band | Layer | Category | Name | Dates | Notes |",
            "|---:|---:|---|---|---|---|---|---|---|",
        ]
        for r in s.records:
            cells = [
                number_cell(r),
                f"{r.distance_m:.1f}",
                _direction_cell(r),
                r.band,
                r.layer,
                r.category or "",
                _name_cell(r),
                dates_cell(r),
                notes_cell(r, width=None),
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    for layer, entries in _timeline_by_layer(s).items():
        lines += ["", f"### Land use on the site by map epoch ({_md(layer)})", ""]
        lines += [f"- **{t.epoch}**: {_md(_share_text(t))}" for t in entries]
    problems = _date_problems(s)
    if problems:
        lines += ["", "### Dates to check", ""]
        lines += [f"- {_md(p)}" for p in problems]
    if s.layers:
        lines += [
            "",
            "### Layers searched",
            "",
            "| Layer | Kind | Features | Source | CRS | SHA-256 | Added |",
            "|---|---|---:|---|---|---|---|",
        ]
        for p in s.layers:
            cells = [
                p.name,
                _layer_label(p),
                f"{p.feature_count}{_dropped(p)}",
                p.source_path,
                p.source_crs,
                p.sha256 or "-",
                p.added or "-",
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- catalogue


def render_layer_list(entries: Sequence) -> str:
    """Render catalogue entries (``airq.read.catalogue.layers.LayerEntry``) as a text table."""
    headers = ["name", "kind", "features", "geometry", "source CRS", "added", "source"]
    rows = [
        [
            e.name,
            _layer_label(e.provenance),
            str(e.feature_count),
            ", ".join(e.provenance.geometry_types),
            e.provenance.source_crs,
            (e.provenance.added or "")[:10],
            e.provenance.source_path,
        ]
        for e in entries
    ]
    return "\n".join(_table(headers, rows, right={2})) + "\n"


def render_layer_info(entry) -> str:
    """Render one catalogue entry (a ``LayerEntry``) with its provenance."""
    p = entry.provenance
    mapping = ", ".join(f"{k} = {v}" for k, v in p.mapping.items()) or "none (attributes as is)"
    rows = [
        ("name", p.name),
        ("kind", p.kind),
        ("schema", _SCHEMA_LABELS.get(p.schema or "", "none recognised")),
        ("features", str(p.feature_count)),
        ("left out", f"{p.dropped_features} without a usable geometry or location"),
        ("geometry", ", ".join(p.geometry_types)),
        ("source", p.source_path),
        ("source layer", p.source_layer or "-"),
        ("sha256", p.sha256),
        ("source CRS", p.source_crs),
        ("stored as", f"{entry.path} (EPSG:27700)"),
        ("added", p.added or "-"),
        ("field mapping", mapping),
        ("fields", ", ".join(p.fields)),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows) + "\n"


def render_tile_sources(sources: Sequence, key_env: str) -> str:
    """Render historic tile sources (``airq.render.tiles.TileSource``) as a text table."""
    headers = ["id", "years", "title", "coverage", "usable"]
    rows = [
        [
            s.id,
            s.epochs,
            s.title,
            s.coverage,
            "yes" if s.ready else f"needs key ({key_env})",
        ]
        for s in sources
    ]
    key_set = any(s.key_set for s in sources)
    lines = _table(headers, rows, right=set())
    attributions = sorted({s.attribution for s in sources})
    lines += ["", "Attribution (show it with the tiles): " + "; ".join(attributions)]
    lines.append(f"MapTiler key: {key_env} is {'set' if key_set else 'not set'}.")
    return "\n".join(lines) + "\n"
