"""XYZ map tiles (Web Mercator, EPSG:3857): tile arithmetic and mosaics from any tile source.

A tile source is a function ``(z, x, y) -> bytes | None`` (the ``{z}/{x}/{y}``
scheme of OpenStreetMap and Leaflet, y counted from the north). A local tile folder
and the cached web tiles of ``airq.read.web_tiles`` both use :func:`mosaic`.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from airq.errors import InputError

#: Half the width of the Web Mercator world in metres.
HALF_WORLD_M = 20037508.342789244
#: Suffixes a tile file may have in a ``{z}/{x}/{y}`` folder.
TILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
#: Most tiles along one side of a mosaic (so a mosaic stays within 3072 x 3072 pixels).
MAX_TILES_SIDE = 12

TileGetter = Callable[[int, int, int], "bytes | None"]


@dataclass(frozen=True, eq=False)
class Mosaic:
    """Tiles stitched into one RGBA image in EPSG:3857.

    Attributes
    ----------
    image
        ``(height, width, 4)`` uint8; alpha 0 where a tile was missing.
    transform
        Affine transform of the image in EPSG:3857.
    zoom
        The zoom level read.
    tiles
        ``(z, x, y)`` of every tile found, in reading order.
    sha256
        SHA-256 over the tiles read (each ``z/x/y`` and its bytes, in order).
    missing
        How many tiles of the mosaic were not there.
    """

    image: np.ndarray
    transform: object
    zoom: int
    tiles: tuple[tuple[int, int, int], ...]
    sha256: str
    missing: int


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return a tile's bounds ``(minx, miny, maxx, maxy)`` in EPSG:3857 metres."""
    size = 2 * HALF_WORLD_M / (1 << z)
    minx = -HALF_WORLD_M + x * size
    maxy = HALF_WORLD_M - y * size
    return minx, maxy - size, minx + size, maxy


def tile_range(bounds, z: int) -> tuple[int, int, int, int]:
    """Return ``(x0, x1, y0, y1)``, inclusive, of the tiles covering EPSG:3857 ``bounds``."""
    n = 1 << z
    size = 2 * HALF_WORLD_M / n
    minx, miny, maxx, maxy = bounds

    def clamp(v):
        return min(max(v, 0), n - 1)

    x0 = clamp(math.floor((minx + HALF_WORLD_M) / size))
    x1 = clamp(math.floor((maxx + HALF_WORLD_M) / size - 1e-9))
    y0 = clamp(math.floor((HALF_WORLD_M - maxy) / size))
    y1 = clamp(math.floor((HALF_WORLD_M - miny) / size - 1e-9))
    return x0, x1, y0, y1


def choose_zoom(bounds, zooms, max_side: int = MAX_TILES_SIDE) -> int:
    """Return the most detailed zoom in ``zooms`` whose mosaic of ``bounds`` stays small."""
    ok = [z for z in sorted(zooms) if _side(bounds, z) <= max_side]
    return ok[-1] if ok else min(zooms)


def _side(bounds, z) -> int:
    x0, x1, y0, y1 = tile_range(bounds, z)
    return max(x1 - x0 + 1, y1 - y0 + 1)


def decode_tile(data: bytes, where: str) -> np.ndarray:
    """Decode a PNG, JPEG or WebP tile into ``(h, w, 4)`` uint8 RGBA.

    Raises
    ------
    InputError
        If the bytes are not an image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGBA"))
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise InputError(f"{where} is not a PNG, JPEG or WebP tile ({err})") from err


def mosaic(get_tile: TileGetter, bounds, z: int, where: str) -> Mosaic:
    """Stitch the tiles covering EPSG:3857 ``bounds`` at zoom ``z``.

    Parameters
    ----------
    get_tile
        Returns a tile's bytes, or None where there is no tile.
    bounds
        ``(minx, miny, maxx, maxy)`` in EPSG:3857.
    z
        Zoom level.
    where
        The source, named in error messages.

    Returns
    -------
    Mosaic

    Raises
    ------
    InputError
        If no tile covers the bounds, a tile is not an image, or tiles differ in size.
    """
    from affine import Affine

    x0, x1, y0, y1 = tile_range(bounds, z)
    found: dict[tuple[int, int], np.ndarray] = {}
    digest = hashlib.sha256()
    read = []
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            data = get_tile(z, x, y)
            if data is None:
                continue
            digest.update(f"{z}/{x}/{y}\n".encode())
            digest.update(data)
            found[(x, y)] = decode_tile(data, f"{where} tile {z}/{x}/{y}")
            read.append((z, x, y))
    if not found:
        raise InputError(f"{where} has no tile at zoom {z} covering the area "
                         f"(tiles x {x0}-{x1}, y {y0}-{y1} looked for)")
    sizes = {t.shape[:2] for t in found.values()}
    if len(sizes) != 1 or next(iter(sizes))[0] != next(iter(sizes))[1]:
        raise InputError(f"{where}: tiles at zoom {z} differ in size or are not square "
                         f"({sorted(sizes)})")
    px = next(iter(sizes))[0]
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    image = np.zeros((ny * px, nx * px, 4), dtype=np.uint8)
    for (x, y), tile in found.items():
        r, c = (y - y0) * px, (x - x0) * px
        image[r:r + px, c:c + px] = tile
    minx, _, _, maxy = tile_bounds(z, x0, y0)
    res = 2 * HALF_WORLD_M / (1 << z) / px
    return Mosaic(image=image, transform=Affine(res, 0.0, minx, 0.0, -res, maxy), zoom=z,
                  tiles=tuple(read), sha256=digest.hexdigest(), missing=nx * ny - len(found))


def folder_zooms(folder: Path) -> list[int]:
    """Return the zoom levels of a ``{z}/{x}/{y}`` tile folder.

    Raises
    ------
    InputError
        If the folder holds no ``{z}/{x}/{y}.png`` (or .jpg, .webp) tile.
    """
    zooms = []
    for d in folder.iterdir():
        if d.is_dir() and re.fullmatch(r"\d{1,2}", d.name):
            if any(x.is_dir() and x.name.isdigit() and any(
                    f.suffix.lower() in TILE_SUFFIXES and f.stem.isdigit() for f in x.iterdir())
                    for x in d.iterdir()):
                zooms.append(int(d.name))
    if not zooms:
        raise InputError(f"{folder} is not a tile folder: no {{z}}/{{x}}/{{y}}.png (or .jpg, "
                         ".webp) tiles in it")
    return sorted(zooms)


def folder_getter(folder: Path) -> TileGetter:
    """Return a tile getter reading ``folder/{z}/{x}/{y}.<png|jpg|jpeg|webp>``."""
    def get(z: int, x: int, y: int) -> bytes | None:
        for suffix in TILE_SUFFIXES:
            p = folder / str(z) / str(x) / f"{y}{suffix}"
            if p.is_file():
                return p.read_bytes()
        return None

    return get


def folder_bounds(folder: Path, z: int) -> tuple[float, float, float, float]:
    """Return the EPSG:3857 bounds of the tiles a folder holds at zoom ``z``."""
    xs, ys = [], []
    for xdir in (folder / str(z)).iterdir():
        if not (xdir.is_dir() and xdir.name.isdigit()):
            continue
        for f in xdir.iterdir():
            if f.suffix.lower() in TILE_SUFFIXES and f.stem.isdigit():
                xs.append(int(xdir.name))
                ys.append(int(f.stem))
    minx, _, _, maxy = tile_bounds(z, min(xs), min(ys))
    _, miny, maxx, _ = tile_bounds(z, max(xs), max(ys))
    return minx, miny, maxx, maxy
