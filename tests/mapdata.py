"""Generated inputs for the map appendix tests: a site airq has never seen, a landfill,
an LAEI-layout grid and historic map sheets in the layouts councils hold them.

The site is near Stepney (far from the demo's Chadwell Heath), drawn as seven
irregular plots; the landfill has irregular vertices; the sheets are drawn with known
colours at known extents so that a test can find them again in pixels.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

BNG = "EPSG:27700"

#: Plots of a fictional "Cable Row" (EPSG:27700), irregular and not on the 20 m lattice.
PLOTS = [
    Polygon([(535003.0, 181207.0), (535014.5, 181208.2), (535012.1, 181241.7),
             (535001.2, 181240.3)]),
    Polygon([(535014.5, 181208.2), (535026.9, 181209.6), (535024.8, 181243.0),
             (535012.1, 181241.7)]),
    Polygon([(535026.9, 181209.6), (535040.2, 181211.1), (535037.6, 181244.4),
             (535024.8, 181243.0)]),
    Polygon([(535040.2, 181211.1), (535051.7, 181212.3), (535049.9, 181245.6),
             (535037.6, 181244.4)]),
    Polygon([(535051.7, 181212.3), (535066.0, 181213.9), (535063.1, 181247.2),
             (535049.9, 181245.6)]),
    Polygon([(535066.0, 181213.9), (535078.3, 181215.2), (535076.0, 181248.4),
             (535063.1, 181247.2)]),
    Polygon([(535078.3, 181215.2), (535091.8, 181216.7), (535089.4, 181249.9),
             (535076.0, 181248.4)]),
]

#: A landfill 150-300 m north-east of the site, with irregular vertices (EPSG:27700).
LANDFILL = Polygon([(535180.3, 181402.7), (535262.9, 181391.4), (535318.6, 181447.2),
                    (535301.4, 181533.8), (535231.7, 181560.1), (535168.2, 181511.9),
                    (535151.5, 181452.6)])

#: Extent of the historic sheet in EPSG:27700 (xmin, ymin, xmax, ymax): it covers the site.
SHEET_BOUNDS = (534900.0, 181100.0, 535400.0, 181600.0)
#: The sheet's fill colour (a pale blue no other layer uses) and its road colour.
SHEET_FILL = (70, 110, 200)
SHEET_ROAD = (20, 20, 20)


def write_plots(path, crs: str = BNG):
    """Write the plots as a GeoPackage layer with a ``street`` column."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"plot_id": [f"CR-{i + 1:02d}" for i in range(len(PLOTS))],
                            "street": ["Cable Row"] * len(PLOTS)}, geometry=PLOTS, crs=BNG)
    gdf.to_crs(crs).to_file(path, driver="GPKG", layer="plots", engine="pyogrio")
    return path


def write_grid(folder, year: int = 2020, pollutant: str = "NO2"):
    """Write an LAEI-named ESRI ASCII grid covering the site (values rise to the east)."""
    from tests.conftest import write_asc

    xs = np.arange(50)
    values = 30.0 + 0.2 * xs[None, :] + np.zeros((40, 1))
    return write_asc(folder / f"PostLAEI2013_{year}_{pollutant}.asc", values,
                     534600.0, 180900.0)


def write_landfill(path, name: str = "Cable Row Tip", geometry=LANDFILL):
    """Write the landfill in the Environment Agency Historic Landfill Sites schema."""
    import geopandas as gpd

    fields = ["hld_ref", "site_name", "site_add", "lic_hold", "licholdadd", "siteopname",
              "siteopadd", "easting", "northing", "ea_region", "ea_area", "lic_issue",
              "lic_surren", "firstinput", "lastinput", "inert", "industrial", "commercial",
              "household", "special", "liqsludge", "wasteunk", "gascontrol", "leachatcnt",
              "exempt", "licenced", "nolicreq", "buff_point"]
    row = dict.fromkeys(fields, "")
    c = geometry.centroid
    row.update(hld_ref="EAHLD77001", site_name=name, firstinput="01/03/1890",
               lastinput="31/12/1910", household="Yes", easting=int(c.x), northing=int(c.y),
               ea_region="Thames")
    gdf = gpd.GeoDataFrame([row], columns=fields, geometry=[geometry], crs=BNG)
    gdf.to_file(path, driver="GPKG", layer="historic_landfill", engine="pyogrio")
    return path


