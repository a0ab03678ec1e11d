"""The grid catalogue: grids converted once to Cloud-Optimised GeoTIFF, with provenance.

Kept under ``data_home()/grids``: one COG per grid and ``index.json`` recording the
source file, SHA-256, edition, model year, pollutant, units, CRS and whether the
CRS was assumed, and the SHA-256 of the COG itself. The index is locked while it
changes, validated when read, and every COG is checked against its checksum before
it is used (:mod:`airq.read.catalogue.index`).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shlex
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from airq.errors import AssumedCRSWarning, CatalogueError, InputError
from airq.read.catalogue.index import CatalogueIndex, CopyCheck, StoredCopy, readd_command
from airq.read.grids import (
    GridInfo,
    list_zip_grids,
    normalise_pollutant,
    parse_laei_name,
    read_grid,
    resolve_source,
    sha256_file,
    write_cog,
)


class GridRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One row of the grid index, as stored."""

    id: str
    file: str
    added: str
    shape: tuple[int, int]
    bounds: tuple[float, float, float, float]
    stored: StoredCopy
    info: GridInfo


@dataclass(frozen=True)
class GridEntry:
    """One catalogued grid.

    Attributes
    ----------
    id
        ``<edition>/<pollutant>-<year>``.
    info
        The grid's provenance (source file and its SHA-256, edition, year, units, CRS).
    path
        The stored Cloud-Optimised GeoTIFF.
    added
        When it was added (ISO 8601, UTC).
    shape, bounds
        Rows and columns; (xmin, ymin, xmax, ymax) in the grid's CRS.
    stored
        The stored copy's SHA-256, size and times when it was written; None for an
        entry made outside the catalogue (``airq verify`` reading a copy it found by
        its checksum), whose bytes are then hashed when read.
    """

    id: str
    info: GridInfo
    path: Path
    added: str
    shape: tuple[int, int]
    bounds: tuple[float, float, float, float]
    stored: StoredCopy | None = None

    @property
    def readd(self) -> str:
        """The command that adds this grid again from its source."""
        return grid_readd(self.info)

    def to_dict(self) -> dict:
        """Return the entry as JSON-ready values."""
        stored = msgspec.structs.asdict(self.stored) if self.stored else None
        return {"id": self.id, **self.info.to_dict(), "catalogue_file": str(self.path),
                "added": self.added, "shape": list(self.shape), "bounds": list(self.bounds),
                "stored": stored}


def grid_readd(info: GridInfo) -> str:
    """Return the command that adds a grid again from its source, year and edition."""
    if info.synthetic:
        return "airq demo --overwrite"
    source = f"{info.source}!{info.member}" if info.member else info.source
    opts = [f"--pollutant {info.pollutant}"]
    if info.year is not None:
        opts.append(f"--year {info.year}")
    if info.edition:
        opts.append(f"--edition {shlex.quote(info.edition)}")
    return readd_command("grids add", source, *opts)


def grid_index(home: Path | None = None) -> CatalogueIndex:
    """Return the grid catalogue's index (``data_home()/grids/index.json``)."""
    return CatalogueIndex(
        "grids", noun="grid", rows_key="grids", row_type=GridRow, suffix=".tif",
        rebuild="add the grids again with `airq grids add FILE` (`airq demo --overwrite` for "
                "the demo data)", home=home)


def _slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "unknown").lower()).strip("-")


def _entry_id(info: GridInfo) -> str:
    return f"{_slug(info.edition)}/{info.pollutant}-{info.year if info.year else 'na'}"


def _entry(row: GridRow, index: CatalogueIndex) -> GridEntry:
    return GridEntry(id=row.id, info=row.info, path=index.stored_path(row), added=row.added,
                     shape=row.shape, bounds=row.bounds, stored=row.stored)


def list_grids(home: Path | None = None) -> list[GridEntry]:
    """Every catalogued grid, ordered by edition, pollutant and year.

    Raises
    ------
    CatalogueError
        If the index is damaged (the message says how to rebuild it).
    """
    index = grid_index(home)
    entries = [_entry(r, index) for r in index.read()]
    return sorted(entries, key=lambda e: (e.info.edition or "", e.info.pollutant,
                                          e.info.year or 0))


