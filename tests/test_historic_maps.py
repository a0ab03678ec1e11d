"""Historic map sheets read as councils hold them (issue 12, item 2).

Every sheet is written here in the published layouts: GeoTIFF (RGB, RGBA, paletted,
with a mask or nodata, in EPSG:27700, WGS84 or Web Mercator), PNG/JPEG with a world
file and a .prj, MBTiles, and a {z}/{x}/{y} tile folder; then damaged copies. Pixel
positions are checked against coordinates computed independently (pyproj and the
OpenStreetMap tile formula), not against airq's own arithmetic.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from airq.errors import CRSError, InputError
from airq.read.historic_maps import (
    MapSheetWarning,
    SheetRequest,
    parse_sheet_spec,
    read_map_sheet,
)
from tests import mapdata

AROUND = mapdata.site_area().buffer(100)


def _read(path, around=AROUND, **kw):
    return read_map_sheet(SheetRequest(str(path), 1896, attribution="Test archive", **kw), around)


def _pixel_at(sheet, x, y, crs="EPSG:27700"):
    """RGBA of the sheet's window at a point given in ``crs``."""
    if crs != sheet.crs:
        x, y = Transformer.from_crs(crs, sheet.crs, always_xy=True).transform(x, y)
    col, row = ~sheet.transform * (x, y)
    return tuple(int(v) for v in sheet.image[int(row), int(col)])


@pytest.mark.parametrize("mode", ["rgb", "rgba", "palette", "mask"])
def test_geotiff_layouts_give_the_same_picture(tmp_path, mode):
    path = mapdata.write_sheet_tif(tmp_path / f"{mode}.tif", mode=mode, nodata_corner=True)
    sheet = read_map_sheet(SheetRequest(str(path), 1896, attribution="x"), None)
    assert sheet.format == "GeoTIFF" and sheet.crs == "EPSG:27700"
    assert sheet.bounds == pytest.approx(mapdata.SHEET_BOUNDS)
    assert sheet.extent_bng == pytest.approx(mapdata.SHEET_BOUNDS)
    x0, y0, x1, y1 = mapdata.SHEET_BOUNDS
    # the fill, the road across the middle, and the corner with no data (transparent)
    assert _pixel_at(sheet, x0 + 300, y0 + 100) == (*mapdata.SHEET_FILL, 255)
    assert _pixel_at(sheet, x0 + 300, (y0 + y1) / 2 + 1) == (*mapdata.SHEET_ROAD, 255)
    assert _pixel_at(sheet, x0 + 40, y1 - 40)[3] == 0
    assert _pixel_at(sheet, x0 + 200, y1 - 200)[3] == 255
    assert sheet.sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_window_is_read_around_the_site_only(tmp_path):
    path = mapdata.write_sheet_tif(tmp_path / "s.tif")
    sheet = _read(path)
    ax0, ay0, ax1, ay1 = AROUND.bounds
    x0, y0, x1, y1 = sheet.bounds
    # the window holds the area (to a pixel, 2 m) and no more than a pixel beyond it
    assert x0 <= ax0 and y0 <= ay0 and x1 >= ax1 and y1 >= ay1
    assert ax0 - x0 <= 2 and ay0 - y0 <= 2 and x1 - ax1 <= 2 and y1 - ay1 <= 2
    assert sheet.image.shape[1] < 250 and sheet.coverage == 1.0


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:32631"])
def test_geotiff_in_any_crs(tmp_path, crs):
    path = mapdata.write_sheet_tif(tmp_path / "s.tif", crs=crs)
    sheet = _read(path, around=None)
    # its footprint in British National Grid holds the sheet drawn in BNG (to a metre or so:
    # the corners were transformed, so the reprojected box is a little larger)
    bx0, by0, bx1, by1 = sheet.extent_bng
    x0, y0, x1, y1 = mapdata.SHEET_BOUNDS
    assert bx0 <= x0 + 0.5 and by0 <= y0 + 0.5 and bx1 >= x1 - 0.5 and by1 >= y1 - 0.5
    assert bx1 - bx0 < 600 and by1 - by0 < 600
    assert sheet.crs.startswith("EPSG:") and sheet.crs == crs
    assert _pixel_at(sheet, x0 + 300, y0 + 100) == (*mapdata.SHEET_FILL, 255)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_image_with_world_file_and_prj(tmp_path, suffix):
    path = mapdata.write_sheet_world(tmp_path, suffix=suffix)
    sheet = _read(path, around=None)
    assert sheet.format == ("PNG + world file" if suffix == ".png" else "JPEG + world file")
    # the world file gives the centre of the top-left pixel; the sheet's edge is half a
    # pixel beyond it
    assert sheet.bounds == pytest.approx(mapdata.SHEET_BOUNDS, abs=1e-6)
    assert sheet.crs == "EPSG:27700" and sheet.crs_note == "from sheet.prj"
    assert [s.split("/")[-1] for s, _ in sheet.sidecars] == \
        [f"sheet{'.pgw' if suffix == '.png' else '.jgw'}", "sheet.prj"]
    x0, y0, _, _ = mapdata.SHEET_BOUNDS
    r, g, b, a = _pixel_at(sheet, x0 + 300, y0 + 100)
    assert a == 255 and abs(r - 70) < 8 and abs(g - 110) < 8 and abs(b - 200) < 8
    assert sheet.provenance()["sidecars"][1]["sha256"] == \
        __import__("hashlib").sha256((tmp_path / "sheet.prj").read_bytes()).hexdigest()


