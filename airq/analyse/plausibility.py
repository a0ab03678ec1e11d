"""Plausible values only: grid cells that cannot be annual means are refused where sampled.

A value inside the sampled area that is negative, NaN the file does not declare
NODATA, infinite, or above the pollutant's ceiling (``airq/data/plausibility.toml``)
stops the run with an error naming the file and the first such cell; with
``--drop-implausible`` such cells are left out, counted (``n_implausible``) and warned
about instead. Pure functions on in-memory grids; the ranges are versioned data.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from airq.errors import ImplausibleValueError
from airq.read.cells import cell_centre_text
from airq.read.grids import DAYS, UGM3, Grid

#: Option that leaves implausible cells out instead of stopping.
DROP_OPTION = "--drop-implausible"


@dataclass(frozen=True)
class PlausibleRange:
    """The values a grid of one pollutant can hold, and why."""

    pollutant: str
    units: str
    low: float
    high: float
    why: str

    @property
    def text(self) -> str:
        """``0 to 1000 µg/m³``."""
        return f"{self.low:g} to {self.high:g} {self.units}"


@functools.cache
def load_ranges() -> tuple[str, dict[str, PlausibleRange]]:
    """Return the data file's version and its range per pollutant."""
    ref = resources.files("airq") / "data" / "plausibility.toml"
    data = tomllib.loads(ref.read_text(encoding="utf-8"))
    ranges = {k: PlausibleRange(k, v["units"], float(v["min"]), float(v["max"]),
                                " ".join(v["why"].split()))
              for k, v in data.items() if isinstance(v, dict)}
    return str(data["version"]), ranges


def range_for(pollutant: str, units: str) -> PlausibleRange:
    """Return the range for a grid of ``pollutant`` in ``units``.

    Units other than the range's (a grid with no verdict) keep only the lower bound:
    a concentration or a day count is never negative.
    """
    _, ranges = load_ranges()
    r = ranges.get(pollutant)
    if r is not None and r.units == units:
        return r
    unit = units if units in (UGM3, DAYS) else units or "unknown units"
    return PlausibleRange(pollutant, unit, 0.0, math.inf,
                          "concentrations and day counts are never negative")


def grid_file(grid: Grid) -> str:
    """Name the grid's file as a reader would (zip member, catalogue copy)."""
    info = grid.info
    name = Path(info.source).name + (f"!{info.member}" if info.member else "")
    if info.catalogue_path:
        name += f" (catalogue copy {Path(info.catalogue_path).name})"
    return name


def implausible(values: np.ndarray, low: float, high: float,
                nan_cells: np.ndarray | None = None) -> np.ndarray:
    """Flag values outside [low, high] (inf included) and undeclared NaN.

    NODATA (NaN, not flagged in ``nan_cells``) is not implausible.
    """
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~((v >= low) & (v <= high)) & ~np.isnan(v)
    if nan_cells is not None:
        bad |= nan_cells
    return bad


@dataclass(frozen=True, eq=False)
class Screened:
    """The outcome of screening a grid's sampled cells.

    ``excluded`` is a window-shaped mask of the cells to leave out (None: none);
    ``n`` the number of implausible cells found among those sampled; ``message`` the
    warning to give (None when nothing was left out).
    """

    excluded: np.ndarray | None
    n: int
    message: str | None


def _value_text(grid: Grid, r: int, c: int, units: str) -> str:
    if grid.nan_cells is not None and grid.nan_cells[r, c]:
        return "NaN (not the declared NODATA)"
    v = float(grid.values[r, c])
    text = f"{v:g} {units}" if math.isfinite(v) else f"{v} {units}"
    if units != grid.info.units:
        text += f" (converted from {grid.info.units})"
    return text


def _problem(grid: Grid, r: int, c: int, units: str, rng: PlausibleRange) -> tuple[str, str]:
    """Describe window cell (r, c): where and what it holds, and what is wrong."""
    r0, c0 = grid.window_offset
    where = cell_centre_text(grid.full_transform, r + r0, c + c0)
    first = f"{where}: {_value_text(grid, r, c, units)}"
    what = "count" if units == DAYS else "mean"
    return first, f"cannot be a modelled annual {what} (plausible: {rng.text})"