def get_grid(grid_id: str, home: Path | None = None) -> GridEntry:
    """Return the catalogued grid with this id.

    Raises
    ------
    CatalogueError
        If there is none (the message lists the ids).
    """
    entries = list_grids(home)
    for e in entries:
        if e.id == grid_id:
            return e
    have = ", ".join(e.id for e in entries) or "none (run `airq grids add` or `airq demo`)"
    raise CatalogueError(f"no grid {grid_id!r} in the catalogue; catalogued: {have}")


def add_grid(path: str | Path | Sequence[str | Path], *, pollutant: str | None = None,
             year: int | None = None, edition: str | None = None,
             grid_crs: str | None = None, units: str | None = None, overwrite: bool = False,
             synthetic: bool | None = None, home: Path | None = None) -> list[GridEntry]:
    """Add a grid file, or every recognised grid in a zip archive, to the catalogue.

    Each grid is read once, checked, and written as a Cloud-Optimised GeoTIFF; the
    index is changed under a lock, so several processes may add grids at once.
    Defra background map CSVs (recognised by their header) given together, or a
    folder of them, are combined: one grid per pollutant and year their ``Total_``
    columns hold, each made from every file that holds that column.

    Parameters
    ----------
    path
        A grid file, a zip archive or ``archive.zip!member``; or several paths; or a
        folder of Defra background map CSVs.
    pollutant, year, edition
        Override or supply what the LAEI file name says; for a zip they filter
        the members.
    grid_crs
        The CRS of a non-LAEI grid without one.
    units
        Units of a non-LAEI grid without a units tag.
    overwrite
        Replace an entry with the same pollutant, year and edition.
    synthetic
        Mark as synthetic demo data (default: detect the demo marker).
    home
        Data directory (default :func:`airq.config.data_home`).

    Returns
    -------
    list of GridEntry
        The entries added.

    Raises
    ------
    InputError, CRSError
        Unreadable or unrecognised grids.
    CatalogueError
        An entry exists and ``overwrite`` is false; the index is damaged; the data
        directory cannot be written.
    """
    if pollutant:
        pollutant = normalise_pollutant(pollutant)
    grid_index(home).read()  # a damaged index is reported before any grid is converted
    paths = [path] if isinstance(path, str | Path) else list(path)
    defra, others = split_defra_paths(paths)
    kw = dict(pollutant=pollutant, year=year, edition=edition, grid_crs=grid_crs, units=units,
              overwrite=overwrite, synthetic=synthetic, home=home)
    # Every grid is read, checked and staged before the index changes: a damaged file
    # (or zip member) among several leaves the catalogue as it was, nothing half-added.
    grids = itertools.chain(_defra_grids(defra, **kw) if defra else (),
                            *(_path_grids(p, **kw) for p in others))
    return _store_all(grids, grid_index(home), overwrite)


def split_defra_paths(paths) -> tuple[list[Path], list]:
    """Split paths into Defra background map CSVs (folders expanded) and the rest."""
    from airq.read.defra import expand_defra_paths, is_defra_csv

    defra, others = [], []
    for p in paths:
        q = Path(str(p)).expanduser()
        if "!" not in str(p) and q.is_dir():
            defra += expand_defra_paths(q)
        elif "!" not in str(p) and q.suffix.lower() == ".csv" and q.is_file() and is_defra_csv(q):
            defra.append(q)
        else:
            others.append(p)
    return defra, others


def _defra_grids(files: list[Path], *, pollutant, year, edition, synthetic,
                 **_ignored) -> Iterator:
    from airq.read.defra import defra_contents, read_defra

    contents = {f: defra_contents([f]) for f in dict.fromkeys(files)}
    every = list(dict.fromkeys(c for cs in contents.values() for c in cs))
    wanted = [(p, y) for p, y in every
              if (pollutant is None or p == pollutant) and (year is None or y == year)]
    if not wanted:
        have = ", ".join(f"{p}:{y}" for p, y in every)
        raise InputError(f"the Defra background maps given hold no column matching the options; "
                         f"they hold {have}")
    for p, y in wanted:
        holding = [f for f, cs in contents.items() if (p, y) in cs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumedCRSWarning)  # recorded in the entry
            yield read_defra(holding, pollutant=p, year=y, edition=edition, synthetic=synthetic)


