"""Batch statistics: every group of boundaries (every street of a borough) over many grids.

The sampling rules and group semantics are those of ``airq query`` (a cell shared
by two boundaries of one group counts once; a group holding no cell centre falls
back to the cells its boundaries lie in). The work is vectorised across all
boundaries: the boundary-to-cell assignment is computed once per grid geometry
(every grid of an edition shares it), then each grid costs one gather and one
pass of grouped counts and sums. Grids are read one at a time, each as a window
covering the boundaries.

A group that cannot be assessed (geometry that could not be repaired, outside the
grid, no grid cell under it) becomes a :class:`BatchError`; the others finish.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from airq import __version__
from airq.analyse.zonal import (
    SD_DDOF,
    CellAssignment,
    GroupStats,
    assign_cells,
    containing_cells,
    dedupe_pairs,
    summarise,
    values_at,
)
from airq.config import Settings
from airq.errors import AirqError, AirqWarning, InputError

#: Columns of the long table, in order (``airq_id`` only with per-boundary rows).
COLUMNS = ("group", "pollutant", "year", "edition", "units", "n_points", "n_nodata", "mean",
           "sd", "min", "max", "median", "objective", "exceeds", "margin", "fallback",
           "n_boundaries", "n_no_centre")
#: Exit status of ``airq batch`` when some groups failed and the rest were written.
EXIT_PARTIAL = 3
_ORDER = {"no2": 0, "nox": 1, "pm10": 2, "pm25": 3, "pm10d": 4}

#: ``progress(done, total, description)`` is called after each grid.
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BatchError:
    """A group (or boundary) that could not be assessed, and why."""

    group: str
    reason: str
    grid: str | None = None
    airq_id: str | None = None

    def to_dict(self) -> dict:
        """Return the error as plain values."""
        return {"group": self.group, "airq_id": self.airq_id, "grid": self.grid,
                "reason": self.reason}


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Rows of a batch run, the groups that failed, and where the numbers came from.

    Attributes
    ----------
    rows
        One row per group (or boundary) x pollutant x model year; see :data:`COLUMNS`.
    errors
        Groups or boundaries that could not be assessed, with the reason.
    provenance
        airq version, run time, inputs (boundaries, every grid), settings, command.
    group_by
        The grouping column.
    per_boundary
        Whether rows are per boundary (``airq_id``) rather than per group.
    geometry
        A GeoDataFrame of each group's union (or each boundary) keyed by ``group``
        (and ``airq_id``), or None when not asked for.
    warnings
        airq warnings raised on the way, once each.
    """

    rows: pd.DataFrame
    errors: tuple[BatchError, ...]
    provenance: dict
    group_by: str
    per_boundary: bool = False
    geometry: object = None
    warnings: tuple[str, ...] = field(default=())
    landuse: pd.DataFrame | None = None

    @property
    def partial(self) -> bool:
        """Whether some groups or boundaries failed."""
        return bool(self.errors)

    @property
    def keys(self) -> list[str]:
        """The key columns of a row: ``group`` and, per boundary, ``airq_id``."""
        return ["group", "airq_id"] if self.per_boundary else ["group"]

    def errors_frame(self) -> pd.DataFrame:
        """Return the errors as a table (group, airq_id, grid, reason)."""
        return pd.DataFrame([e.to_dict() for e in self.errors],
                            columns=["group", "airq_id", "grid", "reason"])

    def wide(self) -> pd.DataFrame:
        """One row per group (or boundary): ``<pollutant>_<year>_<stat>`` columns.

        Adds ``worst_margin`` (the largest margin over the concentration rows) and
        ``any_exceeds``.
        """
        df = self.rows
        keys = self.keys
        if df.empty:
            return pd.DataFrame(columns=[*keys, "worst_margin", "any_exceeds"])
        tag = df["pollutant"].astype(str) + "_" + df["year"].astype("string").fillna("na")
        stats = ["n_points", "mean", "sd", "min", "max", "median", "objective", "exceeds",
                 "margin", "fallback"]
        df = df.assign(**{k: df[k].astype(object) for k in keys})
        w = df.assign(_tag=tag).pivot(index=keys, columns="_tag", values=stats)
        order = list(dict.fromkeys(tag))
        w = w.reindex(columns=pd.MultiIndex.from_product([stats, order]))
        w.columns = [f"{t}_{s}" for s, t in w.columns]
        w = w[[f"{t}_{s}" for t in order for s in stats]].infer_objects()
        for c in w.columns:
            if c.endswith("_exceeds"):
                w[c] = w[c].astype("boolean")
            elif c.endswith("_n_points"):
                w[c] = w[c].astype("Int64")
        conc = df[df["pollutant"] != "pm10d"]
        worst = conc.groupby(keys, sort=False, observed=True)["margin"].max()
        anyx = conc.groupby(keys, sort=False, observed=True)["exceeds"].any()
        w = w.join(worst.rename("worst_margin")).join(anyx.rename("any_exceeds"))
        w = w.reset_index()
        if self.landuse is not None and not self.per_boundary:
            w = w.merge(self.landuse, on="group", how="left")
        return w

    def worst_margin(self) -> pd.Series:
        """Return the largest margin against the objective per group (concentrations only)."""
        conc = self.rows[self.rows["pollutant"] != "pm10d"]
        return conc.groupby(self.keys, observed=True)["margin"].max()