def screen_cells(grid: Grid, rows: np.ndarray, cols: np.ndarray, *, drop: bool,
                 area: str, units: str | None = None) -> Screened:
    """Check the sampled cells (full-grid rows, cols) of a grid for implausible values.

    Parameters
    ----------
    grid
        The grid (values may be a window; ``rows``/``cols`` are full-grid indices).
    rows, cols
        Every cell any statistic will use.
    drop
        Leave implausible cells out (and warn) instead of raising.
    area
        The area's name, for messages.
    units
        The units the values are in (default the grid's).

    Raises
    ------
    ImplausibleValueError
        If a sampled cell is implausible and ``drop`` is false: the message names the
        file, the first such cell's coordinates and value, and the option.
    """
    units = units or grid.info.units
    rng = range_for(grid.info.pollutant, units)
    r0, c0 = grid.window_offset
    rr = np.asarray(rows, dtype=np.int64) - r0
    cc = np.asarray(cols, dtype=np.int64) - c0
    if rr.size == 0:
        return Screened(None, 0, None)
    nan = None if grid.nan_cells is None else grid.nan_cells[rr, cc]
    bad = implausible(grid.values[rr, cc], rng.low, rng.high, nan)
    if not bad.any():
        return Screened(None, 0, None)
    cells = np.unique(np.stack([rr[bad], cc[bad]], axis=1), axis=0)  # row-major order
    first, what = _problem(grid, int(cells[0, 0]), int(cells[0, 1]), units, rng)
    n = len(cells)
    more = f" ({n - 1} more such cell{'s' if n > 2 else ''} in the area)" if n > 1 else ""
    if not drop:
        raise ImplausibleValueError(
            f"{grid_file(grid)}: the {grid.info.label} grid value at {first}{more} inside "
            f"{area} {what}; check the file, or pass {DROP_OPTION} to leave such cells out")
    excluded = np.zeros(grid.values.shape, dtype=bool)
    excluded[cells[:, 0], cells[:, 1]] = True
    return Screened(excluded, n, _dropped_message(grid, area, n, rng, first))


def _dropped_message(grid: Grid, area: str, n: int, rng: PlausibleRange, first: str) -> str:
    return (f"{area}: {n} grid point{'s' if n > 1 else ''} of the {grid.info.label} grid "
            f"{grid_file(grid)} held implausible values (outside {rng.text}, or NaN) and "
            f"{'were' if n > 1 else 'was'} left out ({DROP_OPTION}); the first at {first}")


@dataclass(frozen=True, eq=False)
class GroupScreen:
    """Batch screening of one grid: values to leave out, or the groups that fail.

    ``excluded`` flags the gathered values left out (with ``drop``); ``failed`` maps a
    group index to the reason it fails (without ``drop``); ``message`` is the warning.
    """

    excluded: np.ndarray | None
    failed: dict
    message: str | None


def screen_groups(grid: Grid, values: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                  groups: np.ndarray, *, drop: bool, area: str,
                  units: str | None = None) -> GroupScreen:
    """Check gathered values of many groups at once (batch); one bad group fails alone.

    Parameters
    ----------
    grid
        The grid the values come from.
    values
        The values at full-grid ``rows``/``cols`` (as used for statistics).
    groups
        The group index of each value.
    drop
        Leave implausible values out (and warn) instead of failing their groups.
    area
        The boundaries' name, for the warning.
    units
        The units the values are in (default the grid's).
    """
    units = units or grid.info.units
    rng = range_for(grid.info.pollutant, units)
    r0, c0 = grid.window_offset
    nan = None
    if grid.nan_cells is not None:
        nan = grid.nan_cells[np.asarray(rows) - r0, np.asarray(cols) - c0]
    bad = implausible(values, rng.low, rng.high, nan)
    if not bad.any():
        return GroupScreen(None, {}, None)
    idx = np.flatnonzero(bad)
    br, bc, bg = rows[idx] - r0, cols[idx] - c0, groups[idx]
    if drop:
        cells = np.unique(np.stack([br, bc], axis=1), axis=0)
        first, _ = _problem(grid, int(cells[0, 0]), int(cells[0, 1]), units, rng)
        return GroupScreen(bad, {}, _dropped_message(grid, area, len(cells), rng, first))
    order = np.lexsort((bc, br, bg))  # each group's first cell in row-major order
    ug, pos = np.unique(bg[order], return_index=True)
    failed = {}
    for g, p in zip(ug.tolist(), pos.tolist(), strict=True):
        first, what = _problem(grid, int(br[order[p]]), int(bc[order[p]]), units, rng)
        failed[g] = (f"{grid_file(grid)}: the {grid.info.label} grid value at {first} {what}; "
                     f"check the file, or pass {DROP_OPTION} to leave such cells out")
    return GroupScreen(None, failed, None)
