"""Interactive Folium/Leaflet maps of an Assessment, optionally with every asset inlined.

The map draws what the Assessment already holds: the boundaries (in orange), the
sampled grid points coloured by value, the land-use records and search bands. It
computes no statistics; colour scales are taken from the sample values. Folium is
imported here only, never by the analysis modules.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from airq.errors import InputError
from airq.read.grids import POLLUTANTS
from airq.render.escape import page_frame, page_text
from airq.render.map_landuse import NUMBER_CSS, bands_layer, landuse_layers, search_bounds_wgs84
from airq.render.map_overlays import (
    OVERLAY_CSS,
    PANE,
    PANE_Z,
    opacity_control_js,
    sheet_overlays,
)
from airq.results import SYNTHETIC_BANNER, Assessment, Samples, run_warnings

log = logging.getLogger(__name__)

#: Colour of the residential boundaries (the case's map draws them in orange).
BOUNDARY_COLOUR = "#ff7f00"
#: Colours of the value scale (viridis stops: distinct from the orange boundaries).
SCALE_COLOURS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
#: Colour of land-use record markers and search-band rings.
LANDUSE_COLOUR = "#c51b7d"

_OSM_ATTR = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
             "contributors")


def _fmt(v: float) -> str:
    return f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"


def _sample_name(s: Samples) -> str:
    return f"{POLLUTANTS.get(s.pollutant, s.pollutant)} {s.year}"


def objective_for(a: Assessment, pollutant: str, year) -> tuple[float | None, str]:
    """Return the objective the legend marks for a pollutant and its wording.

    The annual-mean objective of the first objective set (as in the report), or for
    the PM10 exceedance-day grid the number of days allowed.
    """
    for r in a.results:
        if r.pollutant == pollutant and r.year == year and r.first is not None:
            o = r.first.objective
            return float(o.value), f"objective {o.value:g} {r.units} ({o.set})"
    for s in a.short_term:
        if pollutant == "pm10d" and s.objective.pollutant == "pm10" and \
                s.objective.allowed_exceedances is not None:
            n = s.objective.allowed_exceedances
            return float(n), f"objective: not more than {n} days ({s.objective.set})"
    return None, "no objective in the chosen sets"


@dataclass(frozen=True)
class Scale:
    """A colour scale for one pollutant across its model years."""

    pollutant: str
    units: str
    vmin: float
    vmax: float
    objective: float | None
    objective_text: str

    @property
    def name(self) -> str:
        """Display name of the pollutant."""
        return POLLUTANTS.get(self.pollutant, self.pollutant)

    def colour(self, v: float) -> str:
        """Hex colour of a value on the scale."""
        import branca.colormap as cm

        cmap = cm.LinearColormap(list(SCALE_COLOURS), vmin=self.vmin, vmax=self.vmax)
        return cmap.rgb_hex_str(min(max(v, self.vmin), self.vmax))

    def position(self, v: float) -> float:
        """Where a value lies along the scale, 0 to 1 (clipped)."""
        if self.vmax == self.vmin:
            return 0.5
        return float(min(max((v - self.vmin) / (self.vmax - self.vmin), 0.0), 1.0))


def colour_scales(a: Assessment) -> dict[str, Scale]:
    """One colour scale per pollutant, spanning its sample values over all model years."""
    out: dict[str, Scale] = {}
    for pol in dict.fromkeys(s.pollutant for s in a.samples):
        group = [s for s in a.samples if s.pollutant == pol]
        vals = np.concatenate([np.asarray(s.value, dtype=float) for s in group])
        vals = vals[np.isfinite(vals)]
        if vals.size == 0:
            continue
        obj, text = objective_for(a, pol, group[-1].year)
        lo, hi = float(vals.min()), float(vals.max())
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        out[pol] = Scale(pol, group[0].units, lo, hi, obj, text)
    return out


def _transformer(crs: str):
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _legend_html(scales: dict[str, Scale]) -> str:
    gradient = ", ".join(SCALE_COLOURS)
    rows = []
    for s in scales.values():
        if s.objective is None:
            mark, note = "", s.objective_text
        elif s.objective > s.vmax:
            mark, note = "", f"{s.objective_text}: above every value shown"
        elif s.objective < s.vmin:
            mark, note = "", f"{s.objective_text}: below every value shown"
        else:
            left = 100 * s.position(s.objective)
            mark = (f'<div class="airq-objective-mark" style="left:{left:.1f}%" '
                    f'title="{page_text(s.objective_text)}"></div>')
            note = f"{s.objective_text}: marked &#9650;"
        rows.append(
            f'<div class="airq-legend-row" data-pollutant="{s.pollutant}">'
            f'<div class="airq-legend-name">{page_text(s.name)} ({page_text(s.units)})</div>'
            f'<div class="airq-legend-bar" style="background:linear-gradient(to right, '
            f'{gradient})">{mark}</div>'
            f'<div class="airq-legend-ticks"><span>{_fmt(s.vmin)}</span>'
            f'<span>{_fmt((s.vmin + s.vmax) / 2)}</span><span>{_fmt(s.vmax)}</span></div>'
            f'<div class="airq-legend-note">{note}</div></div>')
    return ('<div id="airq-legend" class="airq-legend leaflet-control">'
            '<div class="airq-legend-title">Modelled annual mean at grid points</div>'
            + "".join(rows)
            + f'<div class="airq-legend-row"><span class="airq-swatch" style="border-color:'
              f'{BOUNDARY_COLOUR}"></span> residential boundaries</div></div>')


_CSS = """
<style>
.leaflet-control-layers-expanded {max-width: 330px;}
.leaflet-control-layers-list label {white-space: normal;}
.airq-legend {background: rgba(255,255,255,.92); padding: 6px 8px; font: 11px/1.3 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.4); width: 230px;}
.airq-legend-title {font-weight: bold; margin-bottom: 4px;}
.airq-legend-row {margin-bottom: 5px;}
.airq-legend-bar {position: relative; height: 10px; border: 1px solid #555;}
.airq-objective-mark {position: absolute; top: -4px; width: 0; height: 16px;
  border-left: 2px solid #d00;}
.airq-objective-mark::after {content: "\\25B2"; color: #d00; position: absolute; top: 12px;
  left: -6px; font-size: 9px;}
.airq-legend-ticks {display: flex; justify-content: space-between; margin-top: 2px;}
.airq-legend-note {color: #444;}
.airq-swatch {display: inline-block; width: 14px; height: 8px; border: 2px solid;}
.airq-title {background: rgba(255,255,255,.94); padding: 6px 10px; font: 12px/1.35 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.4); max-width: 420px;}
.airq-title h1 {font-size: 15px; margin: 0 0 2px 0;}
.airq-sources {color: #444; font-size: 11px; margin-top: 2px;}
.airq-synthetic {color: #fff; background: #b00; font-weight: bold; padding: 2px 4px;
  margin: 3px 0; letter-spacing: .03em;}
@media (max-width: 700px) {
  .airq-title {max-width: 55vw; font-size: 10px; padding: 4px 6px;}
  .airq-title h1 {font-size: 12px;}
  .airq-legend {width: 160px; font-size: 9.5px;}
}
</style>
"""


def _control_js(map_name: str, element_html: str, position: str, cls: str) -> str:
    return f"""
(function() {{
  var C = L.Control.extend({{options: {{position: {json.dumps(position)}}},
    onAdd: function() {{
      var div = L.DomUtil.create('div', {json.dumps(cls)});
      div.innerHTML = {json.dumps(element_html)};
      L.DomEvent.disableClickPropagation(div);
      return div; }} }});
  new C().addTo({map_name});
}})();
"""


def _title_html(a: Assessment) -> str:
    eds = "; ".join(sorted({r.edition_label for r in a.results})) or "no grids"
    years = ", ".join(str(y) for y in a.years)
    synth = (f'<div class="airq-synthetic">{page_text(SYNTHETIC_BANNER)}</div>'
             if a.synthetic else "")
    warned = warning_divs(a.warnings)
    # a conversion of units is an assumption the page's figures rest on: say it
    warned += "".join(f"<div>{page_text(r.name)} {r.year}: {page_text(r.units_note)}</div>"
                      for r in a.results if r.units_note)
    return (f'<div id="airq-title"><h1>Air quality at {page_text(a.area.name)}</h1>{synth}'
            + (f"<div>{page_text(a.area.selection)}</div>" if a.area.selection else "")
            + f"<div>{a.area.n_boundaries} residential boundaries (orange); "
            f"{page_text(eds)}; model year{'s' if len(a.years) != 1 else ''} "
            f"{page_text(years)}</div>"
            f"<div>Modelled annual means, not measurements. airq {a.provenance.airq_version}, "
            f"run {page_text(a.provenance.run_at[:10])}</div>{warned}"
            f'<div class="airq-sources">Data: {page_text(data_attribution(a))}</div></div>')


def data_attribution(a: Assessment) -> str:
    """Attribution of the data drawn (grids, boundaries, land-use layers), as plain text."""
    eds = sorted({r.edition or "unknown edition" for r in a.results})
    parts = []
    if eds:
        owners = sorted({"Defra" if r.background else "Greater London Authority"
                         for r in a.results})
        src = "synthetic demo grids" if a.synthetic else ", ".join(owners)
        parts.append(f"Air quality: {', '.join(eds)} ({src})")
    bsrc = Path(a.area.boundaries.get("source", "")).name
    parts.append(f"Boundaries: {bsrc}")
    if a.land_use is not None and a.land_use.layers:
        parts.append("Land use: " + ", ".join(p.name for p in a.land_use.layers))
    return "; ".join(parts)


def build_map(a: Assessment, *, tile_settings=None, show: str | None = None):
    """Build the interactive map of an Assessment.

    Parameters
    ----------
    a
        The assessment; needs ``boundaries_gdf`` (and ``samples`` for points).
    tile_settings
        Settings or a MapTiler key for the historic tile layers (see
        :func:`airq.render.tiles.list_tile_sources`); None reads ``MAPTILER_KEY``.
    show
        Name of the point layer shown at first, e.g. ``NO2 2020``; default the
        first pollutant of the latest model year. The others are in the layer control.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        If the assessment carries no boundary geometry.
    """
    import folium
    from folium import plugins

    if a.boundaries_gdf is None or len(a.boundaries_gdf) == 0:
        raise InputError("the assessment has no boundary geometry to map")
    gdf = a.boundaries_gdf
    wgs = gdf.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = wgs.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                   control_scale=True, zoom_start=17, max_zoom=20)
    # Leaflet, and jQuery (folium's popups use it); not Bootstrap, Font Awesome or
    # awesome-markers, which this map does not use and which would each be a download.
    m.default_js = [js for js in m.default_js if js[0] in ("leaflet", "jquery")]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    # Open on the site and its whole search area (the site alone without land use).
    search = search_bounds_wgs84(a.land_use)
    if search is not None:
        m.fit_bounds(search, padding=(10, 10))
    else:
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(30, 30))

    # Base layers: OpenStreetMap shows first; the others wait in the layer control.
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=_OSM_ATTR,
                     max_zoom=20, max_native_zoom=19, show=True).add_to(m)
    _xyz_layer(m, "Esri.WorldGrayCanvas", "Light grey (Esri)")
    _xyz_layer(m, "Esri.WorldImagery", "Aerial imagery (Esri)")
    for src in historic_sources(tile_settings):
        folium.TileLayer(tiles=src.url, attr=page_text(src.attribution),
                         name=page_text(f"Historic OS: {src.source.title} "
                                          f"({src.source.epochs})"),
                         max_zoom=20, max_native_zoom=src.source.max_zoom,
                         min_zoom=src.source.min_zoom, overlay=False, show=False).add_to(m)

    overlays = _historic_overlays(m, a)

    scales = colour_scales(a)
    screening = a.land_use
    if screening is not None:
        rings = bands_layer(screening)
        if rings is not None:
            rings.add_to(m)
        for g in landuse_layers(screening):
            g.add_to(m)

    _boundaries_layer(a, wgs).add_to(m)

    default = show or _default_layer(a)
    for s in a.samples:
        if s.pollutant not in scales:
            continue
        _points_layer(s, scales[s.pollutant], _sample_name(s) == default).add_to(m)

    plugins.Fullscreen(position="topleft").add_to(m)
    plugins.MeasureControl(position="topleft", primary_length_unit="meters",
                           primary_area_unit="sqmeters").add_to(m)
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    name = m.get_name()
    m.get_root().header.add_child(raw_element(_CSS.replace(
        "</style>", NUMBER_CSS + OVERLAY_CSS + "</style>")))
    js = (_control_js(name, _title_html(a), "topleft", "airq-title leaflet-control")
          + _control_js(name, _legend_html(scales), "bottomright", "airq-legend-box")
          + opacity_control_js(name, overlays)
          + _collapse_js(name, control.get_name()))
    m.add_child(_script(js))
    return m


def _historic_overlays(m, a: Assessment) -> list:
    """Add the historic map sheets as image overlays clipped to the search area."""
    if not a.map_sheets:
        return []
    import folium
    from rasterio.warp import transform_bounds

    screening = a.land_use
    if screening is not None and screening.area is not None:
        area = screening.band_area(screening.search_m)
        clip = transform_bounds("EPSG:27700", "EPSG:3857", *area.bounds, densify_pts=21)
    else:
        clip = None
    folium.map.CustomPane(PANE, z_index=PANE_Z, pointer_events=False).add_to(m)
    overlays = sheet_overlays(a.map_sheets, clip)
    for overlay, _sheet in overlays:
        overlay.add_to(m)
    return overlays


#: Below this window width (CSS pixels) the layer control starts collapsed.
SMALL_SCREEN_PX = 700


def _collapse_js(map_name: str, control_name: str) -> str:
    """Collapse the layer control on small screens (a tap on its icon opens it)."""
    return f"""
(function() {{
  var ctrl = {control_name};
  if (window.matchMedia && window.matchMedia('(max-width: {SMALL_SCREEN_PX}px)').matches) {{
    ctrl.remove();
    ctrl.options.collapsed = true;
    ctrl.addTo({map_name});
  }}
}})();
"""


def _script(js: str):
    """Return a map child whose JavaScript runs after the map and its layers exist.

    ``js`` holds values from the inputs (the area's name, sheet titles). A branca
    ``MacroElement`` compiles its rendered script again as a Jinja template, where a
    ``{{ }}`` or ``{% %}`` in a value would run as Python; this element adds ``js`` to the
    page's scripts as text (:func:`raw_element`) when the map is rendered.
    """
    from branca.element import MacroElement

    class _AirqScript(MacroElement):
        _name = "AirqControls"

        def render(self, **kwargs):
            self.get_root().script.add_child(raw_element(js), name=self.get_name())

    return _AirqScript()


def warning_divs(warnings) -> str:
    """Return a run's warnings as page markup, one escaped ``Warning:`` line each.

    The SYNTHETIC DEMO DATA notice is left to the page's banner.
    """
    return "".join(f'<div class="airq-warning">Warning: {page_text(w)}</div>'
                   for w in run_warnings(warnings))


def raw_element(text: str):
    """Return a branca element that writes ``text`` into the page exactly as given.

    ``folium.Element(text)`` compiles ``text`` as a Jinja template: a ``{{ ... }}`` in an
    input's value (a plot id in the embedded result) would run as Python while the page
    is rendered. Here the text is the template's data, never its code.
    """
    from branca.element import Element
    from jinja2 import Template

    el = Element()
    el._template = Template("{{ this.airq_text }}")
    el.airq_text = text
    return el


def gpd_series(geoms, crs):
    """Return a GeoSeries of shapely geometries (to reproject drawn shapes)."""
    import geopandas as gpd

    return gpd.GeoSeries(geoms, crs=crs)


def _default_layer(a: Assessment) -> str | None:
    if not a.samples:
        return None
    latest = max((s.year for s in a.samples if s.year is not None), default=None)
    for s in a.samples:
        if s.year == latest:
            return _sample_name(s)
    return _sample_name(a.samples[0])


def _xyz_layer(m, provider: str, name: str) -> None:
    import folium
    import xyzservices.providers as xyz

    p = xyz.query_name(provider)
    folium.TileLayer(tiles=p.build_url(), attr=p.html_attribution, name=name,
                     max_zoom=20, max_native_zoom=p.get("max_zoom", 19), overlay=False,
                     show=False).add_to(m)


def historic_sources(tile_settings=None) -> list:
    """Return the historic OS tile sources usable now (keyed ones only with a key)."""
    from airq.render.tiles import list_tile_sources, resolve_tile_source

    settings = tile_settings if not isinstance(tile_settings, str) else None
    key = tile_settings if isinstance(tile_settings, str) else None
    out = []
    for src in list_tile_sources(tile_settings):
        if src.ready:
            out.append(resolve_tile_source(src.id, key, settings=settings))
    return out


def _boundaries_layer(a: Assessment, wgs):
    import folium

    gdf = wgs[["airq_id", "geometry"]].copy()
    fields, aliases = ["airq_id"], ["boundary"]
    if a.per_boundary:
        for i, key in enumerate(dict.fromkeys((b.pollutant, b.year) for b in a.per_boundary)):
            rows = {b.boundary_id: b for b in a.per_boundary if (b.pollutant, b.year) == key}
            col = f"v{i}"
            gdf[col] = [_boundary_value(rows.get(bid)) for bid in gdf["airq_id"]]
            fields.append(col)
            aliases.append(f"{POLLUTANTS.get(key[0], key[0])} {key[1]}")
    fg = folium.FeatureGroup(name="Residential boundaries", show=True)
    folium.GeoJson(
        page_frame(gdf).__geo_interface__, name="Residential boundaries",
        style_function=lambda _f: {"color": BOUNDARY_COLOUR, "weight": 2.5,
                                   "fillColor": BOUNDARY_COLOUR, "fillOpacity": 0.08},
        highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.25},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(fg)
    return fg


def _boundary_value(row) -> str:
    if row is None or row.stats.mean is None:
        return "no grid point"
    text = _fmt(row.stats.mean)
    return f"{text} (no point inside: the cell it lies in)" if row.fallback else text


def _points_layer(s: Samples, scale: Scale, show: bool):
    import folium

    fg = folium.FeatureGroup(name=page_text(f"Grid points: {_sample_name(s)} ({s.units})"),
                             show=show)
    to_wgs = _transformer(s.crs)
    lon, lat = to_wgs.transform(np.asarray(s.x, float), np.asarray(s.y, float))
    for x, y, v in zip(lon, lat, np.asarray(s.value, float), strict=True):
        if not np.isfinite(v):
            continue
        colour = scale.colour(float(v))
        folium.CircleMarker([float(y), float(x)], radius=5, color="#222222", weight=0.6,
                            fill=True, fill_color=colour, fill_opacity=0.9,
                            tooltip=page_text(f"{_sample_name(s)}: {_fmt(float(v))} {s.units}"),
                            ).add_to(fg)
    return fg


def render_map_html(a: Assessment, *, self_contained: bool = False, tile_settings=None,
                    show: str | None = None) -> str:
    """Render the map as one HTML page (see :func:`build_map`).

    With ``self_contained`` every script and stylesheet is inlined from the copies
    shipped in the package (:mod:`airq.render.assets`), so the page works with no
    internet (tile layers then show nothing).
    The result's JSON document (figures and provenance) is embedded for ``airq verify``.
    """
    from airq.render.embed import html_script

    m = build_map(a, tile_settings=tile_settings, show=show)
    m.get_root().header.add_child(raw_element(html_script(a.to_dict())))
    page = m.get_root().render()
    if self_contained:
        from airq.render.assets import inline_assets

        page = inline_assets(page)
    return page


def write_map(a: Assessment, path, *, overwrite: bool = False, self_contained: bool = False,
              tile_settings=None) -> Path:
    """Write the map HTML atomically to ``path`` and return the path."""
    from airq.outputs import write_text

    return write_text(path, render_map_html(a, self_contained=self_contained,
                                            tile_settings=tile_settings), overwrite)
