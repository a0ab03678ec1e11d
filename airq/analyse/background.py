"""An area on a 1 km background map (Defra): the cells the boundaries lie in, said plainly.

A street's plots hold no 1 km cell centre, or one that stands for a square kilometre
around it, so the centre rule of the 20 m LAEI grids does not apply: the figure is the
value of the 1 km cell each boundary lies in (the cell holding its representative
point), each cell once, whatever ``--method`` says. A street usually lies within one
cell; then there is no spread to measure and the SD is reported as not meaningful
rather than as 0. Pure analysis on in-memory objects.
"""

from __future__ import annotations

import warnings

import numpy as np

from airq.analyse.objectives import compare
from airq.analyse.zonal import SD_DDOF, containing_cells, summarise, values_at
from airq.errors import NodataWarning, NoOverlapError
from airq.read.grids import Grid
from airq.results import BoundaryRow, PollutantResult, Samples, Stats

#: How a background map is sampled, as every output states it.
BACKGROUND_SAMPLING = (
    "the 1 km background cell(s) the boundaries lie in (the cell holding each boundary's "
    "representative point), each cell once; the centre rule of 20 m grids and --method do not "
    "apply to 1 km background maps")
#: The caveat every output built on a background map carries.
BACKGROUND_CAVEAT = (
    "{what} come from Defra's background maps: background concentrations averaged over 1 km x "
    "1 km squares, not roadside values; they leave out the extra pollution next to busy roads, "
    "so they can understate what the homes' façades get. A street usually lies within one "
    "1 km cell: the figure is that cell's value (containing-cell rule) and an SD is not "
    "meaningful.")


def sd_note(n_cells: int) -> str:
    """Return how the SD of a background figure is to be read, given the cells used.

    Examples
    --------
    >>> sd_note(1)
    'n/a (one 1 km cell)'
    >>> sd_note(3)
    'between 3 1 km cells, not within the street'
    """
    if n_cells <= 1:
        return "n/a (one 1 km cell)"
    return f"between {n_cells} 1 km cells, not within the street"


def assess_background(name: str, geoms: np.ndarray, ids: np.ndarray, grid: Grid, settings,
                      selected) -> tuple[PollutantResult, list[BoundaryRow], Samples]:
    """Sample a 1 km background grid under the boundaries (containing-cell rule).

    Parameters
    ----------
    name
        The area's name, for messages.
    geoms
        The boundaries in the grid's CRS.
    ids
        Boundary ids, one per geometry.
    grid
        A grid whose ``info.background`` is true.
    settings
        SD kind and per-boundary rows.
    selected
        The objectives chosen.

    Returns
    -------
    tuple
        The area's result, per-boundary rows (empty unless asked for) and the cells
        sampled (for maps).

    Raises
    ------
    NoOverlapError
        If no cell under the boundaries holds a value.
    """
    t = grid.full_transform
    fr, fc = containing_cells(geoms, t, grid.full_shape)
    inside = fr >= 0
    cells = np.unique(np.stack([fr[inside], fc[inside]], axis=1), axis=0)
    if cells.size == 0:
        raise NoOverlapError(f"no 1 km cell of {grid.info.label} lies under {name}")
    rows, cols = cells[:, 0], cells[:, 1]
    v = values_at(grid.values, rows, cols, grid.window_offset)
    ddof = SD_DDOF[settings.sd]
    gs = summarise(v, np.zeros(len(v), dtype=np.int64), 1, ddof=ddof)
    st = Stats(**gs.row(0))
    if st.n_points == 0:
        raise NoOverlapError(
            f"{name}: the {len(v)} 1 km background cell(s) under the boundaries hold no value in "
            f"{grid.info.label} (not in the files given, or not a number); add the file of the "
            "authority the site lies in")
    if st.n_nodata:
        warnings.warn(f"{name}: {st.n_nodata} of the {len(v)} 1 km background cells under the "
                      f"boundaries hold no value in {grid.info.label} and were left out",
                      NodataWarning, stacklevel=3)
    if st.n_points == 1 or st.sd is None or np.isnan(st.sd):
        st = Stats(st.n_points, st.n_nodata, st.mean, None, st.min, st.max, st.median)
    info = grid.info
    comps = tuple(compare(st.mean, o) for o in selected
                  if o.pollutant == info.pollutant and o.period == "annual")
    result = PollutantResult(
        pollutant=info.pollutant, year=info.year, edition=info.edition, units=info.units,
        stats=st, sd_kind=settings.sd, method=settings.method, sampling=BACKGROUND_SAMPLING,
        comparisons=comps, grid=info, fallback=False, sd_note=sd_note(st.n_points))
    per_boundary = []
    if settings.per_boundary:
        obj = comps[0].objective if comps else None
        for i, (r, c) in enumerate(zip(fr, fc, strict=True)):
            val = (float(values_at(grid.values, np.array([r]), np.array([c]),
                                   grid.window_offset)[0]) if r >= 0 else np.nan)
            nan = bool(np.isnan(val))
            bst = Stats(0 if nan else 1, 1 if nan else 0, None if nan else val, None,
                        None if nan else val, None if nan else val, None if nan else val)
            cmp = compare(bst.mean, obj) if obj is not None else None
            per_boundary.append(BoundaryRow(str(ids[i]), info.pollutant, info.year, bst,
                                            "containing-cell", obj.value if obj else None,
                                            cmp.exceeds if cmp else None,
                                            cmp.margin if cmp else None))
    samples = Samples(info.pollutant, info.year, info.units, grid.crs,
                      t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e, v, grid.cellsize)
    return result, per_boundary, samples


def background_caveat(results) -> str | None:
    """Return the background caveat naming the results built on background maps, or None."""
    labels = [f"{r.name} {r.year}" for r in results if r.grid.background]
    if not labels:
        return None
    what = ", ".join(labels)
    return BACKGROUND_CAVEAT.format(what=f"The figures for {what}")
