"""Map sheets as pictures: warp a sheet's window to another CRS and encode it as PNG.

The web map needs each sheet in Web Mercator (Leaflet stretches an image overlay
linearly between its corners, which is right only in the map's own projection);
figures and the report's extracts need it in British National Grid. Both warp the
in-memory RGBA window the reader kept, with rasterio; nothing is read from disk.
"""

from __future__ import annotations

import base64
import io

import numpy as np


def warp_sheet(sheet, dst_crs: str, bounds=None, max_side: int = 2048):
    """Warp a sheet's RGBA window to ``dst_crs``.

    Parameters
    ----------
    sheet
        A :class:`airq.read.historic_maps.MapSheet`.
    dst_crs
        The target CRS, e.g. ``EPSG:3857``.
    bounds
        ``(minx, miny, maxx, maxy)`` in ``dst_crs`` to clip to, or None for the whole
        window.
    max_side
        Largest side of the result in pixels.

    Returns
    -------
    tuple
        ``(rgba array (h, w, 4) uint8, (minx, miny, maxx, maxy) in dst_crs)``, or
        ``(None, None)`` when the sheet does not reach ``bounds``.
    """
    from affine import Affine
    from rasterio.enums import Resampling
    from rasterio.warp import calculate_default_transform, reproject, transform_bounds

    h, w = sheet.image.shape[:2]
    src_bounds = sheet.bounds
    full = transform_bounds(sheet.crs, dst_crs, *src_bounds, densify_pts=21)
    if bounds is None:
        b = full
    else:
        b = (max(full[0], bounds[0]), max(full[1], bounds[1]), min(full[2], bounds[2]),
             min(full[3], bounds[3]))
        if b[0] >= b[2] or b[1] >= b[3]:
            return None, None
    # Keep about the sheet's own resolution, within max_side.
    _, dw, dh = calculate_default_transform(sheet.crs, dst_crs, w, h, *src_bounds)
    res = max((full[2] - full[0]) / dw, (full[3] - full[1]) / dh)
    res = max(res, (b[2] - b[0]) / max_side, (b[3] - b[1]) / max_side)
    out_w = max(1, int(round((b[2] - b[0]) / res)))
    out_h = max(1, int(round((b[3] - b[1]) / res)))
    dst_transform = Affine((b[2] - b[0]) / out_w, 0.0, b[0], 0.0, -(b[3] - b[1]) / out_h, b[3])
    src = np.moveaxis(sheet.image, -1, 0)
    dst = np.zeros((4, out_h, out_w), dtype=np.uint8)
    reproject(src, dst, src_transform=sheet.transform, src_crs=sheet.crs,
              dst_transform=dst_transform, dst_crs=dst_crs, resampling=Resampling.bilinear,
              src_nodata=None, dst_nodata=None)
    return np.moveaxis(dst, 0, -1), b


def png_bytes(rgba: np.ndarray) -> bytes:
    """Encode an RGBA array as PNG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode an RGBA array as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgba)).decode("ascii")
