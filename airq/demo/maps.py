"""A SYNTHETIC historic map sheet for the demo: fields, roads and houses of an 1896 epoch.

Drawn (deterministically) from the demo's own fictional geography, in the layout
councils hold scanned Ordnance Survey sheets: a paletted GeoTIFF in British National
Grid. It is not an Ordnance Survey map: the words SYNTHETIC DEMO MAP are drawn across
it, and its title, attribution and description say so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Where the sheet is written, under the demo root.
SHEET_REL = Path("boundaries", "demo", "historic_maps", "synthetic_1896.tif")
SHEET_EPOCH = 1896
SHEET_NAME = "synthetic-1896"
SHEET_TITLE = "SYNTHETIC demo map"
SHEET_ATTRIBUTION = "airq synthetic demo data, not an Ordnance Survey map (no restrictions)"
#: Extent (EPSG:27700) and pixel size: 2.4 km square around the demo street at 2 m.
SHEET_BOUNDS = (546300.0, 186300.0, 548700.0, 188700.0)
SHEET_PIXEL_M = 2.0

# Palette: paper, ink, road fill, houses, railway, water, watermark.
_PAPER, _INK, _ROAD, _HOUSE, _RAIL, _WATER, _MARK = range(7)
_COLOURS = {_PAPER: (238, 229, 204, 255), _INK: (96, 78, 56, 255),
            _ROAD: (250, 246, 234, 255), _HOUSE: (196, 132, 118, 255),
            _RAIL: (40, 36, 32, 255), _WATER: (160, 190, 205, 255),
            _MARK: (226, 150, 140, 255)}

# A 5 x 7 bitmap font for the watermark (rows top to bottom, '#' = ink).
_GLYPHS = {
    "A": ".###.#...##...#######...##...##...#", "C": ".#####....#....#....#....#.....####",
    "D": "####.#...##...##...##...##...#####.", "E": "######....####.#....#....#....#####",
    "H": "#...##...##...#######...##...##...#", "I": "#####..#....#....#....#....#..#####",
    "L": "#....#....#....#....#....#....#####", "M": "#...###.###.#.##...##...##...##...#",
    "N": "#...###..##.#.##..###...##...##...#", "O": ".###.#...##...##...##...##...#.###.",
    "P": "####.#...##...#####.#....#....#....", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".#####....#.....###.....#....######", "T": "#####..#....#....#....#....#....#..",
    "Y": "#...##...#.#.#...#....#....#....#..", "1": "..#...##....#....#....#....#...###.",
    "6": ".###.#....#....####.#...##...#.###.", "8": ".###.#...##...#.###.#...##...#.###.",
    "9": ".###.#...##...#.####....#....#.###.", " ": "." * 35,
}


def description() -> list[tuple[Path, str]]:
    """Manifest entries of the files this module writes."""
    return [(SHEET_REL, f"SYNTHETIC historic map sheet, {SHEET_EPOCH} epoch: paletted GeoTIFF, "
             "EPSG:27700, 2 m pixels, drawn from the demo's fictional fields, roads and houses "
             "(not an Ordnance Survey sheet)")]


def _text_mask(text: str, scale: int) -> np.ndarray:
    glyphs = [np.array([c == "#" for c in _GLYPHS[ch]], dtype=bool).reshape(7, 5)
              for ch in text]
    row = np.concatenate([np.pad(g, ((0, 0), (0, 1))) for g in glyphs], axis=1)
    return np.kron(row, np.ones((scale, scale), dtype=bool))


def _stamp(index: np.ndarray, text: str, scale: int, every: int) -> None:
    """Write ``text`` in the watermark colour across the sheet, in staggered rows."""
    mask = _text_mask(text, scale)
    h, w = mask.shape
    for k, top in enumerate(range(every // 3, index.shape[0] - h, every)):
        for left in range((k % 2) * w // 2 + 20, index.shape[1] - w, w + every // 2):
            window = index[top:top + h, left:left + w]
            window[mask] = _MARK


def _hedges(bounds, rng) -> list:
    """Field boundaries: the edges of Voronoi cells of scattered points (fields of ~5 ha)."""
    import shapely

    x0, y0, x1, y1 = bounds
    pts = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, 90), rng.uniform(y0, y1, 90)]))
    cells = shapely.voronoi_polygons(pts, extend_to=shapely.box(*bounds))
    return [shapely.set_precision(c.exterior, 0.01) for c in shapely.get_parts(cells)]


def sheet_index(roads, railway, residential, ponds, seed: int = 1896) -> tuple:
    """Draw the sheet as palette indices; return ``(index array, affine transform)``.

    Parameters
    ----------
    roads
        ``(centre line, half width in metres)`` of the roads of the epoch.
    railway
        The railway's centre line.
    residential
        Polygons of the built-up areas (drawn as hatched houses).
    ponds
        Small water bodies (polygons).
    seed
        Seed of the hedgerow jitter (any fixed value).
    """
    import shapely
    from affine import Affine
    from rasterio.features import rasterize

    x0, y0, x1, y1 = SHEET_BOUNDS
    width = int(round((x1 - x0) / SHEET_PIXEL_M))
    height = int(round((y1 - y0) / SHEET_PIXEL_M))
    transform = Affine(SHEET_PIXEL_M, 0.0, x0, 0.0, -SHEET_PIXEL_M, y1)
    rng = np.random.default_rng(seed)
    shapes = [(h.buffer(1.2), _INK) for h in _hedges(SHEET_BOUNDS, rng)]
    shapes += [(p, _WATER) for p in ponds]
    shapes += [(line.buffer(w + 2.5), _INK) for line, w in roads]
    shapes += [(line.buffer(w), _ROAD) for line, w in roads]
    index = rasterize(shapes, out_shape=(height, width), transform=transform, fill=_PAPER,
                      dtype="uint8")
    # Houses: the built-up polygons, hatched at 45 degrees as on the old sheets.
    built = rasterize([(shapely.make_valid(p), 1) for p in residential],
                      out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
    rows, cols = np.indices((height, width))
    hatch = ((rows + cols) % 5) < 2
    index[(built == 1) & hatch] = _HOUSE
    index[(built == 1) & ~hatch & (index == _PAPER)] = _ROAD
    # The railway: a solid line with cross ties every 20 m.
    rail = [(railway.buffer(3.0), _RAIL)]
    rail += [(railway.interpolate(d).buffer(4.5, cap_style="square"), _RAIL)
             for d in np.arange(0.0, railway.length, 20.0)]
    rail_mask = rasterize(rail, out_shape=(height, width), transform=transform, fill=0,
                          dtype="uint8")
    index[rail_mask == _RAIL] = _RAIL
    _stamp(index, "SYNTHETIC DEMO MAP 1896", scale=6, every=260)
    return index, transform


def write_sheet(path: Path, index: np.ndarray, transform) -> None:
    """Write the sheet as a paletted, DEFLATE-compressed GeoTIFF in EPSG:27700."""
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=index.shape[1], height=index.shape[0],
                       count=1, dtype="uint8", crs="EPSG:27700", transform=transform,
                       photometric="palette", compress="deflate", tiled=True,
                       blockxsize=256, blockysize=256) as dst:
        dst.write(index, 1)
        dst.write_colormap(1, _COLOURS)
        dst.update_tags(TIFFTAG_IMAGEDESCRIPTION=f"{SHEET_TITLE}, {SHEET_EPOCH} epoch. SYNTHETIC "
                        "DEMO DATA generated by airq.demo; not an Ordnance Survey map.",
                        TIFFTAG_COPYRIGHT=SHEET_ATTRIBUTION)