def _path_grids(path, *, pollutant, year, edition, grid_crs, units, synthetic,
                **_ignored) -> Iterator:
    p = Path(str(path).split("!", 1)[0]).expanduser()
    if p.suffix.lower() == ".zip" and "!" not in str(path):
        if not p.exists():
            raise InputError(f"grid file {p} not found")
        members = list_zip_grids(p)
        picked: dict = {}
        for m in members:
            n = parse_laei_name(m.name)
            if n.pollutant is None or (pollutant and n.pollutant != pollutant) or (
                    year and n.year != year):
                continue
            key = (n.pollutant, n.year, n.edition)
            # One grid per pollutant and year: the ASCII grid is preferred to its CSV copy;
            # two of the same format (in different folders) are ambiguous.
            if key in picked and picked[key].suffix == m.suffix:
                raise InputError(f"{p} holds two grids for {n.pollutant} {n.year} "
                                 f"({picked[key].member} and {m.member}); add the one you "
                                 f"mean as {p}!{m.member}")
            if key not in picked or m.suffix == ".asc":
                picked[key] = m
        if not picked:
            raise InputError(f"{p} holds no LAEI grid matching the options given")
        sources = list(picked.values())
    else:
        sources = [resolve_source(path, pollutant, year)]
    one = len(sources) == 1
    for src in sources:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the CRS assumption is recorded in the entry
            yield read_grid(src, pollutant=pollutant if one else None,
                            year=year if one else None, edition=edition, grid_crs=grid_crs,
                            units=units, synthetic=synthetic)


def _exists_error(entry_id: str, row: GridRow) -> CatalogueError:
    return CatalogueError(f"the catalogue already holds {entry_id} (from "
                          f"{Path(row.info.source).name}); pass --overwrite to replace it")


def _store_all(grids: Iterable, index: CatalogueIndex, overwrite: bool) -> list[GridEntry]:
    """Write grids as COGs under the catalogue and record them in the index, all or none.

    Each grid is converted to a staged copy as it comes (one grid in memory at a time);
    the index changes only once every grid has been read and staged, under its lock.
    """
    existing = {r.id: r for r in index.read()}
    staged: list[tuple] = []
    with contextlib.ExitStack() as stack:
        for grid in grids:
            info = grid.info
            entry_id = _entry_id(info)
            if entry_id in existing and not overwrite:  # early, before converting
                raise _exists_error(entry_id, existing[entry_id])
            earlier = next((s for s in staged if s[0] == entry_id), None)
            if earlier is not None:
                raise InputError(f"{_source_name(earlier[-1])} and {_source_name(info)} are "
                                 f"both {entry_id}; add one of them at a time")
            rel = f"{_slug(info.edition)}/{info.pollutant}-{info.year or 'na'}.tif"
            path = stack.enter_context(index.staging(rel))
            write_cog(grid, path)
            staged.append((entry_id, rel, path, sha256_file(path), tuple(grid.full_shape),
                           tuple(grid.bounds), info))
            del grid  # one grid in memory at a time
        return _record(staged, index, overwrite)


def _source_name(info: GridInfo) -> str:
    return f"{Path(info.source).name}!{info.member}" if info.member else Path(info.source).name


def _record(staged: list[tuple], index: CatalogueIndex, overwrite: bool) -> list[GridEntry]:
    rows_added = []
    with index.update() as rows:
        for entry_id, rel, path, sha, shape, bounds, info in staged:
            old = next((i for i, r in enumerate(rows) if r.id == entry_id), None)
            if old is not None and not overwrite:
                raise _exists_error(entry_id, rows[old])
            row = GridRow(id=entry_id, file=rel,
                          added=datetime.now(UTC).isoformat(timespec="seconds"),
                          shape=shape, bounds=bounds, stored=index.store(path, rel, sha),
                          info=info)
            if old is None:
                rows.append(row)
            else:
                rows[old] = row
            rows_added.append(row)
    return [_entry(row, index) for row in rows_added]


def remove_grid(grid_id: str, home: Path | None = None) -> GridEntry:
    """Remove a grid from the catalogue and delete its converted file.

    Raises
    ------
    CatalogueError
        If there is no such grid, or the index is damaged.
    """
    index = grid_index(home)
    entry = get_grid(grid_id, home)  # the error lists the ids there are
    with index.update() as rows:
        row = next((r for r in rows if r.id == grid_id), None)
        if row is None:  # removed by another process meanwhile
            return entry
        rows.remove(row)
        index.remove_file(row)
    return entry