def test_world_file_without_prj_is_refused(tmp_path):
    path = mapdata.write_sheet_world(tmp_path, prj=False)
    with pytest.raises(CRSError, match=r"sheet.png has a world file but no sheet.prj"):
        _read(path)


def test_image_without_world_file_is_refused(tmp_path):
    path = mapdata.write_sheet_world(tmp_path)
    (tmp_path / "sheet.pgw").unlink()
    with pytest.raises(InputError, match="not georeferenced"):
        _read(path)


def test_geotiff_without_crs_is_refused(tmp_path):
    import rasterio
    from rasterio.transform import from_bounds

    path = tmp_path / "s.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=3, dtype="uint8",
                       transform=from_bounds(*mapdata.SHEET_BOUNDS, 10, 10)) as ds:
        ds.write(np.zeros((3, 10, 10), dtype="uint8"))
    with pytest.raises(CRSError, match="has no CRS"):
        _read(path)


def test_sixteen_bit_and_cmyk_are_refused(tmp_path):
    import rasterio
    from rasterio.transform import from_bounds

    t = from_bounds(*mapdata.SHEET_BOUNDS, 10, 10)
    p16 = tmp_path / "deep.tif"
    with rasterio.open(p16, "w", driver="GTiff", width=10, height=10, count=3, dtype="uint16",
                       crs="EPSG:27700", transform=t) as ds:
        ds.write(np.zeros((3, 10, 10), dtype="uint16"))
    with pytest.raises(InputError, match="uint16 pixels; a map sheet must be 8-bit"):
        _read(p16)
    p4 = tmp_path / "cmyk.tif"
    with rasterio.open(p4, "w", driver="GTiff", width=10, height=10, count=4, dtype="uint8",
                       crs="EPSG:27700", transform=t, photometric="separated") as ds:
        ds.write(np.zeros((4, 10, 10), dtype="uint8"))
    with pytest.raises(InputError, match="has 4 bands"):
        _read(p4)


def test_wrong_crs_is_caught_by_plausibility(tmp_path):
    # a WGS84 sheet whose file says British National Grid: 0.005 m wide, in the sea
    import rasterio
    from rasterio.transform import from_bounds

    path = tmp_path / "mislabelled.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=3, dtype="uint8",
                       crs="EPSG:27700", transform=from_bounds(-0.06, 51.51, -0.055, 51.515,
                                                               10, 10)) as ds:
        ds.write(np.zeros((3, 10, 10), dtype="uint8"))
    with pytest.raises(CRSError, match="its CRS .* is probably wrong"):
        _read(path, around=None)
    far = mapdata.write_sheet_tif(tmp_path / "far.tif", bounds=(2_000_000, 0, 2_000_500, 500))
    with pytest.raises(CRSError, match="outside Great Britain"):
        _read(far, around=None)


def test_sheet_elsewhere_is_an_error_and_part_cover_recorded(tmp_path):
    away = mapdata.write_sheet_tif(tmp_path / "away.tif", bounds=(540000, 181100, 540500, 181600))
    with pytest.raises(InputError, match="away.tif does not cover the site"):
        _read(away)
    part = mapdata.write_sheet_tif(tmp_path / "part.tif")
    sheet = _read(part, around=mapdata.site_area().buffer(500))
    assert 0.1 < sheet.coverage < 0.5
    assert sheet.provenance()["coverage"] == round(sheet.coverage, 4)