def sheet_rgb(width: int, height: int) -> np.ndarray:
    """The sheet's picture: a blue field, a black road across it and a white border."""
    img = np.empty((3, height, width), dtype=np.uint8)
    for band, v in enumerate(SHEET_FILL):
        img[band] = v
    road = slice(height // 2 - 2, height // 2 + 2)
    for band, v in enumerate(SHEET_ROAD):
        img[band, road, :] = v
    img[:, :3, :] = 255
    img[:, -3:, :] = 255
    img[:, :, :3] = 255
    img[:, :, -3:] = 255
    return img


def write_sheet_tif(path, *, crs: str = BNG, bounds=SHEET_BOUNDS, size=(250, 250),
                    mode: str = "rgb", nodata_corner: bool = False):
    """Write a georeferenced GeoTIFF of the sheet.

    ``mode`` is ``rgb``, ``rgba`` (alpha 255), ``palette`` (one band with a colour map)
    or ``mask`` (RGB with an internal mask). ``crs`` other than EPSG:27700 reprojects
    the sheet's corners to that CRS (the picture is not warped: it is a test pattern).
    """
    import rasterio
    from rasterio.transform import from_bounds
    from rasterio.warp import transform_bounds

    w, h = size
    b = bounds if crs == BNG else transform_bounds(BNG, crs, *bounds)
    transform = from_bounds(*b, w, h)
    rgb = sheet_rgb(w, h)
    profile = dict(driver="GTiff", width=w, height=h, crs=crs, transform=transform,
                   dtype="uint8")
    if mode == "palette":
        index = np.zeros((h, w), dtype=np.uint8)
        index[(rgb[0] == SHEET_ROAD[0]) & (rgb[1] == SHEET_ROAD[1])] = 1
        index[rgb[0] == 255] = 2
        if nodata_corner:
            index[: h // 4, : w // 4] = 3
        with rasterio.open(path, "w", count=1, photometric="palette",
                           nodata=3 if nodata_corner else None, **profile) as dst:
            dst.write(index, 1)
            dst.write_colormap(1, {0: (*SHEET_FILL, 255), 1: (*SHEET_ROAD, 255),
                                   2: (255, 255, 255, 255), 3: (0, 0, 0, 255)})
        return path
    if mode == "rgba":
        alpha = np.full((1, h, w), 255, dtype=np.uint8)
        if nodata_corner:
            alpha[0, : h // 4, : w // 4] = 0
        with rasterio.open(path, "w", count=4, photometric="rgb", alpha="yes", **profile) as dst:
            dst.write(np.concatenate([rgb, alpha]))
        return path
    if mode == "mask":
        with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), \
                rasterio.open(path, "w", count=3, photometric="rgb", **profile) as dst:
            dst.write(rgb)
            mask = np.full((h, w), 255, dtype=np.uint8)
            mask[: h // 4, : w // 4] = 0
            dst.write_mask(mask)
        return path
    nodata = 0 if nodata_corner else None
    if nodata_corner:
        rgb[:, : h // 4, : w // 4] = 0
    with rasterio.open(path, "w", count=3, photometric="rgb", nodata=nodata, **profile) as dst:
        dst.write(rgb)
    return path


def write_sheet_world(folder, stem: str = "sheet", suffix: str = ".png", crs: str = BNG,
                      bounds=SHEET_BOUNDS, size=(200, 200), prj: bool = True):
    """Write the sheet as a plain PNG or JPEG with a world file and (optionally) a .prj."""
    from PIL import Image
    from pyproj import CRS

    w, h = size
    img = Image.fromarray(np.moveaxis(sheet_rgb(w, h), 0, -1))
    path = folder / f"{stem}{suffix}"
    img.save(path, quality=95) if suffix in (".jpg", ".jpeg") else img.save(path)
    xmin, ymin, xmax, ymax = bounds
    px, py = (xmax - xmin) / w, (ymax - ymin) / h
    world = {".png": ".pgw", ".jpg": ".jgw", ".jpeg": ".jgw", ".tif": ".tfw"}[suffix]
    # A world file gives the centre of the top-left pixel.
    (folder / f"{stem}{world}").write_text(
        f"{px:.10f}\n0.0\n0.0\n{-py:.10f}\n{xmin + px / 2:.10f}\n{ymax - py / 2:.10f}\n")
    if prj:
        (folder / f"{stem}.prj").write_text(CRS.from_user_input(crs).to_wkt("WKT1_ESRI"))
    return path


def site_area():
    """The union of the plots (EPSG:27700)."""
    return shapely.union_all(PLOTS)


def lonlat_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The {z}/{x}/{y} tile holding a WGS84 point (the OpenStreetMap wiki's formula)."""
    import math

    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def tile_png(colour, size: int = 256) -> bytes:
    """A plain PNG tile of one colour."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), tuple(colour)).save(buf, format="PNG")
    return buf.getvalue()


#: Colour of the tile holding the site's centre in the tile sets written here.
TILE_SITE = (220, 30, 30)
TILE_OTHER = (30, 160, 60)


def site_tiles(z: int = 16, radius: int = 2):
    """``{(x, y): colour}`` of a block of tiles around the site, the site's tile red."""
    from pyproj import Transformer

    c = site_area().centroid
    lon, lat = Transformer.from_crs(BNG, "EPSG:4326", always_xy=True).transform(c.x, c.y)
    cx, cy = lonlat_tile(lon, lat, z)
    return {(cx + dx, cy + dy): TILE_SITE if (dx, dy) == (0, 0) else TILE_OTHER
            for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1)}


def write_tile_folder(folder, z: int = 16, radius: int = 2):
    """Write an XYZ tile folder ``{z}/{x}/{y}.png`` around the site."""
    for (x, y), colour in site_tiles(z, radius).items():
        p = folder / str(z) / str(x) / f"{y}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(tile_png(colour))
    return folder


def write_mbtiles(path, z: int = 16, radius: int = 2, attribution: str = "Test Archive"):
    """Write an MBTiles 1.3 file (TMS rows) around the site."""
    import sqlite3

    from pyproj import Transformer

    tiles = site_tiles(z, radius)
    to_wgs = Transformer.from_crs(BNG, "EPSG:4326", always_xy=True)
    x0, y0, x1, y1 = site_area().buffer(600).bounds
    w, s = to_wgs.transform(x0, y0)
    e, n = to_wgs.transform(x1, y1)
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE metadata (name text, value text)")
        con.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, "
                    "tile_row integer, tile_data blob)")
        meta = {"name": "Test sheet", "format": "png", "minzoom": str(z), "maxzoom": str(z),
                "bounds": f"{w},{s},{e},{n}", "attribution": attribution, "type": "overlay",
                "version": "1"}
        con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                        [(z, x, (2 ** z - 1) - y, tile_png(c)) for (x, y), c in tiles.items()])
        con.commit()
    finally:
        con.close()
    return path
