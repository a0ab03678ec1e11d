"""Which grid cells each boundary holds, and statistics of grid values over groups of them.

Pure functions on in-memory objects: shapely geometries, an affine transform, NumPy
arrays. The cell assignment depends only on the grid's geometry (origin, cell size,
shape), so it is computed once and reused for every pollutant and model year of an
inventory edition.

Sampling rules (``method``):

``centre``
    A cell counts when its centre lies inside the boundary or on its edge
    (``shapely.intersects_xy``). This is the published case's "grid points within
    the boundaries". Within a group, a cell shared by several boundaries counts
    once (the union of the boundaries).
``all-touched``
    A cell counts when its square shares interior with the boundary (cells that
    only touch along an edge or at a corner do not).
``area-weighted``
    Every cell the boundary covers, weighted by the covered fraction of its area,
    as computed by exactextract. Groups are dissolved first, so overlaps are not
    counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine

from airq.analyse.precision import as_written
from airq.errors import InputError
from airq.read.cells import lattice_problem

METHODS = ("centre", "all-touched", "area-weighted")
SD_DDOF = {"population": 0, "sample": 1}
#: Statistic names airq reports, in order.
STATS = ("n_points", "n_nodata", "mean", "sd", "min", "max", "median")
_CHUNK = 1_000_000  # candidate cells tested per block: bounds peak memory to ~80 MB


@dataclass(frozen=True, eq=False)
class CellAssignment:
    """Pairs (zone, cell) of the cells each zone holds, on one grid geometry.

    Attributes
    ----------
    zone
        Zone index of each pair (int64).
    row, col
        Cell of each pair in the full grid.
    weight
        Covered fraction of each cell (area-weighted), else ``None`` (weight 1).
    method
        The sampling rule used.
    n_zones
        Number of zones assigned.
    transform, shape
        The full grid's transform and (rows, cols).
    """

    zone: np.ndarray
    row: np.ndarray
    col: np.ndarray
    weight: np.ndarray | None
    method: str
    n_zones: int
    transform: Affine
    shape: tuple[int, int]

    def counts(self) -> np.ndarray:
        """Count the cells assigned to each zone."""
        return np.bincount(self.zone, minlength=self.n_zones)

    def window(self) -> tuple[int, int, int, int] | None:
        """(r0, r1, c0, c1) of the smallest window holding every assigned cell."""
        if self.row.size == 0:
            return None
        return (int(self.row.min()), int(self.row.max()) + 1,
                int(self.col.min()), int(self.col.max()) + 1)


def _check_transform(transform: Affine) -> float:
    problem = lattice_problem(transform)  # the readers say it naming the file
    if problem:
        raise InputError(problem)
    return float(transform.a)


def _ranges(bounds: np.ndarray, transform: Affine, shape, centres: bool):
    """First/last row and column of candidate cells per bounding box."""
    cs = _check_transform(transform)
    x0, y0 = transform.c, transform.f
    h, w = shape
    xmin, ymin, xmax, ymax = bounds.T
    eps = 1e-9
    if centres:
        # Centres x0 + (c + 0.5) cs within [xmin, xmax]; inclusive of the edges.
        c0 = np.ceil((xmin - x0) / cs - 0.5 - eps)
        c1 = np.floor((xmax - x0) / cs - 0.5 + eps)
        r0 = np.ceil((y0 - ymax) / cs - 0.5 - eps)
        r1 = np.floor((y0 - ymin) / cs - 0.5 + eps)
    else:
        c0 = np.floor((xmin - x0) / cs)
        c1 = np.ceil((xmax - x0) / cs) - 1
        r0 = np.floor((y0 - ymax) / cs)
        r1 = np.ceil((y0 - ymin) / cs) - 1
    nan = np.isnan(xmin)
    c0 = np.where(nan, 0, np.clip(c0, 0, w)).astype(np.int64)
    c1 = np.where(nan, -1, np.clip(c1, -1, w - 1)).astype(np.int64)
    r0 = np.where(nan, 0, np.clip(r0, 0, h)).astype(np.int64)
    r1 = np.where(nan, -1, np.clip(r1, -1, h - 1)).astype(np.int64)
    return r0, r1, c0, c1


def _candidates(geoms: np.ndarray, transform: Affine, shape, centres: bool,
                margin: float = 0.0):
    """Yield blocks of (start, stop, zone, row, col) candidate cells from bounding boxes.

    Each block covers the zones ``start:stop``.
    """
    bounds = shapely.bounds(geoms)
    if margin:
        bounds = bounds + np.array([-margin, -margin, margin, margin])
    r0, r1, c0, c1 = _ranges(bounds, transform, shape, centres)
    nr = np.maximum(r1 - r0 + 1, 0)
    nc = np.maximum(c1 - c0 + 1, 0)
    counts = nr * nc
    ends = np.cumsum(counts)
    start = 0
    while start < len(geoms):
        base = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, base + _CHUNK, side="right"))
        stop = max(stop, start + 1)
        idx = np.arange(start, stop)
        cnt = counts[idx]
        total = int(cnt.sum())
        if total:
            zone = np.repeat(idx, cnt)
            offs = np.repeat(np.cumsum(cnt) - cnt, cnt)
            local = np.arange(total, dtype=np.int64) - offs
            ncz = nc[zone]
            yield start, stop, zone, r0[zone] + local // ncz, c0[zone] + local % ncz
        start = stop


def assign_cells(geoms, transform: Affine, shape: tuple[int, int],
                 method: str = "centre", edge_tolerance: float = 0.0) -> CellAssignment:
    """Find the cells each geometry holds under a sampling rule.

    Vectorised over all geometries: candidate cells come from each bounding box,
    then one ``shapely`` call tests them all. No Python loop runs per geometry.

    Parameters
    ----------
    geoms
        Polygons in the grid's CRS (array-like of shapely geometries).
    transform
        The full grid's affine transform (north-up, square cells).
    shape
        The full grid's (rows, cols).
    method
        ``centre``, ``all-touched`` or ``area-weighted``.
    edge_tolerance
        ``centre`` only: a centre this near a boundary's edge (CRS units) counts as on
        it; for reprojected boundaries (:func:`airq.read.boundaries.edge_tolerance`).

    Returns
    -------
    CellAssignment

    Examples
    --------
    >>> from affine import Affine
    >>> a = assign_cells([shapely.box(0, 0, 40, 20)], Affine(20, 0, 0, 0, -20, 40), (2, 3))
    >>> a.row.tolist(), a.col.tolist()
    ([1, 1], [0, 1])
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    geoms = np.asarray(geoms, dtype=object)
    shape = (int(shape[0]), int(shape[1]))
    if method == "area-weighted":
        return _assign_area_weighted(geoms, transform, shape)
    cs = _check_transform(transform)
    x0, y0 = transform.c, transform.f
    zs, rs, cs_ = [], [], []
    for start, stop, zone, row, col in _candidates(geoms, transform, shape,
                                                   centres=method == "centre",
                                                   margin=edge_tolerance
                                                   if method == "centre" else 0.0):
        # Prepared geometries test faster but cost memory (~150 bytes per parcel):
        # prepare one block at a time and release it after.
        block = geoms[start:stop]
        fresh = block[~shapely.is_prepared(block)]
        shapely.prepare(fresh)
        if method == "centre":
            px, py = x0 + (col + 0.5) * cs, y0 - (row + 0.5) * cs
            hit = shapely.intersects_xy(geoms[zone], px, py)
            miss = np.flatnonzero(~hit)
            if edge_tolerance > 0 and miss.size:
                hit[miss] = shapely.dwithin(geoms[zone[miss]],
                                            shapely.points(px[miss], py[miss]), edge_tolerance)
        else:
            boxes = shapely.box(x0 + col * cs, y0 - (row + 1) * cs, x0 + (col + 1) * cs,
                                y0 - row * cs)
            g = geoms[zone]
            hit = shapely.intersects(g, boxes)
            hit[hit] &= ~shapely.touches(g[hit], boxes[hit])
        shapely.destroy_prepared(fresh)
        zs.append(zone[hit])
        rs.append(row[hit])
        cs_.append(col[hit])
    empty = np.empty(0, dtype=np.int64)
    return CellAssignment(
        zone=np.concatenate(zs) if zs else empty, row=np.concatenate(rs) if rs else empty,
        col=np.concatenate(cs_) if cs_ else empty, weight=None, method=method,
        n_zones=len(geoms), transform=transform, shape=shape)


