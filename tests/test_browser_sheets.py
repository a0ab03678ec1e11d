"""The map appendix on unseen inputs, checked where it matters (issue 12, "Shows").

On boundaries airq has never seen, a landfill polygon and a historic GeoTIFF sheet:

- ``airq map ... --layer LANDFILL --historic-map SHEET.tif:1896 --self-contained``
  writes a page whose landfill polygon has the layer's true vertices (read back out of
  the page), which headless Chromium renders offline with the image overlay: the
  overlay's box on screen and the polygon's path are where their coordinates project
  (computed here with pyproj and the Web Mercator pixel formula, not by Leaflet);
- ``airq report`` with the same options writes a PDF whose historic map extract is
  visible (pixels of the rendered page) and named by its epoch (pdftotext).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from airq.cli import cli
from tests import mapdata
from tests.test_browser import (  # noqa: F401 (recorder is a fixture)
    CHROMIUM,
    PROBE_HEAD,
    chromium,
    recorder,
    run_probe,
)
from tests.test_map_shapes import assert_landfill_vertices

HALF = 20037508.342789244
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

PROBE = PROBE_HEAD + """  window.addEventListener('load', function () {
    setTimeout(function () {
      var map = null;
      for (var k in window) {
        try { if (window[k] instanceof L.Map) { map = window[k]; } } catch (e) {}
      }
      var box = function (el) {
        if (!el) { return null; }
        var r = el.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
      };
      var img = document.querySelector('img.airq-historic');
      var out = {
        zoom: map.getZoom(),
        origin: [map.getPixelOrigin().x, map.getPixelOrigin().y],
        pane: [map._getMapPanePos().x, map._getMapPanePos().y],
        container: box(document.querySelector('.leaflet-container')),
        overlay: box(img),
        overlay_loaded: !!(img && img.complete && img.naturalWidth > 0),
        overlay_opacity: img ? getComputedStyle(img).opacity : null,
        landfill: box(document.querySelector('path.airq-rec-1')),
        bounds: [map.getBounds().getSouth(), map.getBounds().getWest(),
                 map.getBounds().getNorth(), map.getBounds().getEast()],
        layers: Array.prototype.map.call(
          document.querySelectorAll('.leaflet-control-layers-list label'),
          function (l) { return l.textContent.trim(); }),
        sliders: document.querySelectorAll('.airq-opacity input[type=range]').length,
        attribution: (document.querySelector('.leaflet-control-attribution') || {}).textContent,
        resources: performance.getEntriesByType('resource').map(function (r) { return r.name; }),
        errors: window.__airq.errors,
        exceptions: window.__airq.exceptions
      };
      var slider = document.querySelector('.airq-opacity input');
      if (slider) {
        slider.value = 30;
        slider.dispatchEvent(new Event('input'));
        out.opacity_after = getComputedStyle(img).opacity;
      }
      window.__airq.report(out);
    }, 800);
  });
})();
</script>"""


@pytest.fixture
def unseen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mapdata.write_plots(tmp_path / "plots.gpkg", crs="EPSG:4326")  # not even in BNG
    mapdata.write_grid(tmp_path)
    mapdata.write_landfill(tmp_path / "landfill.gpkg")
    mapdata.write_sheet_tif(tmp_path / "sheet.tif", mode="rgb")
    return tmp_path


ARGS = ["plots.gpkg", "--grid", "no2:2020=PostLAEI2013_2020_NO2.asc", "--layer",
        "landfill.gpkg", "--historic-map", "sheet.tif:1896", "--self-contained"]


def _pixel(lon, lat, zoom, origin, pane):
    """Container pixel of a WGS84 point: Web Mercator metres (pyproj) to Leaflet pixels."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    scale = 256 * 2 ** zoom
    px = (x + HALF) / (2 * HALF) * scale
    py = (HALF - y) / (2 * HALF) * scale
    return px - origin[0] + pane[0], py - origin[1] + pane[1]