# --------------------------------------------------------------------------- inputs


def read_batch_boundaries(path, group_by: str, *, where: Sequence[str] = (),
                          crs: str | None = None, layer: str | None = None,
                          name: str | None = None):
    """Read boundaries for a batch and list the groups lost to unusable geometry.

    Returns
    -------
    (Boundaries, list of str)
        The boundaries (as :func:`airq.read.boundaries.read_boundaries`) and the groups
        whose every boundary was empty or could not be repaired (so they are
        reported, not silently missing).

    Raises
    ------
    InputError
        As ``read_boundaries``; also if ``group_by`` is not a column.
    """
    from airq.read.boundaries import _select, file_columns, parse_where, read_boundaries

    p = Path(path).expanduser()
    if p.exists():  # a missing column is named against every column of the file
        _column(pd.DataFrame(columns=file_columns(p, layer)), group_by, p.name)
    b = read_boundaries(path, where=where, crs=crs, layer=layer, name=name, columns=[group_by])
    column = _column(b.gdf, group_by, Path(path).name)
    lost: list[str] = []
    if b.dropped_empty:
        import pyogrio

        raw = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        filters = parse_where(where)
        if filters:
            raw = _select(raw, filters, Path(path))
        have = set(_group_names(b.gdf[column]))
        lost = sorted(set(_group_names(raw[column])) - have)
    return b, lost


def _column(gdf, group_by: str, source: str) -> str:
    if group_by in gdf.columns:
        return group_by
    match = {c.lower(): c for c in gdf.columns}.get(group_by.lower())
    if match is None:
        cols = ", ".join(c for c in gdf.columns if c not in ("geometry", "airq_id"))
        raise InputError(f"{source} has no column {group_by!r} to group by; its columns are "
                         f"{cols}")
    return match


def _group_names(series) -> np.ndarray:
    return series.astype("string").fillna("(no value)").to_numpy(dtype=object)


#: Grids read ahead in background threads by :func:`gen_grids`.
PREFETCH = 2


