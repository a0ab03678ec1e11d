"""Defra background maps: 1 km background concentrations for every local authority in England.

Defra publishes one CSV per pollutant and year, per local authority or region: a few
lines of preamble, then a header starting ``Local_Auth_Code,`` with ``x``, ``y`` (the
British National Grid centres of 1 km cells, e.g. 547500,187500), ``Total_<P>_<YY>``
columns (``Total_NO2_21``, ``Total_PM2.5_21``, ``Total_PM10_18``...) and sector columns.
A file is recognised by that header wherever it is given; the value column is chosen
by pollutant and year (a two-digit year YY is read as 20YY, and every output says so);
several authorities' files are combined into one grid, and a cell found in two files
must have the same value in both.

Checks before any figure is made: columns by name, numbers in ``x`` and ``y``, every
cell centre on the 1 km lattice and inside Great Britain, no cell twice in a file, no
negative or implausibly high value. Cells holding text instead of a number are NODATA
and reported in a warning naming the file, column and rows.

These are backgrounds, not roadside values: the grid is flagged ``background`` and
every output built on it says so.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine

from airq.errors import AirqWarning, AssumedCRSWarning, InputError

#: The edition airq reports for Defra background maps.
DEFRA_EDITION = "Defra background maps"
#: Cell size of the background maps, metres.
DEFRA_CELL_M = 1000.0
#: Layout name recorded in the grid's provenance.
DEFRA_LAYOUT = "defra-background-csv"
DEFRA_CRS = "EPSG:27700"
DEFRA_CRS_NOTE = ("assumed EPSG:27700 (British National Grid): Defra background maps give x,y "
                  "as British National Grid 1 km cell centres and ship no CRS")
#: Plain statement carried by every output built on a background map.
BACKGROUND_NOTE = ("1 km background concentration (Defra background maps), not a roadside "
                   "value")
_HEADER = "local_auth_code,"
_HEAD_BYTES = 1 << 16  # the header lies within the first few lines
_TOTAL = re.compile(r"^total_(?P<p>no2|nox|pm10|pm2\.5|pm25|pm2_5)_(?P<yy>\d{2}|\d{4})$", re.I)
_POLLUTANT = {"no2": "no2", "nox": "nox", "pm10": "pm10", "pm2.5": "pm25", "pm25": "pm25",
              "pm2_5": "pm25"}
# Plausibility of a 1 km background annual mean, µg/m³: above this the file is not what
# it claims (a unit or column mix-up); the highest English backgrounds are well below it.
_MAX_UGM3 = 300.0
_EASTING, _NORTHING = (0.0, 700_000.0), (0.0, 1_300_000.0)
_SHOW = 5


class DefraValueWarning(AirqWarning):
    """Cells of a Defra background map hold text instead of a number; they are NODATA."""


@dataclass(frozen=True)
class DefraColumn:
    """A ``Total_<P>_<YY>`` column: the pollutant and model year it holds."""

    name: str
    pollutant: str
    year: int
    two_digit: bool

    @property
    def year_note(self) -> str | None:
        """How a two-digit year was read, or None."""
        if not self.two_digit:
            return None
        return f"column {self.name}: the two-digit year {self.name.rsplit('_', 1)[1]} read as " \
               f"{self.year}"


def parse_total_column(name: str) -> DefraColumn | None:
    """Return what a ``Total_<P>_<YY>`` column holds, or None for any other column.

    Examples
    --------
    >>> parse_total_column("Total_PM2.5_21")
    DefraColumn(name='Total_PM2.5_21', pollutant='pm25', year=2021, two_digit=True)
    >>> parse_total_column("Motorway_in") is None
    True
    """
    m = _TOTAL.match(str(name).strip())
    if not m:
        return None
    yy = m["yy"]
    year = int(yy) if len(yy) == 4 else 2000 + int(yy)
    return DefraColumn(str(name).strip(), _POLLUTANT[m["p"].lower()], year, len(yy) == 2)


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _header_index(text: str) -> int | None:
    for i, line in enumerate(text.splitlines()):
        if line.strip().strip('"').lower().replace('"', "").startswith(_HEADER):
            return i
    return None


def is_defra_csv(src) -> bool:
    """Tell whether a CSV (path or GridSource) is a Defra background map, by its header."""
    from airq.read.grids import GridSource

    src = src if isinstance(src, GridSource) else GridSource(Path(src))
    if src.suffix != ".csv":
        return False
    try:
        with src.open_binary() as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return False
    return _header_index(_decode(head)) is not None


def expand_defra_paths(path: str | Path) -> list[Path]:
    """Return the Defra CSVs a path names: the file itself, or every one in a folder.

    Raises
    ------
    InputError
        If a folder holds no Defra background map CSV.
    """
    p = Path(path).expanduser()
    if not p.is_dir():
        return [p]
    found = sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv" and is_defra_csv(f))
    if not found:
        raise InputError(f"{p} is a folder without a Defra background map CSV (a CSV whose "
                         "header starts Local_Auth_Code,); give grid files or a zip archive")
    return found


@dataclass(frozen=True, eq=False)
class _Table:
    """One Defra CSV read and checked: its cells and what it holds."""

    src: object  # GridSource
    preamble: tuple[str, ...]
    columns: tuple[DefraColumn, ...]
    frame: object  # pandas DataFrame of text cells
    header_line: int
    x: np.ndarray
    y: np.ndarray
    sha256: str
    member_sha256: str | None


def _read_table(src) -> _Table:
    import pandas as pd

    from airq.read.grids import _member_sha256, sha256_file

    with src.open_binary() as fh:
        text = _decode(fh.read())
    idx = _header_index(text)
    if idx is None:
        raise InputError(f"{src.display} is not a Defra background map: no line starts "
                         "Local_Auth_Code,")
    lines = text.splitlines()
    preamble = tuple(s for s in (ln.strip().strip(",").strip('"') for ln in lines[:idx]) if s)
    try:
        records = list(csv.reader(io.StringIO("\n".join(lines[idx:]))))
    except csv.Error as err:
        raise InputError(f"cannot read {src.display} as a Defra background map: {err}") from err
    header = [h.strip() for h in records[0]]
    while header and not header[-1]:
        header.pop()  # a trailing comma after the last column name
    body, numbers = [], []
    for i, rec in enumerate(records[1:], start=idx + 2):
        cells = [c.strip() for c in rec]
        if not any(cells):
            continue  # a blank line
        if len(cells) > len(header) and any(cells[len(header):]):
            raise InputError(f"{src.display} row {i}: {len(cells)} values under a header of "
                             f"{len(header)} columns; the columns are shifted, check the file")
        if len(cells) < len(header):  # a cut row: its last value may be cut short too
            raise InputError(f"{src.display} row {i}: {len(cells)} values under a header of "
                             f"{len(header)} columns; the row is cut short (a truncated "
                             "download or a damaged file): download it again")
        body.append((cells + [""] * len(header))[:len(header)])
        numbers.append(i)  # the row as a spreadsheet numbers it
    frame = pd.DataFrame(body, columns=header, dtype=str)
    lower = {c.lower(): c for c in frame.columns}
    if len(lower) != len(frame.columns):
        raise InputError(f"{src.display}: the header names a column twice; check the file")
    missing = [c for c in ("x", "y") if c not in lower]
    if missing:
        raise InputError(f"{src.display}: the Defra header has no column {' or '.join(missing)}; "
                         f"its columns are {', '.join(frame.columns)}")
    columns = tuple(c for c in (parse_total_column(n) for n in frame.columns) if c)
    if not columns:
        raise InputError(f"{src.display}: no Total_<pollutant>_<year> column (e.g. Total_NO2_21) "
                         f"in the Defra header; its columns are {', '.join(frame.columns)}")
    if frame.empty:
        raise InputError(f"{src.display} has no data rows after its header")
    rows = np.asarray(numbers)
    xy = {}
    for c in ("x", "y"):
        vals = pd.to_numeric(frame[lower[c]].str.replace(",", "", regex=False).str.strip(),
                             errors="coerce")
        bad = vals.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{src.display} row {rows[i]}: column {c} "
                             f"is not a number ({frame[lower[c]].iloc[i]!r})")
        xy[c] = vals.to_numpy(float)
    x, y = xy["x"], xy["y"]
    off = (np.abs((x - DEFRA_CELL_M / 2) % DEFRA_CELL_M) > 1e-6) | (
        np.abs((y - DEFRA_CELL_M / 2) % DEFRA_CELL_M) > 1e-6)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise InputError(f"{src.display} row {rows[i]}: x,y {x[i]:g},{y[i]:g} is not the centre "
                         "of a 1 km British National Grid cell (centres end in 500, e.g. "
                         "547500,187500); this is not a Defra background map as published")
    outside = (x < _EASTING[0]) | (x > _EASTING[1]) | (y < _NORTHING[0]) | (y > _NORTHING[1])
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InputError(f"{src.display} row {rows[i]}: x,y {x[i]:g},{y[i]:g} lies outside "
                         "Great Britain; Defra background maps use British National Grid")
    key = np.rint(x).astype(np.int64) * 10_000_000 + np.rint(y).astype(np.int64)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = key == key[first[counts > 1][0]]
        where = ", ".join(str(r) for r in rows[dup][:_SHOW])
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"{src.display}: the cell x={x[i]:g} y={y[i]:g} appears "
                         f"{int(dup.sum())} times (rows {where}); each 1 km cell must appear once")
    frame = frame.assign(_row=rows)
    return _Table(src, preamble, columns, frame, idx, x, y, sha256_file(src.path),
                  _member_sha256(src))


def _choose_column(table: _Table, pollutant: str | None, year: int | None) -> DefraColumn:
    have = ", ".join(c.name for c in table.columns)
    cands = [c for c in table.columns if pollutant is None or c.pollutant == pollutant]
    if pollutant == "pm10d":
        raise InputError(f"{table.src.display} is a Defra background map: it holds annual means "
                         "only, no PM10d day counts")
    if year is not None:
        cands = [c for c in cands if c.year == year]
    if len(cands) == 1:
        return cands[0]
    want = f"{pollutant or 'any pollutant'} {year or 'any year'}"
    if not cands:
        raise InputError(f"{table.src.display} holds no Total column for {want}; it holds {have}")
    raise InputError(f"{table.src.display} holds {len(cands)} columns for {want} "
                     f"({', '.join(c.name for c in cands)}); give the pollutant and year, "
                     "e.g. --grid no2:2021=FILE or --pollutant no2 --year 2021")


def defra_contents(paths: Sequence) -> list[tuple[str, int]]:
    """Return every (pollutant, year) the Total columns of these Defra CSVs hold, in order."""
    from airq.read.grids import GridSource

    out: list[tuple[str, int]] = []
    for p in paths:
        src = p if isinstance(p, GridSource) else GridSource(Path(p))
        for c in _read_table(src).columns:
            if (c.pollutant, c.year) not in out:
                out.append((c.pollutant, c.year))
    return out


def read_defra(sources: Sequence, *, pollutant: str | None = None, year: int | None = None,
               edition: str | None = None, synthetic: bool | None = None):
    """Read one pollutant and year from Defra background map CSVs into a 1 km Grid.

    Parameters
    ----------
    sources
        Paths or :class:`~airq.read.grids.GridSource` of one or more Defra CSVs
        (several local authorities' files are combined into one grid).
    pollutant, year
        Which ``Total_<P>_<YY>`` column to read; each may be left out when every
        file holds a single column that matches the other.
    edition
        The edition to report (default ``Defra background maps``).
    synthetic
        Mark as synthetic demo data (default: detect the demo marker).

    Returns
    -------
    Grid
        Whole 1 km grid, NaN where no file gives a number; ``info.background`` is
        True, ``info.parts`` lists every file with its SHA-256, authorities and cells.

    Raises
    ------
    InputError
        A file that is not a Defra background map as published, a missing column,
        cells off the 1 km lattice or outside Great Britain, a cell twice in a file,
        negative or implausible values, or files that disagree about a cell.

    Examples
    --------
    >>> g = read_defra(["a.csv", "b.csv"], pollutant="no2", year=2021)  # doctest: +SKIP
    >>> g.info.edition, g.cellsize  # doctest: +SKIP
    ('Defra background maps', 1000.0)
    """
    import pandas as pd

    from airq.read.grids import UGM3, Grid, GridInfo, GridSource

    srcs = [s if isinstance(s, GridSource) else GridSource(Path(s)) for s in sources]
    if not srcs:
        raise InputError("no Defra background map file given")
    tables, seen = [], set()
    for src in srcs:
        t = _read_table(src)
        if (t.member_sha256 or t.sha256) in seen:
            continue  # the same file named twice: read once
        seen.add(t.member_sha256 or t.sha256)
        tables.append(t)
    chosen = [_choose_column(t, pollutant, year) for t in tables]
    kinds = {(c.pollutant, c.year) for c in chosen}
    if len(kinds) > 1:
        listing = "; ".join(f"{t.src.display}: {c.name}" for t, c in zip(tables, chosen,
                                                                        strict=True))
        raise InputError(f"the Defra files hold different pollutants or years ({listing}); give "
                         "the pollutant and year, e.g. --grid no2:2021=FILE")
    pollutant, year = next(iter(kinds))
    xs, ys, vs, origin = [], [], [], []
    parts, notes = [], []
    for k, (t, col) in enumerate(zip(tables, chosen, strict=True)):
        text = t.frame[col.name].astype(str).str.strip()
        v = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").to_numpy(float)
        rows = t.frame["_row"].to_numpy()
        bad = np.isnan(v)
        if bad.any():
            shown = ", ".join(f"row {r}: {s!r}" for r, s in zip(rows[bad][:_SHOW],
                                                                text.to_numpy()[bad][:_SHOW],
                                                                strict=True))
            warnings.warn(f"{t.src.display}: {int(bad.sum())} cell(s) of {col.name} hold no "
                          f"number and are left out as NODATA ({shown})", DefraValueWarning,
                          stacklevel=2)
        neg = v < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise InputError(f"{t.src.display} row {rows[i]}: {col.name} is {v[i]:g}; a "
                             "concentration cannot be negative")
        high = v > _MAX_UGM3
        if high.any():
            i = int(np.flatnonzero(high)[0])
            raise InputError(f"{t.src.display} row {rows[i]}: {col.name} is {v[i]:g} µg/m³, "
                             f"implausible for a 1 km background annual mean (above "
                             f"{_MAX_UGM3:g}); check the file and its units")
        xs.append(t.x)
        ys.append(t.y)
        vs.append(v)
        origin.append(np.full(len(v), k))
        code_col = next(c for c in t.frame.columns if c.lower() == "local_auth_code")
        codes = sorted({s.strip() for s in t.frame[code_col].astype(str) if s.strip()})
        parts.append({"source": str(t.src.path), "member": t.src.member, "sha256": t.sha256,
                      "member_sha256": t.member_sha256, "column": col.name,
                      "local_auth_codes": codes, "cells": int(len(v)),
                      "cells_without_number": int(bad.sum()), "preamble": list(t.preamble[:3])})
        if col.year_note and col.year_note not in notes:
            notes.append(col.year_note)
    x, y, v, k = (np.concatenate(a) for a in (xs, ys, vs, origin))
    x0, y1 = x.min() - DEFRA_CELL_M / 2, y.max() + DEFRA_CELL_M / 2
    col_i = np.rint((x - x0 - DEFRA_CELL_M / 2) / DEFRA_CELL_M).astype(np.int64)
    row_i = np.rint((y1 - DEFRA_CELL_M / 2 - y) / DEFRA_CELL_M).astype(np.int64)
    shape = (int(row_i.max()) + 1, int(col_i.max()) + 1)
    _check_agreement(tables, chosen, x, y, v, k, row_i * shape[1] + col_i)
    values = np.full(shape, np.nan)
    values[row_i, col_i] = v
    if len(tables) > 1:
        notes.append(f"combined from {len(tables)} files: "
                     + ", ".join(Path(p["source"]).name + (f"!{p['member']}" if p["member"]
                                                           else "") for p in parts))
    first = tables[0]
    if synthetic is None:
        from airq.demo import is_synthetic

        synthetic = any(is_synthetic(t.src.path) for t in tables)
    info = GridInfo(
        pollutant=pollutant, year=year, edition=edition or DEFRA_EDITION, units=UGM3,
        kind="concentration", layout=DEFRA_LAYOUT, source=str(first.src.path),
        member=first.src.member, sha256=first.sha256, member_sha256=first.member_sha256,
        crs=DEFRA_CRS, crs_assumed=True, crs_note=DEFRA_CRS_NOTE, synthetic=bool(synthetic),
        background=True, notes=tuple(notes), parts=tuple(parts))
    warnings.warn(f"the Defra background map files carry no CRS; {DEFRA_CRS_NOTE}",
                  AssumedCRSWarning, stacklevel=2)
    return Grid(values=values, transform=Affine(DEFRA_CELL_M, 0, x0, 0, -DEFRA_CELL_M, y1),
                crs=DEFRA_CRS, info=info, full_shape=shape, window_offset=(0, 0))


def _check_agreement(tables, chosen, x, y, v, k, key) -> None:
    """Raise if a cell given by two files has different values (NaN agrees only with NaN)."""
    order = np.argsort(key, kind="stable")
    ks = key[order]
    dup = np.flatnonzero(ks[1:] == ks[:-1])
    for d in dup:
        a, b = order[d], order[d + 1]
        va, vb = v[a], v[b]
        same = (np.isnan(va) and np.isnan(vb)) or (
            not np.isnan(va) and not np.isnan(vb) and abs(va - vb) <= 1e-6 * max(1.0, abs(va)))
        if not same:
            ta, tb = tables[k[a]], tables[k[b]]
            raise InputError(
                f"the Defra files disagree about the cell x={x[a]:g} y={y[a]:g}: "
                f"{chosen[k[a]].name} is {va:g} in {ta.src.display} but {vb:g} in "
                f"{tb.src.display}; give files of one edition (the same base year)")
