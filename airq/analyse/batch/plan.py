"""Batch plan: usable parcels by group and the cells of each group on one grid geometry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely

from airq.analyse.batch.inputs import _column
from airq.analyse.batch.results import BatchError
from airq.analyse.batch.scanline import assign_centres_scanline
from airq.analyse.zonal import (
    CellAssignment,
    assign_cells,
    containing_cells,
    dedupe_pairs,
)


@dataclass(frozen=True, eq=False)
class _Parcels:
    gdf: object          # boundaries (valid ones only), with airq_id
    codes: np.ndarray    # group index of each parcel
    names: np.ndarray    # group name of each group index
    ids: np.ndarray      # airq_id of each parcel
    rank: np.ndarray     # position of each parcel when ordered by (group, airq_id)
    gkey: np.ndarray     # sort key of each group (its index in the whole run)

    def group_column(self, per_boundary: bool):
        """Group names as a categorical column: cheap at millions of rows."""
        codes = self.codes if per_boundary else np.arange(len(self.names))
        return pd.Categorical.from_codes(codes, categories=pd.Index(self.names, dtype=object))

    def id_column(self):
        """Boundary ids, categorical when unique."""
        index = pd.Index(self.ids, dtype=object)
        if index.is_unique:
            return pd.Categorical.from_codes(np.arange(len(self.ids)), categories=index)
        return self.ids


@dataclass(frozen=True, eq=False)
class _Plan:
    """Cells of each group (and parcel) on one grid geometry."""

    g_row: np.ndarray
    g_col: np.ndarray
    g_grp: np.ndarray
    g_weight: np.ndarray | None
    g_fallback: np.ndarray   # per group
    g_ok: np.ndarray         # per group: has at least one cell
    n_no_centre: np.ndarray  # per group
    n_parcels: np.ndarray    # per group
    errors: tuple[BatchError, ...]
    p_zone: np.ndarray | None = None
    p_row: np.ndarray | None = None
    p_col: np.ndarray | None = None
    p_weight: np.ndarray | None = None
    p_fallback: np.ndarray | None = None
    p_ok: np.ndarray | None = None


def _geometry_key(grid):
    t = grid.full_transform
    return (grid.crs, tuple(round(v, 6) for v in (t.a, t.b, t.c, t.d, t.e, t.f)),
            grid.full_shape)


def _unions(geoms: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    return np.array([shapely.union_all(geoms[order[bounds[i]:bounds[i + 1]]])
                     for i in range(n)], dtype=object)


#: Zones whose bounding box spans more candidate cells than this use the scanline.
SCANLINE_MIN_CELLS = 256


def _assign(geoms: np.ndarray, transform, shape, method: str,
            edge_tolerance: float = 0.0) -> CellAssignment:
    """``assign_cells``, with large zones (LSOAs...) done by scanline; same pairs.

    The scanline path takes exact edges (``edge_tolerance`` applies to the others).
    """
    if method != "centre" or len(geoms) == 0:
        return assign_cells(geoms, transform, shape, method)
    cs = transform.a
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    big = np.nan_to_num((xmax - xmin) * (ymax - ymin) / (cs * cs)) > SCANLINE_MIN_CELLS
    if not big.any():
        return assign_cells(geoms, transform, shape, method, edge_tolerance)
    small_idx, big_idx = np.flatnonzero(~big), np.flatnonzero(big)
    a = assign_cells(geoms[small_idx], transform, shape, method, edge_tolerance)
    b = assign_centres_scanline(geoms[big_idx], transform, shape)
    return CellAssignment(
        zone=np.concatenate([small_idx[a.zone], big_idx[b.zone]]),
        row=np.concatenate([a.row, b.row]), col=np.concatenate([a.col, b.col]), weight=None,
        method=method, n_zones=len(geoms), transform=transform,
        shape=(int(shape[0]), int(shape[1])))


def _plan(parcels: _Parcels, grid, method: str, per_boundary: bool) -> _Plan:
    from airq.read.boundaries import edge_tolerance, reproject_to

    gdf = reproject_to(parcels.gdf, grid.crs)
    tol = edge_tolerance(parcels.gdf.crs.to_string() if parcels.gdf.crs else None, grid.crs)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    codes = parcels.codes
    n = len(parcels.names)
    ft, fs = grid.full_transform, grid.full_shape
    xmin, ymin, xmax, ymax = grid.bounds
    inside = shapely.intersects(geoms, shapely.box(xmin, ymin, xmax, ymax))
    g_inside = np.bincount(codes, weights=inside, minlength=n) > 0
    n_parcels = np.bincount(codes, minlength=n)
    rule = "centre" if method == "centre" else method
    zones = _assign(geoms, ft, fs, "centre" if rule == "area-weighted" else rule, tol)
    counts = zones.counts()
    n_no_centre = np.bincount(codes, weights=counts == 0, minlength=n).astype(np.int64)
    if rule == "area-weighted":
        # Groups are dissolved first, as query does, so overlaps are not counted twice.
        ga = assign_cells(_unions(geoms, codes, n), ft, fs, "area-weighted")
        g_row, g_col, g_grp, g_w = ga.row, ga.col, ga.zone, ga.weight
    else:
        g = codes[zones.zone]
        keep = dedupe_pairs(g, zones.row, zones.col, fs[1])
        g_row, g_col, g_grp, g_w = zones.row[keep], zones.col[keep], g[keep], None
    has = np.bincount(g_grp, minlength=n) > 0
    # A group with no cell centre at all uses the cells its boundaries lie in (as query).
    need = ~has & g_inside
    fb_row = fb_col = fb_grp = np.empty(0, dtype=np.int64)
    if need.any():
        sel = np.flatnonzero(need[codes])
        fr, fc = containing_cells(geoms[sel], ft, fs)
        ok = fr >= 0
        pairs = np.unique(np.stack([codes[sel][ok], fr[ok], fc[ok]], axis=1), axis=0)
        fb_grp, fb_row, fb_col = pairs[:, 0], pairs[:, 1], pairs[:, 2]
    g_fallback = need & (np.bincount(fb_grp, minlength=n) > 0)
    g_row = np.concatenate([g_row, fb_row])
    g_col = np.concatenate([g_col, fb_col])
    g_grp = np.concatenate([g_grp, fb_grp])
    if g_w is not None:
        g_w = np.concatenate([g_w, np.ones(len(fb_grp))])
    g_ok = has | g_fallback
    label = grid.info.label
    errors = []
    for i in np.flatnonzero(~g_ok):
        if not g_inside[i]:
            reason = (f"outside the grid {label} (extent x {xmin:.0f}-{xmax:.0f}, "
                      f"y {ymin:.0f}-{ymax:.0f}, {grid.crs})")
        else:
            reason = f"no grid point of {label} inside, and no grid cell under it"
        errors.append(BatchError(str(parcels.names[i]), reason, label))
    plan = _Plan(g_row, g_col, g_grp, g_w, g_fallback, g_ok, n_no_centre, n_parcels,
                 tuple(errors))
    if not per_boundary:
        return plan
    if rule == "area-weighted":
        zones = assign_cells(geoms, ft, fs, "area-weighted")
        counts = zones.counts()
    empty = np.flatnonzero(counts == 0)
    fr, fc = containing_cells(geoms[empty], ft, fs)
    ok = fr >= 0
    p_fb = np.zeros(len(geoms), dtype=bool)
    p_fb[empty[ok]] = True
    p_ok = (counts > 0) | p_fb
    w = zones.weight
    for i in np.flatnonzero(~p_ok):
        errors.append(BatchError(str(parcels.names[codes[i]]),
                                 f"outside the grid {label}: no grid cell under the boundary",
                                 label, str(parcels.ids[i])))
    return replace(
        plan, errors=tuple(errors), p_zone=np.concatenate([zones.zone, empty[ok]]),
        p_row=np.concatenate([zones.row, fr[ok]]), p_col=np.concatenate([zones.col, fc[ok]]),
        p_weight=None if w is None else np.concatenate([w, np.ones(int(ok.sum()))]),
        p_fallback=p_fb, p_ok=p_ok)


def _prepare(boundaries, group_by: str, lost: Sequence[str], per_boundary: bool = True):
    gdf = boundaries.gdf
    column = _column(gdf, group_by, boundaries.name)
    # Factorised straight from the column: no Python string per boundary (London has
    # 1.5M of them), only one per group.
    codes_all, uniq_all = pd.factorize(gdf[column].astype("string").fillna("(no value)"),
                                       sort=True)
    uniq_all = np.asarray(uniq_all, dtype=object)
    if getattr(boundaries, "all_valid", False):  # the reader checked every geometry
        bad = np.zeros(len(gdf), dtype=bool)
    else:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        bad = ~shapely.is_valid(geoms) | shapely.is_empty(geoms)
    errors = [BatchError(str(g), "boundary geometry is empty or could not be repaired")
              for g in lost]
    bad_codes = np.unique(codes_all[bad])
    for code in bad_codes:
        ids = gdf["airq_id"].to_numpy()[bad & (codes_all == code)]
        errors.append(BatchError(str(uniq_all[code]), "invalid geometry that could not be "
                                 f"repaired (boundaries {', '.join(map(str, ids[:5]))})"))
    keep = ~np.isin(codes_all, bad_codes)
    if not keep.all():  # no copy of millions of rows when every group is usable
        gdf = gdf[keep]
    if not gdf.index.equals(pd.RangeIndex(len(gdf))):
        gdf = gdf.reset_index(drop=True)
    used, codes = np.unique(codes_all[keep], return_inverse=True)
    codes = codes.astype(np.int64)
    ids = gdf["airq_id"].to_numpy(dtype=object)
    # The order of boundaries within a group matters only for per-boundary rows.
    rank = _rank(codes, ids) if per_boundary else np.arange(len(codes))
    parcels = _Parcels(gdf, codes, uniq_all[used], ids, rank, np.arange(len(used)))
    return parcels, errors


def _rank(codes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.lexsort((ids.astype(str), codes))] = np.arange(len(codes))
    return rank


def _geometry(parcels: _Parcels, per_boundary: bool):
    """Each boundary (per-boundary rows) or each group's union, in the boundaries' CRS."""
    import geopandas as gpd

    gdf = parcels.gdf
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if per_boundary:
        return gpd.GeoDataFrame({"group": parcels.names[parcels.codes], "airq_id": parcels.ids},
                                geometry=geoms, crs=gdf.crs)
    return gpd.GeoDataFrame({"group": parcels.names},
                            geometry=_unions(geoms, parcels.codes, len(parcels.names)),
                            crs=gdf.crs)