def gen_grids(boundaries, items: Sequence, grid_crs: str | None = None,
              prefetch: bool = True) -> Iterator:
    """Yield each grid, read as a window covering the boundaries, one at a time.

    ``items`` may be :class:`~airq.read.grids.Grid` objects (yielded as they are),
    catalogue entries or :class:`~airq.pipeline.GridRequest` objects. With
    ``prefetch`` the next grid is read (and checksummed) in a background thread
    while the caller works on the current one: GDAL and hashlib release the GIL,
    so reading overlaps the statistics. At most ``PREFETCH + 1`` grids are in memory.
    """
    from concurrent.futures import ThreadPoolExecutor

    from airq.pipeline import load_grids
    from airq.read.grids import Grid

    items = list(items)
    bounds_cache: dict = {}

    def read(item):
        if isinstance(item, Grid):
            return item
        return load_grids(boundaries, [item], grid_crs, bounds_cache=bounds_cache)[0]

    if not prefetch or len(items) < 2:
        for item in items:
            yield read(item)
        return
    from collections import deque

    with ThreadPoolExecutor(max_workers=PREFETCH, thread_name_prefix="airq-read") as pool:
        pending = deque(pool.submit(read, item) for item in items[:PREFETCH])
        for item in items[PREFETCH:]:
            grid = pending.popleft().result()
            pending.append(pool.submit(read, item))
            yield grid
            del grid
        while pending:
            yield pending.popleft().result()


# --------------------------------------------------------------------------- analysis


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


def _assign(geoms: np.ndarray, transform, shape, method: str) -> CellAssignment:
    """``assign_cells``, with large zones (LSOAs...) done by scanline; same pairs."""
    if method != "centre" or len(geoms) == 0:
        return assign_cells(geoms, transform, shape, method)
    cs = transform.a
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    big = np.nan_to_num((xmax - xmin) * (ymax - ymin) / (cs * cs)) > SCANLINE_MIN_CELLS
    if not big.any():
        return assign_cells(geoms, transform, shape, method)
    small_idx, big_idx = np.flatnonzero(~big), np.flatnonzero(big)
    a = assign_cells(geoms[small_idx], transform, shape, method)
    b = assign_centres_scanline(geoms[big_idx], transform, shape)
    return CellAssignment(
        zone=np.concatenate([small_idx[a.zone], big_idx[b.zone]]),
        row=np.concatenate([a.row, b.row]), col=np.concatenate([a.col, b.col]), weight=None,
        method=method, n_zones=len(geoms), transform=transform,
        shape=(int(shape[0]), int(shape[1])))


def _plan(parcels: _Parcels, grid, method: str, per_boundary: bool) -> _Plan:
    from airq.read.boundaries import reproject_to

    gdf = reproject_to(parcels.gdf, grid.crs)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    codes = parcels.codes
    n = len(parcels.names)
    ft, fs = grid.full_transform, grid.full_shape
    xmin, ymin, xmax, ymax = grid.bounds
    inside = shapely.intersects(geoms, shapely.box(xmin, ymin, xmax, ymax))
    g_inside = np.bincount(codes, weights=inside, minlength=n) > 0
    n_parcels = np.bincount(codes, minlength=n)
    rule = "centre" if method == "centre" else method
    zones = _assign(geoms, ft, fs, "centre" if rule == "area-weighted" else rule)
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


def _objective_columns(pollutant: str, kind: str, mean: np.ndarray, vmax: np.ndarray,
                       selected) -> tuple[float, np.ndarray, np.ndarray]:
    from airq.analyse.objectives import annual_objective

    if kind != "concentration":
        # PM10d day counts: the 24-hour objective's allowed days, tested on the worst
        # point as query does (max > allowed).
        o = next((o for o in selected if o.pollutant == "pm10" and o.period == "24-hour"),
                 None)
        if o is None or o.allowed_exceedances is None:
            return np.nan, np.full(len(mean), np.nan), np.full(len(mean), np.nan)
        value, basis = float(o.allowed_exceedances), vmax
    else:
        o = annual_objective(selected, pollutant)
        if o is None:
            return np.nan, np.full(len(mean), np.nan), np.full(len(mean), np.nan)
        value, basis = float(o.value), mean
    exceeds = np.where(np.isnan(basis), np.nan, basis > value)
    return value, exceeds, basis - value