def _assign_area_weighted(geoms: np.ndarray, transform: Affine, shape) -> CellAssignment:
    """Coverage fractions from exactextract, on a dummy raster of the grid's geometry."""
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    cs = _check_transform(transform)
    h, w = shape
    empty = np.empty(0, dtype=np.int64)
    ok = ~shapely.is_empty(geoms)
    if not ok.any():
        return CellAssignment(empty, empty, empty, np.empty(0), "area-weighted", len(geoms),
                              transform, shape)
    r0, r1, c0, c1 = _ranges(shapely.bounds(geoms[ok]), transform, shape, centres=False)
    wr0, wr1 = int(r0.min()), int(r1.max()) + 1
    wc0, wc1 = int(c0.min()), int(c1.max()) + 1
    if wr1 <= wr0 or wc1 <= wc0:
        return CellAssignment(empty, empty, empty, np.empty(0), "area-weighted", len(geoms),
                              transform, shape)
    x0, y0 = transform.c + wc0 * cs, transform.f - wr0 * cs
    mat = np.zeros((wr1 - wr0, wc1 - wc0), dtype="float32")
    # Geometries are already in the grid's CRS; both sides carry the same label so
    # exactextract's CRS check passes and nothing is reprojected.
    from pyproj import CRS

    label = CRS.from_epsg(27700)
    src = NumPyRasterSource(mat, x0, y0 - mat.shape[0] * cs, x0 + mat.shape[1] * cs, y0,
                            srs_wkt=label.to_wkt())
    idx = np.flatnonzero(ok)
    gdf = gpd.GeoDataFrame({"zone": idx}, geometry=list(geoms[idx]), crs=label)
    df = exact_extract(src, gdf, ["cell_id", "coverage"], include_cols=["zone"],
                       output="pandas")
    zones, rows, cols, wts = [], [], [], []
    ncols = mat.shape[1]
    for zone, cell_id, cov in zip(df["zone"], df["cell_id"], df["coverage"], strict=True):
        cell_id = np.asarray(cell_id, dtype=np.int64)
        cov = np.asarray(cov, dtype=float)
        keep = cov > 0
        zones.append(np.full(int(keep.sum()), zone, dtype=np.int64))
        rows.append(cell_id[keep] // ncols + wr0)
        cols.append(cell_id[keep] % ncols + wc0)
        wts.append(cov[keep])
    return CellAssignment(np.concatenate(zones), np.concatenate(rows), np.concatenate(cols),
                          np.concatenate(wts), "area-weighted", len(geoms), transform, shape)


def containing_cells(geoms, transform: Affine, shape) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the cell holding each geometry's representative point.

    The fallback for a boundary that holds no cell centre: the cell it lies in.
    Rows/cols are -1 where the point is outside the grid.
    """
    pts = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    cs = _check_transform(transform)
    col = np.floor((x - transform.c) / cs)
    row = np.floor((transform.f - y) / cs)
    h, w = shape
    inside = (row >= 0) & (row < h) & (col >= 0) & (col < w) & ~np.isnan(x)
    return (np.where(inside, row, -1).astype(np.int64),
            np.where(inside, col, -1).astype(np.int64))


@dataclass(frozen=True, eq=False)
class GroupStats:
    """Statistics per group, as arrays of length ``n_groups`` (NaN where undefined).

    ``n_points`` counts valid cells (for area-weighted: cells with any coverage);
    ``weight`` is the sum of weights (equal to ``n_points`` unless area-weighted);
    ``n_excluded`` counts cells left out as implausible (``--drop-implausible``).
    """

    n_points: np.ndarray
    n_nodata: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    min: np.ndarray
    max: np.ndarray
    median: np.ndarray
    ddof: int
    n_excluded: np.ndarray | None = None

    def row(self, i: int) -> dict:
        """Statistics of group ``i`` as plain Python values (None for undefined)."""
        def f(a):
            v = float(a[i])
            return None if np.isnan(v) else v
        excluded = 0 if self.n_excluded is None else int(self.n_excluded[i])
        return {"n_points": int(self.n_points[i]), "n_nodata": int(self.n_nodata[i]),
                "mean": f(self.mean), "sd": f(self.sd), "min": f(self.min),
                "max": f(self.max), "median": f(self.median), "n_implausible": excluded}


def summarise(values: np.ndarray, group: np.ndarray, n_groups: int,
              weight: np.ndarray | None = None, ddof: int = 0,
              excluded: np.ndarray | None = None, float32: bool = False) -> GroupStats:
    """Count, mean, SD, min, max and median of ``values`` per group; NaN values are NODATA.

    The core aggregation, a pure function of values, group labels and weights.
    SD is the population SD (``ddof=0``, divide by the weight total) or the sample
    SD (``ddof=1``: unweighted, divide by n - 1; weighted, reliability weights,
    divide by W - sum(w^2)/W). The weighted median is the value where the
    cumulative weight reaches half the total (the mean of two values on a tie),
    which equals ``numpy.median`` when all weights are 1.

    Parameters
    ----------
    values
        One value per (group, cell) pair; NaN for NODATA.
    group
        Group index of each value, 0 <= group < n_groups.
    n_groups
        Number of groups (groups with no value get count 0 and NaN statistics).
    weight
        Optional weights (> 0) of each value.
    ddof
        0 for population SD, 1 for sample SD.
    excluded
        True for values left out as implausible: neither points nor NODATA, counted
        in ``n_excluded``.
    float32
        The values are float32 cells: min, max, median and a one-cell mean are
        reported as the decimals the cells stand for
        (:func:`airq.analyse.precision.as_written`).

    Returns
    -------
    GroupStats
    """
    values = np.asarray(values, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    n_excluded = None
    if excluded is not None:
        excluded = np.asarray(excluded, dtype=bool)
        n_excluded = np.bincount(group[excluded], minlength=n_groups)
        values, group = values[~excluded], group[~excluded]
        weight = None if weight is None else np.asarray(weight, dtype=float)[~excluded]
    nod = np.isnan(values)
    n_nodata = np.bincount(group[nod], minlength=n_groups)
    v, g = values[~nod], group[~nod]
    w = np.ones_like(v) if weight is None else np.asarray(weight, dtype=float)[~nod]
    n = np.bincount(g, minlength=n_groups)
    wsum = np.bincount(g, weights=w, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=w * v, minlength=n_groups) / wsum
        # Two-pass variance: subtract the group mean first for numerical stability.
        dev2 = np.bincount(g, weights=w * (v - mean[g]) ** 2, minlength=n_groups)
        if ddof == 0:
            denom = wsum
        elif weight is None:
            denom = n - 1.0
        else:
            w2 = np.bincount(g, weights=w * w, minlength=n_groups)
            denom = wsum - w2 / wsum
        var = np.where(denom > 0, dev2 / np.where(denom > 0, denom, 1), np.nan)
    sd = np.sqrt(np.maximum(var, 0))
    mean = np.where(n > 0, mean, np.nan)
    sd = np.where(n > 0, sd, np.nan)
    order = np.lexsort((v, g))
    vs, gs, ws = v[order], g[order], w[order]
    starts = np.searchsorted(gs, np.arange(n_groups), side="left")
    ends = np.searchsorted(gs, np.arange(n_groups), side="right")
    has = ends > starts
    if float32 and weight is not None:
        vs = as_written(vs)  # the weighted median below may average two of them
    pick = as_written if float32 and weight is None else np.asarray
    if float32:  # a one-cell mean (e.g. a containing-cell fallback) is its cell as written
        one = n == 1
        mean[one] = as_written(mean[one])
    vmin = np.full(n_groups, np.nan)
    vmax = np.full(n_groups, np.nan)
    vmin[has] = pick(vs[starts[has]])
    vmax[has] = pick(vs[ends[has] - 1])
    median = np.full(n_groups, np.nan)
    if weight is None:
        lo = starts + (n - 1) // 2
        hi = starts + n // 2
        median[has] = (pick(vs[lo[has]]) + pick(vs[hi[has]])) / 2
    else:
        cum = np.cumsum(ws)
        before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        half = before + wsum / 2
        for i in np.flatnonzero(has):
            seg = cum[starts[i]:ends[i]]
            k = int(np.searchsorted(seg, half[i] - 1e-12 * max(1.0, wsum[i])))
            k = min(k, len(seg) - 1)
            m = vs[starts[i] + k]
            if np.isclose(seg[k], half[i]) and k + 1 < len(seg):
                m = (m + vs[starts[i] + k + 1]) / 2
            median[i] = m
    return GroupStats(n_points=n, n_nodata=n_nodata, weight=wsum, mean=mean, sd=sd,
                      min=vmin, max=vmax, median=median, ddof=ddof, n_excluded=n_excluded)


def dedupe_pairs(group: np.ndarray, row: np.ndarray, col: np.ndarray, width: int,
                 weight: np.ndarray | None = None):
    """Keep each (group, cell) pair once, so a cell shared by two boundaries counts once.

    Returns the kept indices into the inputs (weights: the largest of the duplicates).
    """
    key = (group.astype(np.int64) * (np.int64(row.max(initial=0)) + 1) + row) * width + col
    if weight is None:
        _, keep = np.unique(key, return_index=True)
        return np.sort(keep)
    order = np.lexsort((-weight, key))
    ks = key[order]
    first = np.ones(len(ks), dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    return np.sort(order[first])


def values_at(values: np.ndarray, row: np.ndarray, col: np.ndarray,
              offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Grid values at full-grid (row, col), from an array that is a window at ``offset``.

    Always float64, whatever the grid's dtype (LAEI grids are read as float32).

    Raises
    ------
    InputError
        If a cell lies outside the window read.
    """
    return cells_at(values, row, col, offset).astype(np.float64)  # float32: stats in float64


def cells_at(array: np.ndarray, row: np.ndarray, col: np.ndarray,
             offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Entries of a window-shaped array at full-grid (row, col), in its own dtype.

    Raises
    ------
    InputError
        If a cell lies outside the window read.
    """
    r = row - offset[0]
    c = col - offset[1]
    h, w = array.shape
    if r.size and (r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w):
        raise InputError("internal: a sampled cell lies outside the grid window that was read")
    return array[r, c]


def group_stats(assignment: CellAssignment, values: np.ndarray, *,
                groups: np.ndarray | None = None, n_groups: int | None = None,
                offset: tuple[int, int] = (0, 0), ddof: int = 0,
                excluded: np.ndarray | None = None) -> GroupStats:
    """Statistics per group of zones, each cell once per group.

    Parameters
    ----------
    assignment
        From :func:`assign_cells`.
    values
        The grid values (NaN = NODATA), whole or a window at ``offset``.
    groups
        Group index of each zone (default: each zone its own group).
    n_groups
        Number of groups (default ``groups.max() + 1``).
    offset
        (row, col) of ``values``' top-left cell in the full grid.
    ddof
        0 for population SD, 1 for sample SD.
    excluded
        Cells left out as implausible, shaped as ``values`` (None: none).
    """
    zone_group = np.arange(assignment.n_zones) if groups is None else np.asarray(groups)
    if n_groups is None:
        n_groups = int(zone_group.max()) + 1 if zone_group.size else 0
    g = zone_group[assignment.zone]
    keep = dedupe_pairs(g, assignment.row, assignment.col, assignment.shape[1],
                        assignment.weight)
    rows, cols = assignment.row[keep], assignment.col[keep]
    v = values_at(values, rows, cols, offset)
    ex = None if excluded is None else cells_at(excluded, rows, cols, offset)
    w = None if assignment.weight is None else assignment.weight[keep]
    return summarise(v, g[keep], n_groups, weight=w, ddof=ddof, excluded=ex,
                     float32=values.dtype == np.float32)
