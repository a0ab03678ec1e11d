"""The interactive map draws land-use records as their true shapes (issue 12, items 1, 5).

Everything is generated here: a site airq has never seen, an LAEI-layout grid and a
landfill with irregular vertices. The GeoJSON is read back out of the page and
compared with the layer's own vertices after an independent reprojection (pyproj).
"""

from __future__ import annotations

import json
import math
import re

import pytest
import shapely
from pyproj import Transformer

from airq.cli import cli
from tests import mapdata


def page_geojson(page: str) -> list[dict]:
    """Every GeoJSON object folium added to the page, in order."""
    out = []
    dec = json.JSONDecoder()
    for m in re.finditer(r"geo_json_[0-9a-f]+_add\(", page):
        obj, _ = dec.raw_decode(page, m.end())
        out.append(obj)
    return out


def page_features(page: str, key: str) -> list[dict]:
    """GeoJSON features on the page whose properties hold ``key``."""
    feats = []
    for obj in page_geojson(page):
        for f in obj.get("features", [obj] if obj.get("type") == "Feature" else []):
            if key in f.get("properties", {}):
                feats.append(f)
    return feats


def landuse_features(page: str) -> list[dict]:
    return page_features(page, "airq_layer")


def assert_landfill_vertices(page: str, tolerance_m: float = 1.0) -> dict:
    """Assert the page's one land-use feature is :data:`mapdata.LANDFILL`'s polygon.

    Its ring is taken back to EPSG:27700 with pyproj (not by airq); every vertex must
    lie within ``tolerance_m`` of the layer's own. Returns the feature.
    """
    (feat,) = landuse_features(page)
    assert feat["geometry"]["type"] == "Polygon"
    back = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    got = [back.transform(lon, lat) for lon, lat in feat["geometry"]["coordinates"][0]]
    want = list(mapdata.LANDFILL.exterior.coords)
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        assert math.hypot(gx - wx, gy - wy) < tolerance_m, ((gx, gy), (wx, wy))
    return feat


def number_markers(page: str) -> dict[int, tuple[float, float]]:
    """``{record number: (lat, lon)}`` of the numbered labels on the page."""
    markers = dict(re.findall(r"var (marker_\w+) = L\.marker\(\s*(\[[^\]]+\])", page))
    icons = {}
    for name, body in re.findall(r"var (div_icon_\w+) = L\.divIcon\((\{.*?\})\);", page,
                                 re.S):
        n = re.search(r"airq-num\\\"\\u003e(\d+)\\u003c", body)
        if n:
            icons[name] = int(n.group(1))
    out = {}
    for marker, icon in re.findall(r"(marker_\w+)\.setIcon\((div_icon_\w+)\)", page):
        if icon in icons:
            out[icons[icon]] = tuple(json.loads(markers[marker]))
    return out


@pytest.fixture
def site(tmp_path):
    mapdata.write_plots(tmp_path / "plots.gpkg")
    grid = mapdata.write_grid(tmp_path)
    mapdata.write_landfill(tmp_path / "landfill.gpkg",
                           name="<img src=x onerror=alert(1)> Tip `${x}` \\u")
    return tmp_path, grid


def _map(runner, tmp_path, grid, *extra):
    out = tmp_path / "map.html"
    res = runner.invoke(cli, ["map", str(tmp_path / "plots.gpkg"), "--grid",
                              f"no2:2020={grid}", "--layer", str(tmp_path / "landfill.gpkg"),
                              "-o", str(out), *extra], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return out.read_text("utf-8")


def test_landfill_polygon_has_the_layers_true_vertices(runner, site):
    tmp_path, grid = site
    page = _map(runner, tmp_path, grid)
    feat = assert_landfill_vertices(page)
    assert feat["properties"]["airq_number"] == 1
    # numbered where it lies, on its own surface
    (lat, lon), = number_markers(page).values()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    assert mapdata.LANDFILL.contains(shapely.Point(x, y))
    assert "approximate" not in page


def test_popups_and_names_are_escaped(runner, site):
    tmp_path, grid = site
    page = _map(runner, tmp_path, grid)
    (feat,) = landuse_features(page)
    popup = feat["properties"]["popup_html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in popup
    assert "<img" not in popup and "`" not in popup and "${" not in popup
    assert "&#96;&#36;&#123;x&#125;&#96;" in popup and "&#92;u" in popup
    assert "No.</th><td>1</td>" in popup
    assert "north-east of the site boundary" in popup and "Layer</th><td>landfill (landfill)" \
        in popup
    assert "1890-03-01 to 1910-12-31" in popup
    assert "<img src=x" not in page


def test_bands_are_buffers_of_the_site_and_the_map_opens_on_them(runner, site):
    tmp_path, grid = site
    page = _map(runner, tmp_path, grid)
    bands = page_features(page, "airq_band_m")
    assert [b["properties"]["airq_band_m"] for b in bands] == [50.0, 250.0, 500.0]
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    site = mapdata.site_area()
    for b in bands:
        ring = [to_bng.transform(*c) for c in b["geometry"]["coordinates"][0]]
        d = [site.exterior.distance(shapely.Point(p)) for p in ring]
        assert min(d) == pytest.approx(b["properties"]["airq_band_m"], abs=0.5)
        assert max(d) == pytest.approx(b["properties"]["airq_band_m"], abs=0.5)
    m = re.findall(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert len(m) == 1
    (s, w), (n, e) = json.loads(m[0])
    lons, lats = zip(*bands[-1]["geometry"]["coordinates"][0], strict=True)
    # the map opens on the whole search area: the bounds of the outer band
    assert (s, w, n, e) == pytest.approx((min(lats), min(lons), max(lats), max(lons)),
                                         abs=1e-7)


def test_layer_control_collapses_on_small_screens(runner, site):
    tmp_path, grid = site
    page = _map(runner, tmp_path, grid)
    assert "matchMedia('(max-width: 700px)')" in page
    assert "ctrl.options.collapsed = true" in page
