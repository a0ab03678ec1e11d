"""Cells whose centre lies inside large zones (LSOAs...), by scanline."""

from __future__ import annotations

import numpy as np
import shapely

from airq.analyse.zonal import (
    CellAssignment,
)

# --------------------------------------------------------------------------- large zones


def assign_centres_scanline(geoms, transform, shape) -> CellAssignment:
    """Cells whose centre lies inside or on each polygon, by scanline; for large zones.

    Gives the same pairs as ``assign_cells(geoms, transform, shape, "centre")`` but
    costs per boundary edge and row rather than per candidate cell, so an LSOA of a
    thousand cells is not tested point by point. Each polygon ring is cut by the
    horizontal line through every row of cell centres (half-open in y); centres
    between pairs of crossings (even-odd rule, so holes work) are inside. Where a
    centre lies within a micrometre of a crossing, or a vertex lies on the row's
    line, that row of that zone is tested exactly with ``shapely.intersects_xy``,
    so points on the boundary count as the centre rule says.
    """
    from airq.analyse.zonal import _check_transform

    geoms = np.asarray(geoms, dtype=object)
    cs = _check_transform(transform)
    x0, y0 = transform.c, transform.f
    h, w = int(shape[0]), int(shape[1])
    tol = 1e-6
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    zone_of_coord = pidx[ridx[cidx]]
    same = cidx[:-1] == cidx[1:]
    a, b, z = coords[:-1][same], coords[1:][same], zone_of_coord[:-1][same]
    lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    keep = hi > lo
    a, b, z, lo, hi = a[keep], b[keep], z[keep], lo[keep], hi[keep]
    # Rows whose centre y = y0 - (r + 0.5) cs lies in [lo, hi).
    r_lo = np.floor((y0 - hi) / cs - 0.5).astype(np.int64) + 1
    r_hi = np.floor((y0 - lo) / cs - 0.5).astype(np.int64)
    yc_hi = y0 - (r_hi + 0.5) * cs
    r_hi = np.where(yc_hi < lo, r_hi - 1, r_hi)  # exactly at lo is kept; below it is not
    r_lo, r_hi = np.maximum(r_lo, 0), np.minimum(r_hi, h - 1)
    n = np.maximum(r_hi - r_lo + 1, 0)
    e = np.repeat(np.arange(len(z)), n)
    row = r_lo[e] + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    yc = y0 - (row + 0.5) * cs
    ok = (yc >= lo[e]) & (yc < hi[e])
    e, row, yc = e[ok], row[ok], yc[ok]
    ax, ay, bx, by = a[e, 0], a[e, 1], b[e, 0], b[e, 1]
    xc = ax + (yc - ay) * (bx - ax) / (by - ay)
    zz = z[e]
    order = np.lexsort((xc, row, zz))
    zz, row, xc = zz[order], row[order], xc[order]
    xa, xb, zr, rr = xc[0::2], xc[1::2], zz[0::2], row[0::2]
    # Ambiguous rows: a crossing within tol of a cell centre, or a vertex on the line.
    fa = (xa - x0) / cs - 0.5
    fb = (xb - x0) / cs - 0.5
    near = (np.abs(fa - np.round(fa)) * cs < tol) | (np.abs(fb - np.round(fb)) * cs < tol)
    vr = (y0 - coords[:, 1]) / cs - 0.5
    vrow = np.round(vr).astype(np.int64)
    on_line = (np.abs(vr - vrow) * cs < tol) & (vrow >= 0) & (vrow < h)
    amb_keys = np.unique(np.concatenate([
        zr[near] * h + rr[near], zone_of_coord[on_line] * h + vrow[on_line]]))
    c_lo = np.maximum(np.ceil(fa).astype(np.int64), 0)
    c_hi = np.minimum(np.floor(fb).astype(np.int64), w - 1)
    m = np.maximum(c_hi - c_lo + 1, 0)
    key = zr * h + rr
    drop = np.isin(key, amb_keys)
    m[drop] = 0
    iv = np.repeat(np.arange(len(m)), m)
    col = c_lo[iv] + (np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m))
    zones, rows = [zr[iv]], [rr[iv]]
    cols = [col]
    if amb_keys.size:
        az, ar = amb_keys // h, amb_keys % h
        bx0, _, bx1, _ = shapely.bounds(geoms[az]).T
        cl = np.maximum(np.floor((bx0 - x0) / cs - 0.5).astype(np.int64), 0)
        ch = np.minimum(np.ceil((bx1 - x0) / cs - 0.5).astype(np.int64), w - 1)
        k = np.maximum(ch - cl + 1, 0)
        j = np.repeat(np.arange(len(az)), k)
        cc = cl[j] + (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k))
        shapely.prepare(geoms)
        hit = shapely.intersects_xy(geoms[az[j]], x0 + (cc + 0.5) * cs, y0 - (ar[j] + 0.5) * cs)
        zones.append(az[j][hit])
        rows.append(ar[j][hit])
        cols.append(cc[hit])
    zone = np.concatenate(zones)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    # A cell may be reached twice (parts of a multipolygon sharing an edge): keep once.
    flat = (zone * h + row) * w + col
    _, first = np.unique(flat, return_index=True)
    first = np.sort(first)
    return CellAssignment(zone=zone[first], row=row[first], col=col[first], weight=None,
                          method="centre", n_zones=len(geoms), transform=transform,
                          shape=(h, w))
