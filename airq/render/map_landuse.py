"""Land-use layers of the interactive map: the records' true shapes, numbers and bands.

Each record is drawn with the geometry the screening kept (EPSG:27700, clipped to
the search area), reprojected to WGS84 for Leaflet; off-site records carry the
number they have in the report's table and the text output. The search bands are
buffers of the site boundary. Every value that reaches the page is escaped first.
"""

from __future__ import annotations

import json

from airq.analyse.landuse.bands import DIRECTION_WORDS
from airq.render.escape import page_text
from airq.render.landuse_style import label_points, record_label, record_style

#: Colour of the search-band outlines.
BAND_COLOUR = "#c51b7d"

NUMBER_CSS = """
.airq-num {display: flex; align-items: center; justify-content: center; width: 20px;
  height: 20px; border-radius: 50%; background: #fff; border: 2px solid #222;
  font: bold 11px/1 sans-serif; color: #111; box-shadow: 0 1px 3px rgba(0,0,0,.5);}
.airq-popup td {padding: 0 6px 0 0; vertical-align: top; font-size: 12px;}
.airq-popup th {text-align: left; padding: 0 6px 0 0; font-size: 12px;}
"""


def _to_wgs84(geoms, crs="EPSG:27700"):
    import geopandas as gpd

    return gpd.GeoSeries(list(geoms), crs=crs).to_crs("EPSG:4326")


def where_text(r) -> str:
    """Distance and direction of a record from the site, in words."""
    if r.on_site:
        return "on the site"
    towards = f" {DIRECTION_WORDS[r.direction]}" if r.direction else ""
    return f"{r.distance_m:.0f} m{towards} of the site boundary ({r.band})"


def popup_html(r) -> str:
    """Return a record's popup: number, name, category, dates, distance and direction, layer."""
    from airq.render.landuse_text import dates_cell, notes_cell

    rows = []
    if r.number is not None:
        rows.append(("No.", str(r.number)))
    name = r.name + (f" ({r.reference})" if r.reference and r.name else "") if r.name else \
        r.reference
    if name:
        rows.append(("Name", name))
    rows.append(("Category", r.category or "-"))
    rows.append(("Dates", dates_cell(r) or "not recorded"))
    rows.append(("Where", where_text(r)))
    rows.append(("Layer", f"{r.layer} ({r.kind})"))
    notes = notes_cell(r, width=160)
    if notes:
        rows.append(("Notes", notes))
    body = "".join(f"<tr><th>{page_text(k)}</th><td>{page_text(v)}</td></tr>"
                   for k, v in rows)
    return f'<table class="airq-popup">{body}</table>'


def tooltip_html(r) -> str:
    """Return a record's tooltip: its number and label."""
    prefix = f"{r.number}. " if r.number is not None else ""
    return page_text(prefix + record_label(r))


def _group_name(r) -> str:
    if r.epoch is not None:
        return f"Land use on the {r.epoch} map ({r.layer})"
    return f"Land use: {r.layer}"


def landuse_layers(screening) -> list:
    """Folium feature groups: one per land-use layer (per map epoch for epoch layers).

    Parameters
    ----------
    screening
        A :class:`~airq.analyse.landuse.LandUseScreening` whose records carry their
        geometry.

    Returns
    -------
    list of folium.FeatureGroup
        Non-epoch layers are shown at first, epoch layers wait in the layer control.
    """
    import folium
    from folium.utilities import JsCode

    records = [r for r in screening.records if r.geometry is not None]
    if not records:
        return []
    wgs = _to_wgs84([r.geometry for r in records])
    groups: dict[str, list] = {}
    for r, g in zip(records, wgs, strict=True):
        groups.setdefault(_group_name(r), []).append((r, g))
    # Labels kept about a label's width apart at the scale the map opens at.
    sep = max(8.0, 2 * (screening.search_m + 100) / 16)
    labels = label_points(records, sep)
    label_wgs = dict(zip(labels, _to_wgs84(labels.values()), strict=True)) if labels else {}
    out = []
    bind = JsCode("function (feature, layer) {"
                  " layer.bindPopup(feature.properties.popup_html, {maxWidth: 320});"
                  " layer.bindTooltip(feature.properties.tooltip_html, {sticky: true}); }")
    for name, items in groups.items():
        epoch_group = items[0][0].epoch is not None
        fg = folium.FeatureGroup(name=page_text(name), show=not epoch_group)
        features = []
        styles = {}
        for i, (r, g) in enumerate(items):
            fid = f"{r.layer}:{r.feature_index}"
            style = dict(record_style(r))
            cls = "airq-landuse" + (f" airq-rec-{r.number}" if r.number is not None else "")
            style["className"] = cls
            styles[fid] = style
            features.append({
                "type": "Feature", "id": fid,
                "properties": {"airq_layer": r.layer, "airq_number": r.number,
                               "airq_feature": r.feature_index, "airq_order": i,
                               "popup_html": popup_html(r), "tooltip_html": tooltip_html(r)},
                "geometry": json.loads(_geojson(g)),
            })
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name=page_text(name),
            style_function=lambda f, styles=styles: styles[f["id"]],
            highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.5},
            on_each_feature=bind,
            marker=folium.CircleMarker(radius=6, weight=2, fill=True, fill_opacity=0.8),
        ).add_to(fg)
        for r, _g in items:
            if r.number not in label_wgs:
                continue
            p = label_wgs[r.number]
            folium.Marker(
                [p.y, p.x],
                icon=folium.DivIcon(html=f'<div class="airq-num">{int(r.number)}</div>',
                                    icon_size=(24, 24), icon_anchor=(12, 12),
                                    class_name="airq-num-icon"),
                tooltip=tooltip_html(r),
            ).add_to(fg)
        out.append(fg)
    return out


def _geojson(geom) -> str:
    import shapely

    return shapely.to_geojson(geom)


def bands_layer(screening):
    """Draw the search bands as dashed outlines of the site buffered by each band edge."""
    import folium

    edges = [e for e in screening.bands_m if e > 0]
    if screening.area is None or not edges:
        return None
    rings = folium.FeatureGroup(name="Land-use search bands", show=True)
    shapes = _to_wgs84([screening.band_area(e) for e in edges])
    for edge, shape in zip(edges, shapes, strict=True):
        folium.GeoJson(
            {"type": "Feature", "properties": {"airq_band_m": edge},
             "geometry": json.loads(_geojson(shape))},
            name=f"{edge:g} m",
            style_function=lambda _f: {"color": BAND_COLOUR, "weight": 1.5,
                                       "dashArray": "6 4", "fill": False,
                                       "className": "airq-band"},
            tooltip=f"{edge:g} m from the site boundary",
        ).add_to(rings)
    return rings


def search_bounds_wgs84(screening):
    """Bounds ``[[south, west], [north, east]]`` of the whole search area, or None."""
    if screening is None or screening.area is None:
        return None
    shape = _to_wgs84([screening.band_area(screening.search_m)])
    minx, miny, maxx, maxy = shape.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