def check_grid(entry: GridEntry, home: Path | None = None, *, full: bool = False) -> CopyCheck:
    """Compare a catalogued grid's stored copy with its recorded SHA-256.

    See :meth:`airq.read.catalogue.index.CatalogueIndex.check`.
    """
    return grid_index(home).check(entry.id, entry.path, entry.stored, entry.readd, full=full)


def check_grids(home: Path | None = None) -> list[CopyCheck]:
    """Re-hash every stored grid against its recorded SHA-256 (``airq grids check``)."""
    return [check_grid(e, home, full=True) for e in list_grids(home)]


def verified_info(entry: GridEntry, home: Path | None = None) -> GridInfo:
    """Check a grid's stored copy, and return its provenance with the copy's checksum.

    The returned info names the stored copy (``catalogue_path``) and the SHA-256 of
    its bytes (``catalogue_sha256``) beside the original source's (``sha256``).

    Raises
    ------
    CatalogueError
        If the copy is missing, or has changed since it was catalogued (the message
        names the entry and how to re-add it).
    """
    if entry.stored is None:  # not from the index: say what was read
        try:
            sha = sha256_file(entry.path)
        except OSError as err:
            raise CatalogueError(f"grid copy {entry.path} cannot be read "
                                 f"({err.strerror or err})") from err
    else:
        sha = grid_index(home).require(entry.id, entry.path, entry.stored, entry.readd)
    return replace(entry.info, catalogue_path=str(entry.path), catalogue_sha256=sha)


def select_grids(pollutants=None, years=None, edition: str | None = None,
                 home: Path | None = None) -> list[GridEntry]:
    """Pick catalogued grids for a query.

    Parameters
    ----------
    pollutants
        Pollutant codes (default: NO2, PM10, PM2.5 and the PM10d day counts).
    years
        Model years (default: all).
    edition
        Inventory edition; needed when several editions hold the same grid.

    Raises
    ------
    CatalogueError
        Empty catalogue, or a pollutant, year or edition it does not hold (the
        message lists what it does hold), or an ambiguous edition.
    """
    entries = list_grids(home)
    if not entries:
        raise CatalogueError("the grid catalogue is empty; add grids with `airq grids add FILE` "
                             "or run `airq demo`, or pass --grid POLLUTANT:YEAR=PATH")
    have = ", ".join(sorted({f"{e.info.pollutant}:{e.info.year}" for e in entries}))
    if edition:
        eds = sorted({e.info.edition or "" for e in entries})
        match = [e for e in entries if (e.info.edition or "").lower() == edition.lower()
                 or _slug(e.info.edition) == _slug(edition)]
        if not match:
            raise CatalogueError(f"no grid of edition {edition!r} in the catalogue; editions: "
                                 f"{', '.join(eds)}")
        entries = match
    if pollutants:
        wanted = list(pollutants)
        for p in wanted:
            if not any(e.info.pollutant == p for e in entries):
                raise CatalogueError(f"no {p} grid in the catalogue; it holds {have}")
    else:
        wanted = ["no2", "pm10", "pm25", "pm10d"]
    picked = [e for e in entries if e.info.pollutant in wanted]
    if years:
        for y in years:
            if not any(e.info.year == y for e in picked):
                raise CatalogueError(f"no grid for model year {y} in the catalogue; it holds "
                                     f"{have}")
        picked = [e for e in picked if e.info.year in years]
    seen: dict = {}
    for e in picked:
        seen.setdefault((e.info.pollutant, e.info.year), []).append(e)
    # An LAEI grid and a Defra background map of the same pollutant and year are no clash:
    # the grid to use depends on the site (airq.read.catalogue.choose).
    clash = {k: v for k, v in seen.items()
             if sum(not e.info.background for e in v) > 1 or sum(e.info.background for e in v) > 1}
    if clash:
        (p, y), v = next(iter(clash.items()))
        eds = ", ".join(e.info.edition or "?" for e in v)
        raise CatalogueError(f"several editions hold {p} {y} ({eds}); choose one with --edition")
    if not any(e.info.kind == "concentration" for e in picked):
        raise CatalogueError(f"no concentration grid selected; the catalogue holds {have}")
    return picked