def test_no_attribution_is_said(tmp_path):
    path = mapdata.write_sheet_tif(tmp_path / "s.tif")
    with pytest.warns(MapSheetWarning, match="names no attribution"):
        sheet = read_map_sheet(str(path), AROUND)
    assert sheet.attribution == "supplied as s.tif" and sheet.title == "s"


def test_mbtiles_read_with_gdal(tmp_path):
    path = mapdata.write_mbtiles(tmp_path / "sheet.mbtiles")
    sheet = read_map_sheet(SheetRequest(str(path), 1896), AROUND)
    assert sheet.format == "MBTiles" and sheet.crs == "EPSG:3857"
    assert sheet.attribution == "Test Archive"  # from the MBTiles metadata
    c = mapdata.site_area().centroid
    assert _pixel_at(sheet, c.x, c.y) == (*mapdata.TILE_SITE, 255)
    assert sheet.sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_tile_folder_is_stitched_where_the_tiles_lie(tmp_path):
    folder = mapdata.write_tile_folder(tmp_path / "tiles")
    (folder / "ATTRIBUTION.txt").write_text("Council tiles, 1896\n")
    sheet = read_map_sheet(SheetRequest(str(folder), 1896), AROUND)
    assert sheet.format == "tile folder" and sheet.attribution == "Council tiles, 1896"
    c = mapdata.site_area().centroid
    assert _pixel_at(sheet, c.x, c.y) == (*mapdata.TILE_SITE, 255)
    # the red tile's edges are where the tile formula puts them (to a pixel)
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(c.x, c.y)
    x, y = mapdata.lonlat_tile(lon, lat, 16)
    size = 2 * 20037508.342789244 / 2 ** 16
    west, north = -20037508.342789244 + x * size, 20037508.342789244 - y * size
    col, row = ~sheet.transform * (west, north)
    assert col == pytest.approx(round(col), abs=1e-6) and row == pytest.approx(round(row),
                                                                                abs=1e-6)
    assert tuple(sheet.image[int(row) + 1, int(col) + 1][:3]) == mapdata.TILE_SITE
    assert tuple(sheet.image[int(row) - 1, int(col) - 1][:3]) == mapdata.TILE_OTHER
    assert "zoom 16" in sheet.crs_note


def test_tile_folder_damaged(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a tile folder"):
        read_map_sheet(SheetRequest(str(empty), 1896, attribution="x"), AROUND)
    folder = mapdata.write_tile_folder(tmp_path / "tiles", radius=1)
    (x, y), = [k for k, c in mapdata.site_tiles(16, 1).items() if c == mapdata.TILE_SITE]
    (folder / "16" / str(x) / f"{y}.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="is not a PNG, JPEG or WebP tile"):
        read_map_sheet(SheetRequest(str(folder), 1896, attribution="x"), AROUND)


def test_parse_sheet_spec():
    assert parse_sheet_spec("maps/os.tif:1896") == SheetRequest("maps/os.tif", 1896)
    assert parse_sheet_spec("maps/os.tif") == SheetRequest("maps/os.tif", None)
    assert parse_sheet_spec("C:/maps/os.tif").path == "C:/maps/os.tif"
    with pytest.raises(InputError, match="'18x6' is not a year"):
        parse_sheet_spec("os.tif:18x6")
    with pytest.raises(InputError, match="not a plausible map year"):
        parse_sheet_spec("os.tif:1200")


def test_changed_catalogued_copy_is_refused(tmp_path):
    path = mapdata.write_sheet_tif(tmp_path / "s.tif")
    copy = tmp_path / "copy.tif"
    shutil.copy(path, copy)
    good = _read(copy, sha256=_read(path).sha256)
    assert good.sha256
    mapdata.write_sheet_tif(copy, size=(240, 240))
    with pytest.raises(InputError, match="has changed since it was catalogued"):
        _read(copy, sha256=good.sha256)


def test_tile_arithmetic_matches_the_osm_formula():
    from airq.read.xyz_tiles import tile_bounds, tile_range

    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    for lon, lat, z in [(-0.0562, 51.5135, 16), (-3.19, 55.95, 12), (1.29, 52.63, 18)]:
        x, y = mapdata.lonlat_tile(lon, lat, z)
        px, py = to_3857.transform(lon, lat)
        x0, y0, x1, y1 = tile_bounds(z, x, y)
        assert x0 <= px < x1 and y0 < py <= y1
        assert tile_range((px, py, px, py), z) == (x, x, y, y)
    assert shapely.box(*tile_bounds(0, 0, 0)).area == pytest.approx((2 * 20037508.342789244) ** 2)