def _frame(keys: dict, grid, gs, selected, fallback: np.ndarray, extra: dict) -> pd.DataFrame:
    info = grid.info
    n = len(gs.mean)
    value, exceeds, margin = _objective_columns(info.pollutant, info.kind, gs.mean, gs.max,
                                                selected)
    df = pd.DataFrame({
        **keys,
        "year": pd.array([info.year] * n, dtype="Int64"),
        "n_points": gs.n_points.astype(np.int64), "n_nodata": gs.n_nodata.astype(np.int64),
        "mean": gs.mean, "sd": gs.sd, "min": gs.min, "max": gs.max, "median": gs.median,
        "objective": value,
        "exceeds": pd.array(np.where(np.isnan(exceeds), None, exceeds == 1), dtype="boolean"),
        "margin": margin,
        "fallback": pd.Categorical.from_codes(fallback.astype(np.int8),
                                              categories=["", "containing-cell"]),
        **extra, "_r": _ORDER.get(info.pollutant, 9),
    })
    return df


_LOW32 = np.uint64(0xFFFFFFFF)
_SIGN32 = np.uint64(0x80000000)


def _sorted_by_group(v: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Values ordered by (group, value), as ``v[np.lexsort((v, g))]``.

    LAEI grids are float32, so each value fits in 32 bits: one sort of 64-bit keys
    (group in the high half, the float's order-preserving bit pattern in the low
    half) orders both at once, and the values are read back from the keys.
    Other values take the two-sort path.
    """
    f32 = v.astype(np.float32)
    if not np.array_equal(f32, v) or (g.size and g.max() >= 2**31):
        order = np.argsort(v)
        return v[order[np.argsort(g[order], kind="stable")]]
    u = f32.view(np.uint32).astype(np.uint64)
    u = np.where((u >> np.uint64(31)) == 1, u ^ _LOW32, u | _SIGN32)
    key = (g.astype(np.uint64) << np.uint64(32)) | u
    key.sort()
    low = key & _LOW32
    low = np.where((low >> np.uint64(31)) == 1, low ^ _SIGN32, low ^ _LOW32)
    return low.astype(np.uint32).view(np.float32).astype(np.float64)


def _summarise(values: np.ndarray, group: np.ndarray, n_groups: int,
               weight: np.ndarray | None, ddof: int) -> GroupStats:
    """:func:`airq.analyse.zonal.summarise` with two cheap sorts in place of ``lexsort``.

    Same formulas and results (population or sample SD, median as the mean of the
    two middle values); weighted input goes to ``summarise`` itself. ``lexsort`` of
    millions of (group, value) pairs dominated large runs (1.4 s per grid for
    London's LSOAs); a value argsort then a stable integer sort by group gives the
    same order several times faster.
    """
    if weight is not None:
        return summarise(values, group, n_groups, weight=weight, ddof=ddof)
    nod = np.isnan(values)
    n_nodata = np.bincount(group[nod], minlength=n_groups)
    v, g = values[~nod], group[~nod]
    n = np.bincount(g, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=v, minlength=n_groups) / n
        dev2 = np.bincount(g, weights=(v - mean[g]) ** 2, minlength=n_groups)
        denom = n.astype(float) if ddof == 0 else n - 1.0
        var = np.where(denom > 0, dev2 / np.where(denom > 0, denom, 1), np.nan)
    sd = np.where(n > 0, np.sqrt(np.maximum(var, 0)), np.nan)
    mean = np.where(n > 0, mean, np.nan)
    vs = _sorted_by_group(v, g)
    ends = np.cumsum(n)
    starts = ends - n
    has = n > 0
    vmin = np.full(n_groups, np.nan)
    vmax = np.full(n_groups, np.nan)
    median = np.full(n_groups, np.nan)
    vmin[has] = vs[starts[has]]
    vmax[has] = vs[ends[has] - 1]
    lo = starts + (n - 1) // 2
    hi = starts + n // 2
    median[has] = (vs[lo[has]] + vs[hi[has]]) / 2
    return GroupStats(n_points=n, n_nodata=n_nodata, weight=n.astype(float), mean=mean, sd=sd,
                      min=vmin, max=vmax, median=median, ddof=ddof)


def _grid_rows(parcels: _Parcels, grid, plan: _Plan, ddof: int, selected,
               per_boundary: bool) -> pd.DataFrame:
    n = len(parcels.names)
    v = values_at(grid.values, plan.g_row, plan.g_col, grid.window_offset)
    if not per_boundary:
        gs = _summarise(v, plan.g_grp, n, plan.g_weight, ddof)
        df = _frame({"group": parcels.group_column(False)}, grid, gs, selected, plan.g_fallback,
                    {"n_boundaries": plan.n_parcels, "n_no_centre": plan.n_no_centre,
                     "_k": parcels.gkey})
        return df[plan.g_ok]
    m = len(parcels.ids)
    v = values_at(grid.values, plan.p_row, plan.p_col, grid.window_offset)
    gs = _summarise(v, plan.p_zone, m, plan.p_weight, ddof)
    # A fallback boundary has one cell: SD 0, as query reports it.
    sd = np.where(plan.p_fallback & (gs.n_points > 0), 0.0, gs.sd)
    gs = replace(gs, sd=sd)
    df = _frame({"group": parcels.group_column(True), "airq_id": parcels.id_column()}, grid, gs,
                selected, plan.p_fallback,
                {"n_boundaries": 1, "n_no_centre": plan.p_fallback.astype(np.int64),
                 "_k": parcels.rank})
    ok = plan.p_ok & plan.g_ok[parcels.codes]
    return df[ok]


def _concat(frames, parcels: _Parcels, per_boundary: bool) -> pd.DataFrame:
    """Stack per-grid frames; pollutant, edition and units become categorical columns."""
    infos = [f.attrs.pop("info") for f in frames]
    fidx = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    rows = pd.concat(frames, ignore_index=True)
    rows.attrs = {}
    for col in ("pollutant", "edition", "units"):
        vals = np.array([getattr(i, col) or "" for i in infos], dtype=str)
        uniq, inv = np.unique(vals, return_inverse=True)
        rows[col] = pd.Categorical.from_codes(inv[fidx], categories=uniq.astype(object))
    if not isinstance(rows["group"].dtype, pd.CategoricalDtype):  # Dask partitions
        rows["group"] = pd.Categorical(rows["group"].astype(object),
                                       categories=pd.Index(parcels.names, dtype=object))
    if per_boundary and not isinstance(rows["airq_id"].dtype, pd.CategoricalDtype):
        ids = parcels.id_column()
        if isinstance(ids, pd.Categorical):
            rows["airq_id"] = pd.Categorical(rows["airq_id"].astype(object),
                                             categories=ids.categories)
    return rows


def _sort(df: pd.DataFrame, keep_attrs: bool = False) -> pd.DataFrame:
    """Order rows by group (and boundary), pollutant, year; integer keys keep it cheap."""
    attrs = dict(df.attrs)
    if df.empty:
        out = df.drop(columns=["_k", "_r"], errors="ignore").reset_index(drop=True)
    else:
        year = df["year"].fillna(0).to_numpy(dtype=np.int64)
        order = np.lexsort((year, df["_r"].to_numpy(), df["_k"].to_numpy()))
        out = df.drop(columns=["_k", "_r"]).take(order).reset_index(drop=True)
    out.attrs = attrs if keep_attrs else {}
    return out


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


def _compute(parcels: _Parcels, grids: Iterator, settings: Settings, selected,
             per_boundary: bool, progress: ProgressFn | None, total: int, sink=None,
             geometry=None):
    ddof = SD_DDOF[settings.sd]
    cache: dict = {}
    frames, errors, infos = [], [], []
    for done, grid in enumerate(grids, start=1):
        key = _geometry_key(grid)
        if key not in cache:
            cache.clear()  # one geometry's plan at a time keeps memory flat
            cache[key] = _plan(parcels, grid, settings.method, per_boundary)
            errors.extend(cache[key].errors)
        frame = _grid_rows(parcels, grid, cache[key], ddof, selected, per_boundary)
        frame.attrs["info"] = grid.info
        infos.append(grid.info)
        if sink is not None:
            # Streamed: rows go to the writer grid by grid; only an empty head is kept.
            out = _concat([_sort(frame, keep_attrs=True)], parcels, per_boundary)
            keys = ["group", "airq_id"] if per_boundary else ["group"]
            out = out[[c for c in (*keys, *COLUMNS[1:]) if c in out.columns]]
            sink(out, grid.info, geometry)
            frame = frame.iloc[:0].copy()
            frame.attrs["info"] = grid.info
            frame.attrs["streamed"] = len(out)
        frames.append(frame)
        if progress is not None:
            progress(done, total, grid.info.label)
        del grid
    return frames, errors, infos


def _nearest_landuse(parcels: _Parcels, layers: Sequence, bands_m) -> pd.DataFrame:
    """Nearest land-use record of any layer to each group: distance, category, band."""
    from airq.analyse.landuse import band_labels, check_bands
    from airq.read.boundaries import reproject_to
    from airq.read.grids import LAEI_CRS

    edges = check_bands(bands_m)
    labels = band_labels(edges)
    n = len(parcels.names)
    geoms = np.asarray(reproject_to(parcels.gdf, LAEI_CRS).geometry.values, dtype=object)
    unions = _unions(geoms, parcels.codes, n)
    best = np.full(n, np.inf)
    layer_name = np.full(n, None, dtype=object)
    category = np.full(n, None, dtype=object)
    name = np.full(n, None, dtype=object)
    for layer in layers:
        if len(layer.gdf) == 0:
            continue
        (gi, fi), dist = layer.gdf.sindex.nearest(unions, max_distance=edges[-1],
                                                  return_distance=True, return_all=False)
        better = dist < best[gi]
        gi, fi, dist = gi[better], fi[better], dist[better]
        best[gi] = dist
        layer_name[gi] = layer.name
        cat_col = layer.mapping.get("category")
        name_col = layer.mapping.get("name")
        category[gi] = layer.gdf[cat_col].to_numpy(dtype=object)[fi] if cat_col else None
        name[gi] = layer.gdf[name_col].to_numpy(dtype=object)[fi] if name_col else None
    found = np.isfinite(best)
    band = np.full(n, "none within " + f"{edges[-1]:g} m", dtype=object)
    idx = np.searchsorted(np.asarray(edges), best[found], side="left")
    band[found] = np.asarray(labels, dtype=object)[idx]
    return pd.DataFrame({"group": parcels.names, "landuse_layer": layer_name,
                         "landuse_distance_m": np.where(found, np.round(best, 1), np.nan),
                         "landuse_category": category, "landuse_name": name,
                         "landuse_band": band})


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


def batch_stats(boundaries, grids_or_requests: Sequence, settings: Settings, group_by: str, *,
                grid_crs: str | None = None, layers: Sequence = (),
                per_boundary: bool | None = None, lost_groups: Sequence[str] = (),
                with_geometry: bool = False, progress: ProgressFn | None = None,
                dask: str | None = None, workers: int | None = None,
                n_partitions: int | None = None, command: str | None = None,
                sink: Callable | None = None) -> BatchResult:
    """Statistics of every group of boundaries over every grid, as one table.

    Parameters
    ----------
    boundaries
        :class:`~airq.read.boundaries.Boundaries` (any CRS; reprojected to each grid's).
    grids_or_requests
        Grids in memory, catalogue entries or ``GridRequest`` objects; entries and
        requests are read one at a time as windows covering the boundaries.
    settings
        Sampling method, SD kind, objective sets, per-boundary rows, search bands.
    group_by
        The column that names each boundary's group (e.g. ``street``).
    grid_crs
        CRS of grid files that carry none (non-LAEI grids).
    layers
        Land-use layers: each group gets the nearest record's distance, category
        and band (with ``settings.bands_m``).
    per_boundary
        One row per boundary instead of per group (default ``settings.per_boundary``).
    lost_groups
        Groups the reader dropped for unusable geometry (from
        :func:`read_batch_boundaries`); reported as errors.
    with_geometry
        Also return each group's union (or each boundary), in the boundaries' CRS,
        for GeoPackage, GeoParquet and maps.
    progress
        Called as ``progress(done, total, label)`` after each grid.
    dask
        Address of a Dask scheduler to run on (partitions of groups x grids).
    workers
        Start a local Dask cluster with this many worker processes.
    n_partitions
        Partitions of groups for Dask (default: twice the workers, at least 2).
    command
        The command line, recorded in the provenance.
    sink
        With per-boundary rows, called as ``sink(rows, grid_info, geometry)`` for
        each grid's rows as soon as they are ready (``geometry`` as
        ``result.geometry``), and ``result.rows`` is left empty: one row per parcel
        for all of London is too large to hold. See
        :func:`airq.render.batch_output.open_batch_writer`. Ignored on Dask and for group
        rows.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        If no grid is given, ``group_by`` is not a column, or every group failed.
    AirqError
        Under ``settings.strict``, the first airq warning.

    Examples
    --------
    >>> res = batch_stats(plots, grids, Settings(), "street")  # doctest: +SKIP
    >>> res.rows[["group", "pollutant", "year", "mean"]]  # doctest: +SKIP
    """
    from airq.analyse.objectives import load_objectives

    items = list(grids_or_requests)
    if not items:
        raise InputError("no grid to sample; add grids (airq grids add) or pass --grid")
    per_boundary = settings.per_boundary if per_boundary is None else per_boundary
    table = load_objectives()
    selected = table.select(settings.objectives)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        parcels, errors = _prepare(boundaries, group_by, lost_groups, per_boundary)
        if len(parcels.names) == 0:
            raise InputError(f"no group of {boundaries.name} can be assessed: "
                             + "; ".join(f"{e.group}: {e.reason}" for e in errors[:3]))
        n_streamed = 0
        geometry = _geometry(parcels, per_boundary) if with_geometry else None
        if dask is not None or workers:
            frames, errs, infos = _compute_dask(parcels, boundaries, items, settings, selected,
                                                per_boundary, grid_crs, dask, workers,
                                                n_partitions, progress)
        else:
            grids = gen_grids(_boundaries_for(parcels, boundaries), items, grid_crs)
            frames, errs, infos = _compute(parcels, grids, settings, selected, per_boundary,
                                           progress, len(items),
                                           sink if per_boundary else None, geometry)
        n_streamed = sum(f.attrs.get("streamed", 0) for f in frames)
        errors.extend(errs)
        keys = ["group", "airq_id"] if per_boundary else ["group"]
        if per_boundary:
            # Millions of rows: order grid by grid (pollutant, year), each frame by
            # boundary, so no sort of the whole table copies it again.
            frames.sort(key=lambda f: (int(f["_r"].iat[0]) if len(f) else 9,
                                       f.attrs["info"].year or 0))
            for i in range(len(frames)):
                frames[i] = _sort(frames[i], keep_attrs=True)  # frees each unsorted frame
            rows = _concat(frames, parcels, per_boundary)
        else:
            rows = _sort(_concat(frames, parcels, per_boundary))
        rows = rows[[c for c in (*keys, *COLUMNS[1:]) if c in rows.columns]]
        landuse = _nearest_landuse(parcels, layers, settings.bands_m) if layers else None
    messages = []
    for w in caught:
        if issubclass(w.category, AirqWarning):
            if str(w.message) not in messages:
                messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if settings.strict and messages:
        raise AirqError(f"{messages[0]} (--strict turns warnings into errors)")
    synthetic = boundaries.synthetic or any(i.synthetic for i in infos)
    if synthetic:
        messages.insert(0, "SYNTHETIC DEMO DATA: inputs are airq's generated demo data, not "
                           "the real LAEI")
    if landuse is not None and not per_boundary:
        rows = rows.merge(landuse, on="group", how="left")
    prov = {"airq_version": __version__,
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "boundaries": boundaries.to_dict(), "group_by": group_by,
            "grids": [i.to_dict() for i in infos], "settings": settings.to_dict(),
            "objectives_version": table.version, "synthetic": synthetic, "command": command,
            "n_groups": int(len(parcels.names)), "n_boundaries": int(len(parcels.ids)),
            "n_rows": int(len(rows) + n_streamed), "streamed": bool(n_streamed)}
    return BatchResult(rows=rows, errors=tuple(_dedupe(errors)), provenance=prov,
                       group_by=group_by, per_boundary=per_boundary, geometry=geometry,
                       warnings=tuple(messages), landuse=landuse)


def _boundaries_for(parcels: _Parcels, boundaries):
    """Return the boundaries restricted to the usable parcels (for grid windows)."""
    return replace(boundaries, gdf=parcels.gdf)


def _dedupe(errors):
    seen, out = set(), []
    for e in errors:
        k = (e.group, e.airq_id, e.reason)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


# --------------------------------------------------------------------------- dask


def _partition_task(gdf, codes, names, ids, rank, gkey, item, boundaries, settings, selected,
                    per_boundary, grid_crs):
    """Rows of one partition of groups on one grid (runs on a Dask worker)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        parcels = _Parcels(gdf, codes, names, ids, rank, gkey)
        grids = gen_grids(replace(boundaries, gdf=gdf), [item], grid_crs)
        frames, errors, infos = _compute(parcels, grids, settings, selected, per_boundary,
                                         None, 1)
    messages = [(w.category, str(w.message)) for w in caught
                if issubclass(w.category, AirqWarning)]
    return frames[0], errors, infos[0], messages


def _compute_dask(parcels: _Parcels, boundaries, items, settings, selected, per_boundary, grid_crs,
                  address, workers, n_partitions, progress):
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1,
                               dashboard_address=None)
        address = cluster.scheduler_address
    try:
        with Client(address) as client:
            n = len(parcels.names)
            k = n_partitions or max(2, 2 * len(client.scheduler_info()["workers"]))
            k = max(1, min(k, n))
            part_of_group = np.arange(n) * k // n  # groups never split across partitions
            parts = []
            for p in range(k):
                sel_groups = np.flatnonzero(part_of_group == p)
                mask = np.isin(parcels.codes, sel_groups)
                remap = np.full(n, -1, dtype=np.int64)
                remap[sel_groups] = np.arange(len(sel_groups))
                gdf = parcels.gdf[mask].reset_index(drop=True)
                parts.append(client.scatter(
                    [(gdf, remap[parcels.codes[mask]], parcels.names[sel_groups],
                      parcels.ids[mask], parcels.rank[mask], sel_groups)], hash=False)[0])
            futures, order = [], {}
            slim = replace(boundaries, gdf=None)
            for gi, item in enumerate(items):
                for pi, part in enumerate(parts):
                    fut = client.submit(_run_part, part, item, slim, settings, selected,
                                        per_boundary, grid_crs, pure=False)
                    order[fut.key] = (gi, pi)
                    futures.append(fut)
            results = {}
            for done, fut in enumerate(as_completed(futures), start=1):
                results[order[fut.key]] = fut.result()
                if progress is not None:
                    progress(done, len(futures), "partitions x grids")
    finally:
        if cluster is not None:
            cluster.close()
    frames, errors, infos = [], [], []
    for gi in range(len(items)):
        for pi in range(len(parts)):
            df, errs, info, messages = results[(gi, pi)]
            for category, text in messages:  # re-raised here so batch_stats records them
                warnings.warn(text, category, stacklevel=2)
            df.attrs["info"] = info
            frames.append(df)
            errors.extend(errs)
        infos.append(info)
    return frames, errors, infos


def _run_part(part, item, boundaries, settings, selected, per_boundary, grid_crs):
    gdf, codes, names, ids, rank, gkey = part
    return _partition_task(gdf, codes, names, ids, rank, gkey, item, boundaries, settings, selected,
                           per_boundary, grid_crs)


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
