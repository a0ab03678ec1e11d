"""Batch statistics: grouped counts, sums and order statistics of one grid, as rows."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from airq.analyse.batch.plan import _geometry_key, _Parcels, _Plan, _plan
from airq.analyse.batch.results import _ORDER, COLUMNS, BatchError, ProgressFn
from airq.analyse.plausibility import screen_groups
from airq.analyse.precision import as_written
from airq.analyse.zonal import (
    SD_DDOF,
    GroupStats,
    summarise,
    values_at,
)
from airq.config import Settings
from airq.errors import ImplausibleValueWarning, NodataWarning, UnitsWarning


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
        "n_implausible": (np.zeros(n, dtype=np.int64) if gs.n_excluded is None
                          else gs.n_excluded.astype(np.int64)),
        "mean": gs.mean, "sd": gs.sd, "min": gs.min, "max": gs.max, "median": gs.median,
        "objective": value,
        "exceeds": pd.array(np.where(np.isnan(exceeds), None, exceeds == 1), dtype="boolean"),
        "margin": margin,
        # Missing (an empty CSV cell, null in GeoPackage/Parquet) unless the fallback applies.
        "fallback": pd.Categorical.from_codes(np.where(fallback, 0, -1).astype(np.int8),
                                              categories=["containing-cell"]),
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
               weight: np.ndarray | None, ddof: int, excluded: np.ndarray | None = None,
               float32: bool = False) -> GroupStats:
    """:func:`airq.analyse.zonal.summarise` with two cheap sorts in place of ``lexsort``.

    Same formulas and results (population or sample SD, median as the mean of the
    two middle values); weighted input goes to ``summarise`` itself. ``lexsort`` of
    millions of (group, value) pairs dominated large runs (1.4 s per grid for
    London's LSOAs); a value argsort then a stable integer sort by group gives the
    same order several times faster.
    """
    if weight is not None:
        return summarise(values, group, n_groups, weight=weight, ddof=ddof, excluded=excluded,
                         float32=float32)
    n_excluded = None
    if excluded is not None:
        n_excluded = np.bincount(group[excluded], minlength=n_groups)
        values, group = values[~excluded], group[~excluded]
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
    pick = as_written if float32 else np.asarray  # float32 cells: the decimals they hold
    one = n == 1  # a one-cell mean (a fallback boundary's) is its cell, as query reports it
    mean[one] = pick(mean[one])
    vmin[has] = pick(vs[starts[has]])
    vmax[has] = pick(vs[ends[has] - 1])
    lo = starts + (n - 1) // 2
    hi = starts + n // 2
    median[has] = (pick(vs[lo[has]]) + pick(vs[hi[has]])) / 2
    return GroupStats(n_points=n, n_nodata=n_nodata, weight=n.astype(float), mean=mean, sd=sd,
                      min=vmin, max=vmax, median=median, ddof=ddof, n_excluded=n_excluded)


def _grid_rows(parcels: _Parcels, grid, plan: _Plan, ddof: int, selected,
               per_boundary: bool, check=None) -> tuple[pd.DataFrame, list]:
    """Rows of one grid, and the errors of groups failing on implausible values.

    ``check(values, rows, cols, groups)`` screens gathered values (see
    :func:`airq.analyse.plausibility.screen_groups`).
    """
    n = len(parcels.names)
    float32 = grid.values.dtype == np.float32
    v = values_at(grid.values, plan.g_row, plan.g_col, grid.window_offset)
    g_ok, errors, ex = plan.g_ok, [], None
    if check is not None:
        scr = check(v, plan.g_row, plan.g_col, plan.g_grp)
        ex = scr.excluded
        if scr.failed:
            failed = np.zeros(n, dtype=bool)
            failed[list(scr.failed)] = True
            g_ok = g_ok & ~failed
            errors += [BatchError(str(parcels.names[g]), why, grid.info.label)
                       for g, why in scr.failed.items()]
    if not per_boundary:
        gs = _summarise(v, plan.g_grp, n, plan.g_weight, ddof, ex, float32)
        df = _frame({"group": parcels.group_column(False)}, grid, gs, selected, plan.g_fallback,
                    {"n_boundaries": plan.n_parcels, "n_no_centre": plan.n_no_centre,
                     "_k": parcels.gkey})
        return df[g_ok], errors
    m = len(parcels.ids)
    v = values_at(grid.values, plan.p_row, plan.p_col, grid.window_offset)
    ex = None
    if check is not None:
        scr = check(v, plan.p_row, plan.p_col, parcels.codes[plan.p_zone])
        ex = scr.excluded
        if scr.failed:
            failed = np.zeros(n, dtype=bool)
            failed[list(scr.failed)] = True
            errors += [BatchError(str(parcels.names[g]), why, grid.info.label)
                       for g, why in scr.failed.items() if g_ok[g]]
            g_ok = g_ok & ~failed
    gs = _summarise(v, plan.p_zone, m, plan.p_weight, ddof, ex, float32)
    # A fallback boundary has one cell: no SD (a spread of one value is not measured), as
    # query reports it.
    sd = np.where(plan.p_fallback, np.nan, gs.sd)
    gs = replace(gs, sd=sd)
    df = _frame({"group": parcels.group_column(True), "airq_id": parcels.id_column()}, grid, gs,
                selected, plan.p_fallback,
                {"n_boundaries": 1, "n_no_centre": plan.p_fallback.astype(np.int64),
                 "_k": parcels.rank})
    ok = plan.p_ok & g_ok[parcels.codes]
    return df[ok], errors


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


def _comparable(grid, selected):
    """Return the grid in units comparable with the objectives, its units and objectives.

    A converted grid's info says how (``units_note``, recorded in the provenance); a
    grid whose units cannot be converted keeps them and is compared with nothing.
    """
    from airq.analyse.plausibility import grid_file
    from airq.analyse.units import plan_units

    plan = plan_units(grid.info.pollutant, grid.info.units)
    if plan.no_verdict:
        warnings.warn(f"{grid.info.label} grid {grid_file(grid)}: no verdict: {plan.no_verdict}",
                      UnitsWarning, stacklevel=2)
        return grid, plan.units, ()
    if plan.factor != 1.0:
        grid = replace(grid, values=grid.values * plan.factor,
                       info=replace(grid.info, units_note=plan.note))
    return grid, plan.units, selected


def _warned(screen):
    if screen.message:
        warnings.warn(screen.message, ImplausibleValueWarning, stacklevel=2)
    return screen


def _warn_nodata(frame: pd.DataFrame, label: str, per_boundary: bool) -> None:
    """Warn, as ``query`` does, when NODATA grid points inside an area were left out."""
    bad = frame[frame["n_nodata"].to_numpy() > 0]
    if bad.empty:
        return
    key = "airq_id" if per_boundary else "group"
    names = pd.unique(bad[key].astype(object))
    what = "boundary(ies)" if per_boundary else "group(s)"
    shown = ", ".join(str(n) for n in names[:10]) + (" ..." if len(names) > 10 else "")
    warnings.warn(f"{int(bad['n_nodata'].sum())} grid point(s) of {label} inside the area of "
                  f"{len(names)} {what} are NODATA and were left out (n_nodata): {shown}",
                  NodataWarning, stacklevel=2)


def _compute(parcels: _Parcels, grids: Iterator, settings: Settings, selected,
             per_boundary: bool, progress: ProgressFn | None, total: int, sink=None,
             geometry=None, area_name: str = "the boundaries"):
    ddof = SD_DDOF[settings.sd]
    cache: dict = {}
    frames, errors, infos = [], [], []
    for done, grid in enumerate(grids, start=1):
        grid, units, grid_selected = _comparable(grid, selected)
        infos.append(grid.info)
        key = _geometry_key(grid)
        if key not in cache:
            cache.clear()  # one geometry's plan at a time keeps memory flat
            cache[key] = _plan(parcels, grid, settings.method, per_boundary)
            errors.extend(cache[key].errors)
        check = partial(screen_groups, grid, drop=settings.drop_implausible,
                        area=area_name, units=units)
        frame, errs = _grid_rows(parcels, grid, cache[key], ddof, grid_selected, per_boundary,
                                 lambda v, r, c, g, check=check: _warned(check(v, r, c, g)))
        errors.extend(errs)
        _warn_nodata(frame, grid.info.label, per_boundary)
        frame.attrs["info"] = replace(grid.info, units=units)
        if sink is not None:
            # Streamed: rows go to the writer grid by grid; only an empty head is kept.
            out = _concat([_sort(frame, keep_attrs=True)], parcels, per_boundary)
            keys = ["group", "airq_id"] if per_boundary else ["group"]
            out = out[[c for c in (*keys, *COLUMNS[1:]) if c in out.columns]]
            sink(out, frame.attrs["info"], geometry)
            info = frame.attrs["info"]
            frame = frame.iloc[:0].copy()
            frame.attrs["info"] = info
            frame.attrs["streamed"] = len(out)
        frames.append(frame)
        if progress is not None:
            progress(done, total, grid.info.label)
        del grid
    return frames, errors, infos
