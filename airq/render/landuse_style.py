"""How land-use records look on the maps and figures: colours by layer kind and category.

The interactive map (``map_landuse``), the static figures and the historic map
extracts share these, so a record looks the same everywhere it is drawn, with the
same number.
"""

from __future__ import annotations

import hashlib

#: Outline colour per layer kind (records that are not map-epoch land use).
KIND_COLOURS = {
    "landfill": "#8c2d04",
    "industry": "#7a0177",
    "brownfield": "#d94801",
    "generic": "#084594",
}

#: Fill colours of common land-use classes on epoch layers (others get a stable colour).
CATEGORY_COLOURS = {
    "fields": "#b8e186",
    "residential": "#f4a582",
    "industrial": "#8073ac",
    "allotments": "#5aae61",
    "railway": "#525252",
    "road": "#969696",
    "gravel pit": "#dfc27d",
    "landfill": "#8c510a",
    "water": "#6baed6",
    "woodland": "#1b7837",
    "parkland": "#a6dba0",
}

_FALLBACK = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3",
             "#fb9a99", "#fdbf6f", "#cab2d6")


def _stable_colour(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return _FALLBACK[digest[0] % len(_FALLBACK)]


def record_colour(record) -> str:
    """Return the colour a record is drawn in: by category on epoch layers, else by kind."""
    if record.epoch is not None:
        cat = (record.category or "").strip().lower()
        return CATEGORY_COLOURS.get(cat) or _stable_colour(cat)
    return KIND_COLOURS.get(record.kind) or _stable_colour(record.kind)


def record_style(record) -> dict:
    """Return Leaflet path options for a record's shape (also read by the figures)."""
    colour = record_colour(record)
    if record.epoch is not None:
        return {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.45,
                "opacity": 0.9}
    return {"color": colour, "weight": 2.5, "fillColor": colour, "fillOpacity": 0.25,
            "opacity": 1.0}


def record_label(record) -> str:
    """Return a short plain-text label: name, else reference, category or layer."""
    return record.name or record.reference or record.category or record.layer


def label_points(records, min_sep_m: float) -> dict:
    """Where each numbered record's label stands, in the records' CRS (EPSG:27700).

    A label stands on the record's shape (a polygon's surface, the middle of a line,
    the point itself); when that is within ``min_sep_m`` of a label already placed (two
    records drawn on the same ground) it moves to another spot on the shape, or beside
    it, so every number can be read.

    Returns
    -------
    dict
        ``{record number: shapely Point}``.
    """
    import numpy as np
    import shapely

    placed: dict = {}
    for r in records:
        if r.number is None or r.geometry is None or r.geometry.is_empty:
            continue
        first = _first_label_point(r.geometry)
        cands = [first, *_spare_points(r.geometry, first)]
        cands += [shapely.Point(first.x + min_sep_m * np.cos(t), first.y + min_sep_m * np.sin(t))
                  for t in np.radians(np.arange(0, 360, 45))]

        def clear(p):
            return all(p.distance(q) >= min_sep_m for q in placed.values())

        placed[r.number] = next((p for p in cands if clear(p)), cands[0])
    return placed


def _first_label_point(geom):
    import shapely

    if geom.geom_type in ("LineString", "MultiLineString"):
        parts = sorted(shapely.get_parts(geom), key=lambda g: -g.length)
        return parts[0].interpolate(0.5, normalized=True)
    if geom.geom_type in ("Point", "MultiPoint"):
        return shapely.get_parts(geom)[0]
    return geom.point_on_surface()


def _spare_points(geom, first) -> list:
    """Other points on a shape, nearest the first label point first (5 x 5 lattice)."""
    import numpy as np
    import shapely

    if geom.geom_type in ("Point", "MultiPoint"):
        return []
    if geom.geom_type in ("LineString", "MultiLineString"):
        return [geom.interpolate(f, normalized=True) for f in (0.25, 0.75, 0.1, 0.9)]
    minx, miny, maxx, maxy = geom.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 7)[1:-1], np.linspace(miny, maxy, 7)[1:-1])
    pts = shapely.points(xs.ravel(), ys.ravel())
    pts = pts[shapely.contains(geom, pts)]
    return sorted(pts, key=lambda p: p.distance(first))
