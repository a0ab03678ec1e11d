"""Historic map sheets on the interactive map: image overlays with an opacity slider.

Each sheet's window is warped to Web Mercator, clipped to the search area and inlined
as a PNG data URI, so the page needs no tile server and works offline. Each epoch is
an overlay in the layer control, named by its epoch and title; a small control of
our own (no plugin, no CDN) holds one opacity slider per sheet.
"""

from __future__ import annotations

import json

from airq.render.escape import page_text

#: Opacity a historic overlay opens with.
DEFAULT_OPACITY = 0.8
#: The map pane of the overlays: above the base tiles (200), below the shapes (400).
PANE = "airqHistoric"
PANE_Z = 350

OVERLAY_CSS = """
.airq-opacity {background: rgba(255,255,255,.94); padding: 5px 8px; font: 11px/1.3 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.4); max-width: 230px;}
.airq-opacity b {display: block; margin-bottom: 2px;}
.airq-opacity label {display: block;}
.airq-opacity input {width: 100%; margin: 0;}
"""


def overlay_name(sheet) -> str:
    """Return the overlay's name in the layer control (plain text; escape before use)."""
    synth = " (SYNTHETIC)" if sheet.synthetic and "SYNTHETIC" not in sheet.title.upper() else ""
    when = f"{sheet.epoch}" if sheet.epoch is not None else "undated"
    return f"Historic map {when}: {sheet.title}{synth}"


def sheet_overlays(sheets, search_bounds_3857) -> list:
    """Folium image overlays of the sheets (the oldest shown at first).

    Parameters
    ----------
    sheets
        :class:`airq.read.historic_maps.MapSheet` objects, oldest first.
    search_bounds_3857
        ``(minx, miny, maxx, maxy)`` of the search area in EPSG:3857; each overlay is
        clipped to it.

    Returns
    -------
    list of (folium.raster_layers.ImageOverlay, MapSheet)
    """
    import folium
    from pyproj import Transformer

    from airq.render.sheet_images import png_data_uri, warp_sheet

    to_wgs = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    out = []
    for i, sheet in enumerate(sheets):
        rgba, b = warp_sheet(sheet, "EPSG:3857", search_bounds_3857)
        if rgba is None:
            continue
        west, south = to_wgs.transform(b[0], b[1])
        east, north = to_wgs.transform(b[2], b[3])
        name = overlay_name(sheet)
        overlay = folium.raster_layers.ImageOverlay(
            image=png_data_uri(rgba), bounds=[[south, west], [north, east]],
            name=page_text(name), opacity=DEFAULT_OPACITY, show=(i == 0), pixelated=False,
            attribution=page_text(f"{name}: {sheet.attribution}"),
            className=f"airq-historic airq-historic-{i}", interactive=False, pane=PANE)
        out.append((overlay, sheet))
    return out


def opacity_control_js(map_name: str, overlays) -> str:
    """JavaScript adding one opacity slider per overlay (a Leaflet control, bottom left)."""
    if not overlays:
        return ""
    rows = "".join(
        f'<label>{page_text(overlay_name(sheet))}'
        f'<input type="range" min="0" max="100" value="{int(DEFAULT_OPACITY * 100)}" '
        f'data-airq-overlay="{i}" aria-label="opacity of {page_text(overlay_name(sheet))}">'
        f"</label>" for i, (_, sheet) in enumerate(overlays))
    body = f"<b>Historic map opacity</b>{rows}"
    names = "[" + ", ".join(o.get_name() for o, _ in overlays) + "]"
    return f"""
(function() {{
  var overlays = {names};
  var C = L.Control.extend({{options: {{position: 'bottomleft'}},
    onAdd: function() {{
      var div = L.DomUtil.create('div', 'airq-opacity leaflet-control');
      div.innerHTML = {json.dumps(body)};
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.querySelectorAll('input').forEach(function (input) {{
        input.addEventListener('input', function () {{
          overlays[+input.dataset.airqOverlay].setOpacity(input.value / 100);
        }});
      }});
      return div; }} }});
  new C().addTo({map_name});
}})();
"""
