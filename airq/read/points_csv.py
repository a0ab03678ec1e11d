"""Strict reader for LAEI point CSVs: one row per cell centre, columns chosen by name.

The published layouts are ``x,y,conc`` (LAEI 2016, 2019), ``x,y,conct,year`` (LAEI 2013
update) and ``x,y,year,<pollutant>`` (LAEI 2013 projections). Columns are found by
their names only (x or easting, y or northing; conc, conct, value, concentration or the
pollutant's name; year), never by position. Before a value is used the points must form
one regular lattice of square cells: no duplicate point, no point off the lattice (even
by a millimetre), one model year per file, and a lattice no larger than a few times
the number of points (so a file whose columns are mixed up is refused, not allocated).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from affine import Affine

from airq.errors import InputError
from airq.read.cells import format_coord
from airq.read.esri_ascii import NAN_TOKENS, fewer_decimals, quoted_cut

X_NAMES = ("x", "easting", "eastings")
Y_NAMES = ("y", "northing", "northings")
VALUE_NAMES = ("conc", "conct", "value", "concentration")
YEAR_NAMES = ("year",)
#: A value of exactly -9999 in a point CSV is NODATA: the LAEI's NODATA value (the
#: ``.asc`` copy of the same data declares it; the CSV layout has no header to say so).
CSV_NODATA = -9999.0
#: A lattice may hold at most this many times as many cells as there are points
#: (LAEI CSVs leave out NODATA cells: London fills about half its bounding box).
MAX_FILL_RATIO = 4
#: ... or this many cells, whichever is larger (small test files, sparse corners).
MIN_LATTICE_CELLS = 65_536
# Points within this share of a cell of a lattice position lie on it (20 m cells: 0.02 mm).
_LATTICE_TOL = 1e-6
_NUMBER_RE = r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*"


@dataclass(frozen=True, eq=False)
class PointGrid:
    """Points placed on their lattice.

    Attributes
    ----------
    values
        (rows, cols) float64 with NaN where no point lies or the value is NODATA.
    transform
        Affine transform of the lattice's top-left cell corner.
    nan_cells
        Cells whose value is written ``nan`` (implausible, not NODATA), or None.
    year
        The model year of the ``year`` column, if there is one.
    pollutant
        The pollutant the value column is named after (``NO2``...), if it is.
    columns
        The x, y, value (and year) columns used, as named in the file.
    """

    values: np.ndarray
    transform: Affine
    nan_cells: np.ndarray | None
    year: int | None
    pollutant: str | None
    columns: tuple[str, ...]


def _header(raw: bytes, display: str) -> list[str]:
    end = raw.find(b"\n")
    first = raw[: len(raw) if end < 0 else end].decode("utf-8-sig", errors="replace")
    try:
        names = next(csv.reader([first]))
    except StopIteration:
        names = []
    names = [n.strip() for n in names]
    if not any(names):
        raise InputError(f"{display} is empty or has no header line (x,y,conc)")
    seen: dict = {}
    for n in names:
        if n.lower() in seen:
            raise InputError(f"{display}: column {n!r} appears twice in the header; "
                             "each column name may appear once")
        seen[n.lower()] = n
    return names


def _pick(names: list[str], wanted: tuple[str, ...], what: str, display: str,
          required: bool = True) -> str | None:
    found = [n for n in names if n.lower() in wanted]
    if len(found) > 1:
        raise InputError(f"{display}: columns {', '.join(found)} could all be the {what}; "
                         "keep one")
    if not found and required:
        if len(names) == 1:  # a title line, not a header: perhaps a Defra map misnamed
            raise InputError(f"{display} is not an LAEI point CSV: its first line is not a "
                             f"header of columns ({quoted_cut(names[0])}); a Defra background "
                             "map is recognised by its 'Local_Auth_Code,x,y,...' header line")
        raise InputError(f"{display} is not an LAEI point CSV: it has no {what} column "
                         f"({' or '.join(wanted)}); its columns are {', '.join(names)}")
    return found[0] if found else None


def _value_column(names: list[str], pollutant: str | None, display: str):
    from airq.read.grids import normalise_pollutant

    generic = [n for n in names if n.lower() in VALUE_NAMES]
    named = {}
    for n in names:
        if n.lower() in X_NAMES + Y_NAMES + YEAR_NAMES + VALUE_NAMES:
            continue
        try:
            named[n] = normalise_pollutant(n)
        except InputError:
            continue
    if pollutant is not None:
        same = [n for n, p in named.items() if p == pollutant]
        if len(same) == 1 and not generic:
            return same[0], pollutant
    candidates = generic + list(named)
    if not candidates:
        raise InputError(f"{display}: no value column; expected conc, conct, value or the "
                         f"pollutant's name, the columns are {', '.join(names)}")
    if len(candidates) > 1:
        raise InputError(f"{display}: cannot tell the value column among "
                         f"{', '.join(candidates)}; keep one")
    col = candidates[0]
    return col, named.get(col)


def _line_numbers(raw: bytes, rows: np.ndarray) -> list[int]:
    """File line numbers of data rows (0-based, blank lines skipped); error path only."""
    want = {int(r) for r in rows}
    out, k = {}, 0
    for i, line in enumerate(raw.split(b"\n")[1:], start=2):
        if not line.strip():
            continue
        if k in want:
            out[k] = i
            if len(out) == len(want):
                break
        k += 1
    return [out.get(int(r), int(r) + 2) for r in rows]


def _read_columns(raw: bytes, usecols: list[str], display: str):
    import pandas as pd

    kw = dict(usecols=usecols, keep_default_na=False, skip_blank_lines=True,
              encoding="utf-8-sig", skipinitialspace=True)
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=dict.fromkeys(usecols, np.float64),
                           na_values=list(NAN_TOKENS), **kw)
    except UnicodeDecodeError as err:
        raise InputError(f"{display} is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset "
                         f"{err.start}); save it as CSV UTF-8") from err
    except (ValueError, pd.errors.ParserError) as err:
        first_error = err
    # Error path: read as text to name the first cell that is not a number.
    try:
        text = pd.read_csv(io.BytesIO(raw), dtype=str, **kw)
    except (ValueError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read {display} as CSV: {err}") from err
    for col in usecols:
        ok = text[col].str.fullmatch(_NUMBER_RE, case=False).fillna(False).to_numpy(bool)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            line = _line_numbers(raw, np.array([i]))[0]
            value = text[col].iloc[i]
            what = "is empty" if not str(value).strip() else f"holds {value!r}, not a number"
            raise InputError(f"{display} line {line}: column {col} {what}")
    raise InputError(f"cannot read {display} as CSV: {first_error}")


def _check_field_counts(raw: bytes, display: str, names: list[str], nrows: int) -> None:
    """Every row must hold as many fields as the header names.

    pandas reads only the columns it is asked for and drops extra fields without a word,
    so ``530090,180090,25,5`` (a decimal comma) would read as 25. Without quotes in the
    file the commas are counted at C speed; with quotes, or when the count is off, the
    rows are walked to name the first wrong one.
    """
    want = len(names)
    if b'"' not in raw and raw.count(b",") == (want - 1) * (nrows + 1):
        return
    text = raw.decode("utf-8-sig", errors="replace").split("\n")
    for line_no, fields in enumerate(csv.reader(text[1:]), start=2):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != want:
            raise InputError(
                f"{display} line {line_no}: {len(fields)} fields "
                f"({quoted_cut(','.join(fields).strip())}) but the "
                f"header names {want} ({','.join(names)}); a decimal comma, an unquoted "
                "comma or a missing column name? Every row must hold one value per column")


def _check_finite(raw, display, name, a):
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        line = _line_numbers(raw, np.array([i]))[0]
        raise InputError(f"{display} line {line}: {name} is {float(a[i])}, not a coordinate")


def _year(raw: bytes, display: str, col: str, years: np.ndarray) -> int:
    bad = ~np.isfinite(years) | (years != np.round(years))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        line = _line_numbers(raw, np.array([i]))[0]
        raise InputError(f"{display} line {line}: {col} is {float(years[i])}, not a year")
    other = np.flatnonzero(years != years[0])
    if other.size:
        i = int(other[0])
        lines = _line_numbers(raw, np.array([0, i]))
        n = len(np.unique(years))
        raise InputError(
            f"{display}: the {col} column holds {n} model years ({int(years[0])} on line "
            f"{lines[0]}, {int(years[i])} on line {lines[1]}); one file must hold one model "
            "year: split it, or give the file of the year you mean")
    return int(years[0])


def _spacing(coords: np.ndarray) -> float | None:
    """Return the most common step between distinct coordinates (None for one)."""
    u = np.unique(coords)
    if u.size < 2:
        return None
    steps = np.diff(u)
    # Round away parse noise only to pick the mode; every point is checked exactly below.
    vals, counts = np.unique(np.round(steps, 9), return_counts=True)
    return float(vals[np.argmax(counts)])


def _lattice(raw, display, x, y, cols):
    csx, csy = _spacing(x), _spacing(y)
    if csx is None and csy is None:
        raise InputError(f"{display} holds a single point; a grid needs several")
    cs = csx if csy is None else csy if csx is None else csx
    if csx is not None and csy is not None and abs(csx - csy) > _LATTICE_TOL * max(csx, csy):
        raise InputError(f"{display}: the points are {format_coord(csx)} apart in "
                         f"{cols[0]} but {format_coord(csy)} in {cols[1]}; airq reads square "
                         "cells only")
    x0, y1 = float(x.min()), float(y.max())
    fc = (x - x0) / cs
    fr = (y1 - y) / cs
    ci = np.rint(fc)
    ri = np.rint(fr)
    off = (np.abs(fc - ci) > _LATTICE_TOL) | (np.abs(fr - ri) > _LATTICE_TOL)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        line = _line_numbers(raw, np.array([i]))[0]
        raise InputError(
            f"{display} line {line}: the point {cols[0]}={format_coord(x[i])}, "
            f"{cols[1]}={format_coord(y[i])} is off the lattice of the other points "
            f"({format_coord(cs)} spacing from {cols[0]}={format_coord(x0)}, "
            f"{cols[1]}={format_coord(y1)}); the points are not one regular grid")
    ncols = int(ci.max()) + 1
    nrows = int(ri.max()) + 1
    cells = ncols * nrows
    limit = max(MAX_FILL_RATIO * len(x), MIN_LATTICE_CELLS)
    if cells > limit:
        raise InputError(
            f"{display}: its {len(x):,} points span a lattice of {nrows:,} x {ncols:,} cells of "
            f"{format_coord(cs)} ({cells / len(x):,.0f} cells per point); they are not one "
            f"regular grid. Check that {cols[0]} and {cols[1]} hold the cell-centre "
            "coordinates")
    transform = Affine(cs, 0.0, x0 - cs / 2, 0.0, -cs, y1 + cs / 2)
    return ri.astype(np.int64), ci.astype(np.int64), (nrows, ncols), transform


def _check_duplicates(raw, display, flat, x, y, v, cells, cols):
    seen = np.zeros(cells, dtype=bool)
    seen[flat] = True
    if int(seen.sum()) == len(flat):
        return
    order = np.argsort(flat, kind="stable")
    sf = flat[order]
    k = int(np.flatnonzero(sf[1:] == sf[:-1])[0])
    i, j = sorted((int(order[k]), int(order[k + 1])))
    lines = _line_numbers(raw, np.array([i, j]))
    same = "the same value" if v[i] == v[j] or (np.isnan(v[i]) and np.isnan(v[j])) else \
        f"values {v[i]:g} and {v[j]:g}"
    raise InputError(
        f"{display}: lines {lines[0]} and {lines[1]} both hold the point "
        f"{cols[0]}={format_coord(x[i])}, {cols[1]}={format_coord(y[i])} ({same}); each cell "
        "centre may appear once")


def _check_last_line(raw: bytes, display: str) -> None:
    """Refuse a file whose last line looks cut short (a truncated download).

    A file that ends without a line break may have been cut inside its last row,
    turning ``18.629`` into a plausible ``1``. When it does, the last row must have
    as many fields as the row before and its last field as many decimals.
    """
    body = raw.rstrip(b" \t")
    if not body or body.endswith(b"\n"):
        return
    lines = [ln for ln in body.split(b"\n")[-3:] if ln.strip()]
    if len(lines) < 3:  # the header and one row: nothing to compare with
        return
    prev, last = lines[-2].rstrip(b"\r").split(b","), lines[-1].rstrip(b"\r").split(b",")
    if len(last) < len(prev) or fewer_decimals(last[-1], prev[-1]):
        n = raw.count(b"\n") + 1
        raise InputError(
            f"{display} line {n}: the last row ({lines[-1].decode(errors='replace').strip()!r}) "
            "looks cut short (fewer fields or decimals than the row before, and no line break "
            "at the end): a truncated download? Download it again (if the row is complete, "
            "end the file with a line break)")


def parse_points_csv(raw: bytes, display: str, pollutant: str | None = None) -> PointGrid:
    """Parse an LAEI point CSV and place its points on their lattice.

    Parameters
    ----------
    raw
        The whole file.
    display
        The file's name for messages.
    pollutant
        The pollutant the caller expects (picks a column named after it).

    Returns
    -------
    PointGrid

    Raises
    ------
    InputError
        Missing or ambiguous columns, a cell that is not a number, duplicate points,
        points off the lattice or irregularly spaced, several years in one file, or a
        lattice far larger than the points (the message names the file and line).
    """
    names = _header(raw, display)
    _check_last_line(raw, display)
    xcol = _pick(names, X_NAMES, "x (easting)", display)
    ycol = _pick(names, Y_NAMES, "y (northing)", display)
    ycolumn = _pick(names, YEAR_NAMES, "year", display, required=False)
    vcol, named_pollutant = _value_column(names, pollutant, display)
    usecols = [xcol, ycol, vcol] + ([ycolumn] if ycolumn else [])
    df = _read_columns(raw, usecols, display)
    if df.empty:
        raise InputError(f"{display} has no data rows")
    _check_field_counts(raw, display, names, len(df))
    x = df[xcol].to_numpy(np.float64)
    y = df[ycol].to_numpy(np.float64)
    v = df[vcol].to_numpy(np.float64)
    year = None
    if ycolumn:
        year = _year(raw, display, ycolumn, df[ycolumn].to_numpy(np.float64))
    del df
    _check_finite(raw, display, xcol, x)
    _check_finite(raw, display, ycol, y)
    ri, ci, shape, transform = _lattice(raw, display, x, y, (xcol, ycol))
    flat = ri * shape[1] + ci
    _check_duplicates(raw, display, flat, x, y, v, shape[0] * shape[1], (xcol, ycol))
    full = np.full(shape[0] * shape[1], np.nan)
    full[flat] = v
    full = full.reshape(shape)
    nan_cells = None
    nan = np.isnan(v)
    if nan.any():
        mask = np.zeros(shape[0] * shape[1], dtype=bool)
        mask[flat[nan]] = True
        nan_cells = mask.reshape(shape)
    full[full == CSV_NODATA] = np.nan
    return PointGrid(full, transform, nan_cells, year, named_pollutant,
                     tuple(usecols))
