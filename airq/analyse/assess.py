"""Assess an area: sample grids inside its boundaries and compare with objectives.

Pure analysis on in-memory objects (Boundaries, Grids, Settings, objectives); it
opens no file. :func:`assess` returns an immutable :class:`~airq.results.Assessment`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import shapely

from airq import __version__
from airq.analyse.background import assess_background, background_caveat
from airq.analyse.objectives import ObjectiveTable, compare
from airq.analyse.plausibility import grid_file, screen_cells
from airq.analyse.precision import as_written
from airq.analyse.units import plan_units
from airq.analyse.zonal import (
    SD_DDOF,
    assign_cells,
    cells_at,
    containing_cells,
    group_stats,
    summarise,
    values_at,
)
from airq.config import Settings
from airq.errors import (
    GeometryRepairWarning,
    ImplausibleValueWarning,
    InputError,
    NoCellCentreWarning,
    NodataWarning,
    NoOverlapError,
    PartialOverlapWarning,
    UnitsWarning,
)
from airq.read.boundaries import Boundaries, edge_tolerance, reproject_to
from airq.read.grids import CONCENTRATIONS, Grid
from airq.results import (
    AreaSummary,
    Assessment,
    BoundaryRow,
    PollutantResult,
    Provenance,
    Samples,
    ShortTermResult,
    Stats,
)

CAVEATS = (
    "Figures are modelled annual-mean concentrations from an emissions inventory, not "
    "measurements.",
    "Annual means cannot show whether short-term (1-hour, 24-hour) objectives are met, except "
    "where a PM10 exceedance-day grid is given.",
    "Objectives apply where people are regularly present for the averaging period (for annual "
    "means: the façades of homes).",
)

SAMPLING_TEXT = {
    "all-touched": "every grid cell whose square overlaps the boundaries, each cell once",
    "area-weighted": "every grid cell overlapping the boundaries, weighted by the share of the "
                     "cell's area inside (exactextract coverage fractions)",
}


def _stats(gs, i: int) -> Stats:
    return Stats(**gs.row(i))


def _geometry_key(grid: Grid):
    t = grid.full_transform
    return (grid.crs, tuple(round(v, 6) for v in (t.a, t.b, t.c, t.d, t.e, t.f)),
            grid.full_shape)


def check_overlap(union, grid: Grid, area_name: str) -> float:
    """Return the share of the area outside the grid; raise if it is wholly outside.

    Raises
    ------
    NoOverlapError
        If no part of the area lies on the grid (the message gives the grid's extent).
    """
    xmin, ymin, xmax, ymax = grid.bounds
    box = shapely.box(xmin, ymin, xmax, ymax)
    total = union.area
    inside = union.intersection(box).area if total > 0 else 0.0
    if inside <= 0:
        raise NoOverlapError(
            f"the boundaries of {area_name} lie wholly outside the grid {grid.info.label} "
            f"(extent x {xmin:.0f}-{xmax:.0f}, y {ymin:.0f}-{ymax:.0f}, {grid.crs}); check the "
            "boundaries' CRS or use a grid that covers them")
    return 1.0 - inside / total


def assess(boundaries: Boundaries, grids: Sequence[Grid], settings: Settings,
           objectives: ObjectiveTable, *, inputs: Sequence[dict] = (),
           command: str | None = None, run_at: datetime | None = None) -> Assessment:
    """Sample every grid inside the boundaries and compare with the objectives.

    Parameters
    ----------
    boundaries
        The selected boundaries (any CRS; reprojected here to each grid's CRS).
    grids
        Concentration grids and optional PM10d day-count grids, whole or windows
        covering the boundaries.
    settings
        Sampling method, SD kind, objective sets, per-boundary rows.
    objectives
        The objectives table.
    inputs
        Provenance of every input, recorded in the result.
    command
        The command line, recorded in the result.
    run_at
        The run's time (default now, UTC).

    Returns
    -------
    Assessment

    Raises
    ------
    NoOverlapError
        If the boundaries lie wholly outside a grid.
    InputError
        If no grid is given.
    """
    if not grids:
        raise InputError("no grid to sample; add grids (airq grids add) or pass --grid")
    for note in boundaries.notes:  # dropped or repaired boundaries reach every output
        warnings.warn(note, GeometryRepairWarning, stacklevel=2)
    selected = objectives.select(settings.objectives)
    ddof = SD_DDOF[settings.sd]
    results, per_boundary, samples, short_term = [], [], [], []
    days: dict = {}
    share_outside = 0.0
    no_centre_ids: tuple[str, ...] = ()
    cache: dict = {}
    ids = boundaries.gdf["airq_id"].astype(str).to_numpy()
    gdf_grid = None
    for grid in grids:
        if grid.info.background:  # a 1 km Defra background map: containing-cell rule
            gdf = reproject_to(boundaries.gdf, grid.crs)
            geoms = np.asarray(gdf.geometry.values, dtype=object)
            share_outside = max(share_outside, check_overlap(shapely.union_all(geoms), grid,
                                                             boundaries.name))
            gdf_grid = gdf if gdf_grid is None else gdf_grid
            res, rows_b, sample = assess_background(boundaries.name, geoms, ids, grid,
                                                    settings, selected)
            results.append(res)
            per_boundary.extend(rows_b)
            samples.append(sample)
            continue
        plan = plan_units(grid.info.pollutant, grid.info.units)
        if plan.factor not in (None, 1.0):
            grid = replace(grid, values=grid.values * plan.factor)
        if plan.no_verdict:
            warnings.warn(f"{grid.info.label} grid {grid_file(grid)}: no verdict: "
                          f"{plan.no_verdict}", UnitsWarning, stacklevel=2)
        key = _geometry_key(grid)
        if key not in cache:
            gdf = reproject_to(boundaries.gdf, grid.crs)
            geoms = np.asarray(gdf.geometry.values, dtype=object)
            union = shapely.union_all(geoms)
            share = check_overlap(union, grid, boundaries.name)
            zones = assign_cells(geoms, grid.full_transform, grid.full_shape, "centre"
                                 if settings.method == "centre" else settings.method,
                                 edge_tolerance(boundaries.crs, grid.crs))
            area_assign = (assign_cells([union], grid.full_transform, grid.full_shape,
                                        "area-weighted")
                           if settings.method == "area-weighted" else None)
            cache[key] = (gdf, geoms, share, zones, area_assign)
        gdf, geoms, share, zones, area_assign = cache[key]
        gdf_grid = gdf if gdf_grid is None else gdf_grid
        share_outside = max(share_outside, share)
        counts = zones.counts()
        no_centre = counts == 0
        no_centre_ids = tuple(ids[no_centre])
        if area_assign is not None:
            rows, cols = area_assign.row, area_assign.col
        else:
            _, first = np.unique(zones.row * grid.full_shape[1] + zones.col, return_index=True)
            rows, cols = zones.row[first], zones.col[first]
        fallback = rows.size == 0
        if fallback:
            # No cell centre anywhere in the area: use the cells the boundaries lie in.
            fr, fc = containing_cells(geoms, grid.full_transform, grid.full_shape)
            cells = np.unique(np.stack([fr, fc], axis=1)[fr >= 0], axis=0)
            if cells.size == 0:
                raise NoOverlapError(f"no grid cell of {grid.info.label} lies under "
                                     f"{boundaries.name}")
            rows, cols = cells[:, 0], cells[:, 1]
        used = [(rows, cols)]
        if settings.per_boundary:
            fr, fc = containing_cells(geoms[no_centre], grid.full_transform, grid.full_shape)
            used += [(zones.row, zones.col), (fr[fr >= 0], fc[fr >= 0])]
        screened = screen_cells(grid, np.concatenate([u[0] for u in used]),
                                np.concatenate([u[1] for u in used]),
                                drop=settings.drop_implausible, area=boundaries.name,
                                units=plan.units)
        if screened.message:
            warnings.warn(screened.message, ImplausibleValueWarning, stacklevel=2)
        excluded = screened.excluded
        float32 = grid.values.dtype == np.float32
        if fallback:
            v = values_at(grid.values, rows, cols, grid.window_offset)
            ex = None if excluded is None else cells_at(excluded, rows, cols, grid.window_offset)
            gs = summarise(v, np.zeros(len(v), dtype=np.int64), 1, ddof=ddof, excluded=ex,
                           float32=float32)
            warnings.warn(
                f"{boundaries.name}: no grid point lies inside the boundaries of "
                f"{grid.info.label}; statistics use the {len(v)} cell(s) the boundaries lie in",
                NoCellCentreWarning, stacklevel=2)
        elif area_assign is not None:
            gs = group_stats(area_assign, grid.values, offset=grid.window_offset, ddof=ddof,
                             excluded=excluded)
        else:
            gs = group_stats(zones, grid.values, groups=np.zeros(zones.n_zones, dtype=np.int64),
                             n_groups=1, offset=grid.window_offset, ddof=ddof,
                             excluded=excluded)
        stats = _stats(gs, 0)
        if stats.n_nodata:
            warnings.warn(f"{boundaries.name}: {stats.n_nodata} grid point(s) of "
                          f"{grid.info.label} inside the area are NODATA and were left out",
                          NodataWarning, stacklevel=2)
        v = sample_values(grid, rows, cols, excluded)
        t = grid.full_transform
        samples.append(Samples(grid.info.pollutant, grid.info.year, plan.units, grid.crs,
                               t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e, v,
                               grid.cellsize))
        if grid.info.kind != "concentration":
            days[grid.info.year] = (stats, v)
            continue
        comps = () if plan.factor is None else tuple(
            compare(stats.mean, o) for o in selected
            if o.pollutant == grid.info.pollutant and o.period == "annual")
        sampling = sampling_text(settings.method, grid)
        if fallback:
            sampling = "fallback: the grid cells the boundaries lie in (no grid point inside)"
        results.append(PollutantResult(
            pollutant=grid.info.pollutant, year=grid.info.year, edition=grid.info.edition,
            units=plan.units, stats=stats, sd_kind=settings.sd, method=settings.method,
            sampling=sampling, comparisons=comps, grid=grid.info, fallback=fallback,
            units_note=plan.note, no_verdict=plan.no_verdict))
        if settings.per_boundary:
            per_boundary.extend(_per_boundary(zones, geoms, ids, grid, ddof, comps, excluded))
    if share_outside > 0.001:
        warnings.warn(f"{boundaries.name}: {share_outside:.1%} of the area lies outside the grid",
                      PartialOverlapWarning, stacklevel=2)
    if no_centre_ids:
        shown = ", ".join(no_centre_ids[:10]) + (" ..." if len(no_centre_ids) > 10 else "")
        warnings.warn(f"{boundaries.name}: {len(no_centre_ids)} of {len(ids)} boundaries hold "
                      f"no grid point: {shown}", NoCellCentreWarning, stacklevel=2)
    for o in selected:
        if o.period == "annual":
            continue
        if o.pollutant == "pm10" and o.period == "24-hour" and days:
            for year, (st, v) in sorted(days.items(), key=lambda kv: (kv[0] is None, kv[0])):
                valid = v[~np.isnan(v)]
                over = int((valid > o.allowed_exceedances).sum())
                short_term.append(ShortTermResult(
                    o, year, True,
                    "tested with the LAEI PM10d grid (modelled days with daily-mean PM10 above "
                    "50 µg/m³) at the same grid points", st, over,
                    None if st.max is None else bool(st.max > o.allowed_exceedances)))
        else:
            short_term.append(ShortTermResult(
                o, None, False,
                f"not testable: a {o.period} objective cannot be tested from annual-mean grids"
                + (" (no PM10d grid given)" if o.pollutant == "pm10" else "")))
    if not results and not days:
        raise InputError("no concentration grid was sampled")
    results.sort(key=lambda r: (list(CONCENTRATIONS).index(r.pollutant)
                                if r.pollutant in CONCENTRATIONS else 9,
                                r.year if r.year is not None else 0))
    area = AreaSummary(name=boundaries.name, n_boundaries=len(ids),
                       area_m2=float(shapely.area(shapely.union_all(
                           np.asarray(gdf_grid.geometry.values, dtype=object)))),
                       no_centre_ids=no_centre_ids, share_outside=share_outside,
                       boundaries=boundaries.to_dict(),
                       n_addresses=(boundaries.selection or {}).get("n_addresses"),
                       selection=(boundaries.selection or {}).get("summary"))
    synthetic = boundaries.synthetic or any(g.info.synthetic for g in grids)
    prov = Provenance(airq_version=__version__,
                      run_at=(run_at or datetime.now(UTC)).isoformat(timespec="seconds"),
                      inputs=tuple(inputs) or tuple(
                          [{"role": "boundaries", **boundaries.to_dict()}]
                          + [{"role": "grid", **g.info.to_dict()} for g in grids]),
                      settings=settings.to_dict(), objectives_version=objectives.version,
                      synthetic=synthetic, command=command)
    caveats = list(CAVEATS)
    if any(r.grid.crs_assumed and not r.background for r in results):
        caveats.append("The grid files carry no CRS; British National Grid (EPSG:27700) was "
                       "assumed, as the LAEI is published in it.")
    if any(r.grid.crs_assumed and r.background for r in results):
        caveats.append("The Defra background map files carry no CRS; British National Grid "
                       "(EPSG:27700) was assumed, as their x,y are 1 km cell centres in it.")
    bg = background_caveat(results)
    if bg:
        caveats.append(bg)
    if synthetic:
        caveats.insert(0, "SYNTHETIC DEMO DATA: these figures come from airq's generated demo "
                          "grids and boundaries, not from the real LAEI; do not use them for "
                          "any decision.")
    return Assessment(area=area, results=tuple(results), short_term=tuple(short_term),
                      per_boundary=tuple(per_boundary), warnings=(), provenance=prov,
                      caveats=tuple(caveats), boundaries_gdf=gdf_grid, samples=tuple(samples))


def _per_boundary(zones, geoms, ids, grid: Grid, ddof: int, comps,
                  excluded: np.ndarray | None = None) -> list[BoundaryRow]:
    gs = group_stats(zones, grid.values, offset=grid.window_offset, ddof=ddof,
                     excluded=excluded)
    counts = zones.counts()
    empty = np.flatnonzero(counts == 0)
    fr, fc = containing_cells(geoms[empty], grid.full_transform, grid.full_shape)
    fallback_vals = {}
    for i, r, c in zip(empty, fr, fc, strict=True):
        if r >= 0:
            fallback_vals[int(i)] = float(sample_values(grid, np.array([r]), np.array([c]),
                                                        excluded)[0])
    obj = comps[0].objective if comps else None
    rows = []
    for i in range(zones.n_zones):
        if i in fallback_vals or counts[i] == 0:
            v = fallback_vals.get(i, np.nan)
            nan = bool(np.isnan(v))
            # One cell: its value, and no SD (a spread of one value is not measured).
            st = Stats(0 if nan else 1, 1 if nan else 0, None if nan else v, None,
                       None if nan else v, None if nan else v, None if nan else v)
            fb = "containing-cell"
        else:
            st, fb = _stats(gs, i), ""
        c = compare(st.mean, obj) if obj is not None else None
        rows.append(BoundaryRow(str(ids[i]), grid.info.pollutant, grid.info.year, st, fb,
                                obj.value if obj else None, c.exceeds if c else None,
                                c.margin if c else None))
    return rows


def sample_values(grid: Grid, rows: np.ndarray, cols: np.ndarray,
                  excluded: np.ndarray | None = None) -> np.ndarray:
    """Values at full-grid cells as float64, at the precision the source holds.

    float32 cells become the decimals they stand for; excluded (implausible) cells NaN.
    """
    v = values_at(grid.values, rows, cols, grid.window_offset)
    if grid.values.dtype == np.float32:
        v = as_written(v)
    if excluded is not None:
        v[cells_at(excluded, rows, cols, grid.window_offset)] = np.nan
    return v


def sampling_text(method: str, grid: Grid) -> str:
    """How grid points were chosen, with the grid's real cell size."""
    if method != "centre":
        return SAMPLING_TEXT[method]
    return (f"grid points ({_cell_size_text(grid)} cell centres) inside or on the edge of the "
            "boundaries, each point once")


def _cell_size_text(grid: Grid) -> str:
    from pyproj import CRS

    unit = CRS.from_user_input(grid.crs).axis_info[0].unit_name if grid.crs else "metre"
    cs = f"{grid.cellsize:.6g}"
    return f"{cs} m" if unit in ("metre", "meter") else f"{cs} {unit}"
