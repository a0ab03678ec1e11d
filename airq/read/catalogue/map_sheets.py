"""The map-sheet catalogue: historic map sheets and modern base maps kept with their provenance.

``airq layers add FILE --kind historic-map --epoch 1896 --title ...`` checks a sheet
(GeoTIFF, JPEG/PNG with world file and .prj, MBTiles or a ``{z}/{x}/{y}`` folder),
copies it unchanged under ``data_home()/maps/<name>/`` and records it in
``maps/index.json``: source, SHA-256, epoch, title, attribution, CRS and its extent in
EPSG:27700, so that a run can use every sheet that covers the site without opening
the others. The copy and the index are written atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from airq.config import data_home
from airq.errors import CatalogueError, InputError, OutputError
from airq.outputs import write_text
from airq.read.historic_maps import (
    SHEET_KINDS,
    WORLD_SUFFIXES,
    SheetRequest,
    check_epoch,
    read_map_sheet,
)

INDEX_NAME = "index.json"
INDEX_VERSION = 1


@dataclass(frozen=True)
class SheetEntry:
    """A map sheet in the catalogue.

    Attributes
    ----------
    name
        Its name (shared namespace with the land-use layers of ``airq layers``).
    kind
        ``historic-map`` or ``basemap``.
    epoch
        Survey or revision year (historic maps), else None.
    title, attribution
        How the sheet is named and credited on maps and in reports.
    source
        The file or folder it was added from.
    sha256
        SHA-256 of the source file (of the tiles read, for a tile folder).
    format, crs
        Layout and CRS of the sheet.
    extent_bng
        The sheet's bounds in EPSG:27700.
    file
        The stored copy, relative to the catalogue folder.
    added
        When it was added (ISO 8601, UTC).
    synthetic
        Whether it is airq's synthetic demo data.
    """

    name: str
    kind: str
    epoch: int | None
    title: str
    attribution: str
    source: str
    sha256: str
    format: str
    crs: str
    extent_bng: tuple[float, float, float, float]
    file: str
    added: str
    synthetic: bool = False

    @property
    def path(self) -> Path:
        """The stored copy."""
        return catalogue_dir(create=False) / self.file

    def request(self) -> SheetRequest:
        """Return the request that reads the stored copy with this entry's provenance."""
        return SheetRequest(path=str(self.path), epoch=self.epoch, title=self.title,
                            attribution=self.attribution, kind=self.kind, name=self.name,
                            sha256=None if self.format == "tile folder" else self.sha256,
                            source=self.source)

    def covers(self, area) -> bool:
        """Whether the sheet's extent meets ``area`` (a geometry in EPSG:27700)."""
        import shapely

        return bool(shapely.box(*self.extent_bng).intersects(area))

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        d = dataclasses.asdict(self)
        d["extent_bng"] = list(self.extent_bng)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> SheetEntry:
        """Build from :meth:`to_dict` output."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["extent_bng"] = tuple(float(v) for v in values["extent_bng"])
        return cls(**values)


def catalogue_dir(create: bool = True) -> Path:
    """Return the map-sheet catalogue folder, ``data_home()/maps`` (created unless asked not)."""
    d = data_home(create=create) / "maps"
    if create:
        d.mkdir(parents=True, exist_ok=True)
    return d


def _read_index() -> dict[str, SheetEntry]:
    path = catalogue_dir(create=False) / INDEX_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: SheetEntry.from_dict(d) for name, d in data["sheets"].items()}
    except (ValueError, KeyError, TypeError) as err:
        raise CatalogueError(f"the map-sheet catalogue index {path} is damaged ({err}); "
                             "move it aside and add the sheets again") from err


def _write_index(entries: Mapping[str, SheetEntry]) -> None:
    data = {"version": INDEX_VERSION,
            "sheets": {n: entries[n].to_dict() for n in sorted(entries)}}
    write_text(catalogue_dir() / INDEX_NAME, json.dumps(data, indent=2) + "\n", overwrite=True)


def _source_files(path: Path) -> list[Path]:
    """Return the files that make a sheet: the image, its world file and .prj, if any."""
    files = [path]
    suffix = path.suffix.lower()
    if suffix in WORLD_SUFFIXES:
        files += [path.with_suffix(s) for s in (*WORLD_SUFFIXES[suffix], ".prj")
                  if path.with_suffix(s).is_file()]
    aux = path.with_name(path.name + ".aux.xml")
    if aux.is_file():
        files.append(aux)
    return files


def add_map_sheet(path: str | Path, *, name: str | None = None, kind: str = "historic-map",
                  epoch: int | str | None = None, title: str | None = None,
                  attribution: str | None = None, overwrite: bool = False,
                  taken=()) -> SheetEntry:
    """Check a map sheet and keep a copy of it in the catalogue.

    Parameters
    ----------
    path
        A GeoTIFF, a JPEG or PNG with its world file and .prj, an MBTiles file or a
        ``{z}/{x}/{y}`` tile folder.
    name
        Its name in the catalogue; defaults to the file name without suffix.
    kind
        ``historic-map`` (needs ``epoch``) or ``basemap``.
    epoch
        Survey or revision year of a historic map.
    title, attribution
        How it is named and credited (defaults: the file name; the file's own
        attribution or copyright tag).
    overwrite
        Replace a sheet of the same name.
    taken
        Names used by other catalogues (land-use layers), refused unless ``overwrite``.

    Returns
    -------
    SheetEntry

    Raises
    ------
    InputError, CRSError
        If the sheet cannot be read or placed (see :func:`read_map_sheet`), or a
        historic map has no epoch.
    CatalogueError
        If the name is taken and ``overwrite`` is false.
    """
    from airq.read.catalogue.layers import _check_name
    from airq.read.layers import default_layer_name

    src = Path(path)
    if kind not in SHEET_KINDS:
        raise InputError(f"kind {kind!r} is not a map-sheet kind ({', '.join(SHEET_KINDS)})")
    if kind == "historic-map" and epoch is None:
        raise InputError(f"{src}: a historic map needs --epoch, the year it was surveyed or "
                         "revised (e.g. --epoch 1896)")
    year = None if epoch is None else check_epoch(epoch, str(src))
    name = _check_name(name or default_layer_name(src))
    entries = _read_index()
    if (name in entries or name in taken) and not overwrite:
        raise CatalogueError(f"{name!r} is already in the catalogue; pass --overwrite to replace "
                             "it or --name to add this one under another name")
    sheet = read_map_sheet(SheetRequest(path=str(src), epoch=year, title=title,
                                        attribution=attribution, kind=kind, name=name),
                           None, max_side_px=256)
    stored = _store_copy(src, name)
    entry = SheetEntry(
        name=name, kind=kind, epoch=year, title=sheet.title, attribution=sheet.attribution,
        source=str(src.resolve()), sha256=sheet.sha256, format=sheet.format,
        crs=sheet.provenance()["crs"], extent_bng=tuple(float(v) for v in sheet.extent_bng),
        file=stored, added=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        synthetic=sheet.synthetic)
    if src.is_dir():  # the folder's checksum covers every tile, not only those read
        entry = dataclasses.replace(entry, sha256=_folder_sha256(src))
    entries[name] = entry
    _write_index(entries)
    return entry


def _folder_sha256(folder: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        h.update(p.relative_to(folder).as_posix().encode("utf-8") + b"\n")
        h.update(p.read_bytes())
    return h.hexdigest()


def _store_copy(src: Path, name: str) -> str:
    """Copy the sheet's files into ``maps/<name>/`` atomically; return the stored path."""
    root = catalogue_dir()
    final = root / name
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            if src.is_dir():
                shutil.copytree(src, staging / src.name)
            else:
                for f in _source_files(src):
                    shutil.copy2(f, staging / f.name)
            old = None
            if final.exists():
                old = root / f".{name}-old-{os.getpid()}"
                os.replace(final, old)
            os.replace(staging, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as err:
        raise OutputError(f"cannot store {src} in the catalogue ({err})") from err
    return f"{name}/{src.name}"


def list_map_sheets() -> tuple[SheetEntry, ...]:
    """Return the catalogued map sheets, by name."""
    entries = _read_index()
    return tuple(entries[n] for n in sorted(entries))


def get_map_sheet(name: str) -> SheetEntry | None:
    """Return the catalogue entry of a sheet, or None if there is none of that name."""
    return _read_index().get(name)


def remove_map_sheet(name: str) -> SheetEntry | None:
    """Remove a sheet and its stored copy; return the entry, or None if there was none."""
    entries = _read_index()
    if name not in entries:
        return None
    entry = entries.pop(name)
    _write_index(entries)  # index first: it never names a copy that is gone
    shutil.rmtree(catalogue_dir() / name, ignore_errors=True)
    return entry


def sheets_covering(area, kind: str = "historic-map") -> tuple[SheetEntry, ...]:
    """Return the catalogued sheets of ``kind`` whose extent meets ``area`` (EPSG:27700)."""
    return tuple(e for e in list_map_sheets() if e.kind == kind and e.covers(area))
