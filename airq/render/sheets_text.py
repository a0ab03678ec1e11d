"""Historic map sheets and base maps in the text and Markdown outputs: what was drawn, from what."""

from __future__ import annotations

from pathlib import Path


def sheet_provenance_line(i: dict) -> str:
    """One provenance line for a ``historic-map`` or ``basemap`` input."""
    what = "historic map" if i["role"] == "historic-map" else "base map"
    when = f" {i['epoch']}" if i.get("epoch") is not None else ""
    name = f", catalogued as {i['name']}" if i.get("name") else ""
    src = i["source"] if i.get("format") == "web tiles" else Path(i["source"]).name
    side = "".join(f"; {Path(s['source']).name} sha256 {s['sha256']}"
                   for s in i.get("sidecars") or ())
    return (f"{what}{when} ({i['title']}): {src}{name}, {i['format']}, sha256 {i['sha256']}"
            f"{side}, CRS {i['crs']} ({i['crs_note']}); attribution: {i['attribution']}")


def sheet_summary_lines(a) -> list[str]:
    """Lines naming the historic sheets drawn on the maps and the figures' base map."""
    out = []
    for s in a.map_sheets:
        when = str(s.epoch) if s.epoch is not None else "undated"
        cover = "" if s.coverage >= 0.999 else f"; covers {100 * s.coverage:.0f}% of the area"
        out.append(f"{when}: {s.title} ({s.format}, {s.attribution}{cover})")
    if a.basemap is not None and all(a.basemap is not s for s in a.map_sheets):
        out.append(f"base map of the figures: {a.basemap.title} ({a.basemap.attribution})")
    return out