def _bng_box_pixels(xs, ys, seen):
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    pts = [_pixel(*to_wgs.transform(x, y), seen["zoom"], seen["origin"], seen["pane"])
           for x, y in zip(xs, ys, strict=True)]
    cx, cy = seen["container"][:2]
    px = [p[0] + cx for p in pts]
    py = [p[1] + cy for p in pts]
    return min(px), min(py), max(px), max(py)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_map_with_landfill_and_historic_sheet_in_chromium(runner, unseen, recorder):  # noqa: F811
    res = runner.invoke(cli, ["map", *ARGS, "-o", "map.html"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = (unseen / "map.html").read_text("utf-8")

    # 1. the landfill polygon has the layer's true vertices, to 1 m
    assert_landfill_vertices(page)
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)

    # 2. Chromium, offline: where things are drawn
    seen, _run = run_probe(page, PROBE, unseen, recorder.server_address[1], "1200,900")
    assert seen["exceptions"] == [] and seen["errors"] == []
    assert seen["zoom"] == int(seen["zoom"])
    assert any(label.startswith("Historic map 1896: sheet") for label in seen["layers"])
    assert seen["overlay_loaded"] and float(seen["overlay_opacity"]) == pytest.approx(0.8)
    assert seen["sliders"] == 1 and float(seen["opacity_after"]) == pytest.approx(0.3)
    assert "Historic map 1896: sheet" in seen["attribution"]

    # the overlay covers the sheet's extent (its BNG outline, densified, in Mercator)
    x0, y0, x1, y1 = mapdata.SHEET_BOUNDS
    t = np.linspace(0, 1, 21)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(21, x1), x1 - (x1 - x0) * t, np.full(21, x0)])
    ys = np.concatenate([np.full(21, y0), y0 + (y1 - y0) * t, np.full(21, y1), y1 - (y1 - y0) * t])
    want_box = _bng_box_pixels(xs, ys, seen)
    assert seen["overlay"] == pytest.approx(want_box, abs=2.0), (seen["overlay"], want_box)
    assert want_box[2] - want_box[0] > 150  # big enough on screen to mean something

    # the landfill's path lies where its vertices project
    lx, ly = zip(*mapdata.LANDFILL.exterior.coords, strict=True)
    want_fill = _bng_box_pixels(lx, ly, seen)
    assert seen["landfill"] == pytest.approx(want_fill, abs=3.0), (seen["landfill"], want_fill)

    # the map opened on the site and its whole 500 m search area
    s, w, n, e = seen["bounds"]
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    for x, y in mapdata.site_area().buffer(500).exterior.coords:
        lon, lat = to_wgs.transform(x, y)
        assert s <= lat <= n and w <= lon <= e

    # nothing but tiles was asked of the network
    remote = [r for r in seen["resources"] if r.startswith(("http:", "https:"))]
    assert all(re.search(r"/\d+/\d+/\d+(\.\w+)?(\?|$)", r) for r in remote), remote
    assert not any(r.endswith((".js", ".css", ".png")) and "/tile" not in r
                   for r in recorder.requests if "openstreetmap" not in r and "arcgis" not in r
                   and "google" not in r and "gstatic" not in r)

    # 3. the screenshot shows the sheet's blue under the site, at 80 % opacity
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "map-historic-sheet.png"
    run = chromium(["--virtual-time-budget=5000", "--window-size=1200,900",
                    f"--screenshot={shot}", (unseen / "map.html").as_uri()], unseen / "profile2",
                   recorder.server_address[1])
    assert run.returncode == 0, run.stderr[-2000:]
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    # a point of the sheet away from the site, the road and the landfill
    px = _bng_box_pixels([x0 + 120], [y0 + 60], seen)
    r, g, b = img[int(px[1]), int(px[0])]
    assert b > r + 60 and b > g + 40, (r, g, b)


def _pdf_page_with(pdf: Path, text: str) -> int:
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    return next(i for i, p in enumerate(pages, start=1) if text in p)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_report_pdf_has_the_extract_named_by_its_epoch(runner, unseen):
    res = runner.invoke(cli, ["report", *ARGS, "-o", "report.pdf"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    pdf = unseen / "report.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Historic maps" in text and "Historic map 1896: sheet" in text
    page = _pdf_page_with(pdf, "Historic map 1896: sheet")
    out = unseen / "page"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page), str(pdf),
                    str(out)], check=True)
    from PIL import Image

    (png,) = unseen.glob("page*.png")
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    fill = (abs(r - 70) < 25) & (abs(g - 110) < 25) & (abs(b - 200) < 25)
    road = (r < 50) & (g < 50) & (b < 50)
    orange = (r > 220) & (abs(g - 127) < 40) & (b < 60)
    # the sheet's blue covers a good part of the page: the extract is there and visible
    assert fill.sum() > 0.03 * fill.size, fill.sum() / fill.size
    assert road.sum() > 100 and orange.sum() > 20
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png, ARTIFACTS / "report-historic-extract.png")
