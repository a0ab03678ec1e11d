"""The grid catalogue: grids converted once to Cloud-Optimised GeoTIFF, with provenance.

Kept under ``data_home()/grids``: one COG per grid and ``index.json`` recording the
source file, SHA-256, edition, model year, pollutant, units, CRS and whether the
CRS was assumed. The index is rewritten atomically.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from airq.config import data_home
from airq.errors import AssumedCRSWarning, CatalogueError, InputError
from airq.read.grids import (
    GridInfo,
    GridSource,
    list_zip_grids,
    normalise_pollutant,
    parse_laei_name,
    read_grid,
    resolve_source,
    write_cog,
)

INDEX_VERSION = 1


@dataclass(frozen=True)
class GridEntry:
    """One catalogued grid."""

    id: str
    info: GridInfo
    path: Path
    added: str
    shape: tuple[int, int]
    bounds: tuple[float, float, float, float]

    def to_dict(self) -> dict:
        """Return the entry as JSON-ready values."""
        return {"id": self.id, **self.info.to_dict(), "catalogue_file": str(self.path),
                "added": self.added, "shape": list(self.shape), "bounds": list(self.bounds)}


def _root(home: Path | None = None) -> Path:
    root = (home or data_home()) / "grids"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "unknown").lower()).strip("-")


def _entry_id(info: GridInfo) -> str:
    return f"{_slug(info.edition)}/{info.pollutant}-{info.year if info.year else 'na'}"


def _load_index(root: Path) -> list[dict]:
    path = root / "index.json"
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CatalogueError(f"the grid catalogue index {path} is damaged ({err}); remove it and "
                             "add the grids again") from err
    return data.get("grids", [])


def _save_index(root: Path, rows: list[dict]) -> None:
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".index.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": INDEX_VERSION, "grids": rows}, fh, indent=2, ensure_ascii=False)
    os.replace(tmp, root / "index.json")


def _entry(row: dict, root: Path) -> GridEntry:
    fields = {k: row[k] for k in GridInfo.__dataclass_fields__ if k in row}
    return GridEntry(id=row["id"], info=GridInfo(**fields), path=root / row["file"],
                     added=row["added"], shape=tuple(row["shape"]),
                     bounds=tuple(row["bounds"]))


def list_grids(home: Path | None = None) -> list[GridEntry]:
    """Every catalogued grid, ordered by edition, pollutant and year."""
    root = _root(home)
    entries = [_entry(r, root) for r in _load_index(root)]
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

    Each grid is read once, checked, and written as a Cloud-Optimised GeoTIFF.
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
        An entry exists and ``overwrite`` is false.
    """
    if pollutant:
        pollutant = normalise_pollutant(pollutant)
    paths = [path] if isinstance(path, str | Path) else list(path)
    defra, others = split_defra_paths(paths)
    kw = dict(pollutant=pollutant, year=year, edition=edition, grid_crs=grid_crs, units=units,
              overwrite=overwrite, synthetic=synthetic, home=home)
    added = _add_defra(defra, **kw) if defra else []
    for p in others:
        added += _add_path(p, **kw)
    return added


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


def _add_defra(files: list[Path], *, pollutant, year, edition, overwrite, synthetic, home,
               **_ignored) -> list[GridEntry]:
    from airq.read.defra import defra_contents, read_defra

    root = _root(home)
    contents = {f: defra_contents([f]) for f in dict.fromkeys(files)}
    every = list(dict.fromkeys(c for cs in contents.values() for c in cs))
    wanted = [(p, y) for p, y in every
              if (pollutant is None or p == pollutant) and (year is None or y == year)]
    if not wanted:
        have = ", ".join(f"{p}:{y}" for p, y in every)
        raise InputError(f"the Defra background maps given hold no column matching the options; "
                         f"they hold {have}")
    existing = {r["id"]: r for r in _load_index(root)}
    added = []
    for p, y in wanted:
        holding = [f for f, cs in contents.items() if (p, y) in cs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumedCRSWarning)  # recorded in the entry
            grid = read_defra(holding, pollutant=p, year=y, edition=edition, synthetic=synthetic)
        entry = _store(grid, root, existing, overwrite)
        existing[entry["id"]] = entry
        added.append(_entry(entry, root))
        _save_index(root, list(existing.values()))
    return added


def _add_path(path, *, pollutant, year, edition, grid_crs, units, overwrite, synthetic,
              home) -> list[GridEntry]:
    root = _root(home)
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
            # One grid per pollutant and year: the ASCII grid is preferred to its CSV copy.
            if key not in picked or m.suffix == ".asc":
                picked[key] = m
        if not picked:
            raise InputError(f"{p} holds no LAEI grid matching the options given")
        sources = list(picked.values())
    else:
        sources = [resolve_source(path, pollutant, year)]
    rows = _load_index(root)
    existing = {r["id"]: r for r in rows}
    added = []
    for src in sources:
        entry = _add_one(src, root, existing, pollutant=pollutant if len(sources) == 1 else None,
                         year=year if len(sources) == 1 else None, edition=edition,
                         grid_crs=grid_crs, units=units, overwrite=overwrite,
                         synthetic=synthetic)
        existing[entry["id"]] = entry
        added.append(_entry(entry, root))
        _save_index(root, list(existing.values()))
    return added


def _add_one(src: GridSource, root: Path, existing: dict, **kw) -> dict:
    overwrite = kw.pop("overwrite")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CRS assumption is recorded in the entry instead
        grid = read_grid(src, **kw)
    return _store(grid, root, existing, overwrite)


def _store(grid, root: Path, existing: dict, overwrite: bool) -> dict:
    """Write a grid as a COG under the catalogue and return its index row."""
    info = grid.info
    entry_id = _entry_id(info)
    if entry_id in existing and not overwrite:
        raise CatalogueError(f"the catalogue already holds {entry_id} (from "
                             f"{Path(existing[entry_id]['source']).name}); pass --overwrite to "
                             "replace it")
    rel = Path(_slug(info.edition)) / f"{info.pollutant}-{info.year or 'na'}.tif"
    out = root / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part.tif")
    try:
        write_cog(grid, tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    row = {"id": entry_id, **info.to_dict(), "file": str(rel),
           "added": datetime.now(UTC).isoformat(timespec="seconds"),
           "shape": list(grid.full_shape), "bounds": list(grid.bounds)}
    row["catalogue_path"] = str(rel)
    return row


def remove_grid(grid_id: str, home: Path | None = None) -> GridEntry:
    """Remove a grid from the catalogue and delete its converted file."""
    root = _root(home)
    entry = get_grid(grid_id, home)
    rows = [r for r in _load_index(root) if r["id"] != grid_id]
    _save_index(root, rows)
    if entry.path.exists():
        entry.path.unlink()
    return entry


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
