"""The land-use layer catalogue: layers kept in the data directory with their provenance.

Each layer is converted once to a GeoPackage in EPSG:27700 under
``data_home()/layers/<name>.gpkg``; ``index.json`` beside it records where it came
from (source file, SHA-256, feature count, CRS, kind, field mapping, date added) and
the SHA-256 of the stored GeoPackage. Both are written atomically, so an interrupted
``add`` leaves the catalogue as it was; the index is locked while it changes,
validated when read, and every stored copy is checked against its checksum before
use (:mod:`airq.read.catalogue.index`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from airq.config import data_home
from airq.errors import CatalogueError, CRSError, InputError
from airq.read.catalogue.index import (
    INDEX_NAME,
    CatalogueIndex,
    CopyCheck,
    StoredCopy,
    readd_command,
)
from airq.read.layers import (
    Layer,
    LayerProvenance,
    UnusableLayer,
    default_layer_name,
    layer_from_frame,
    read_layer,
)
from airq.read.layers.core import sha256_file

logger = logging.getLogger(__name__)

__all__ = ["INDEX_NAME", "LayerEntry", "add_layer", "catalogue_dir", "check_layers",
           "get_layer", "list_layers", "load_layer", "load_layers", "remove_layer"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class LayerRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One row of the layer index, as stored."""

    name: str
    file: str
    stored: StoredCopy
    provenance: LayerProvenance


@dataclass(frozen=True)
class LayerEntry:
    """A layer in the catalogue.

    Attributes
    ----------
    name
        The layer's name (letters, digits, ``_``, ``-``, ``.``).
    file
        The stored GeoPackage, relative to the catalogue folder.
    provenance
        Source file, SHA-256, feature count, source CRS, kind, mapping, date added.
    stored
        The stored GeoPackage's SHA-256, size and times when it was written.
    """

    name: str
    file: str
    provenance: LayerProvenance
    stored: StoredCopy | None = None

    @property
    def kind(self) -> str:
        """The layer's kind."""
        return self.provenance.kind

    @property
    def feature_count(self) -> int:
        """Number of features stored."""
        return self.provenance.feature_count

    @property
    def path(self) -> Path:
        """The stored GeoPackage (EPSG:27700)."""
        return catalogue_dir() / self.file

    @property
    def readd(self) -> str:
        """The command that adds this layer again from its source."""
        return layer_readd(self.provenance)

    def to_dict(self) -> dict:
        """Return the entry as JSON-ready values (the provenance, ``file`` and ``stored``)."""
        stored = msgspec.structs.asdict(self.stored) if self.stored else None
        return {**self.provenance.to_dict(), "file": self.file, "stored": stored}

    @classmethod
    def from_dict(cls, d: Mapping) -> LayerEntry:
        """Build from :meth:`to_dict` output."""
        stored = d.get("stored")
        return cls(name=d["name"], file=d["file"], provenance=LayerProvenance.from_dict(d),
                   stored=StoredCopy(**stored) if stored else None)


def layer_readd(p: LayerProvenance) -> str:
    """Return the command that adds a layer again from its source, name and mapping."""
    opts = [f"--name {p.name}", f"--kind {p.kind}"]
    if p.source_layer:
        opts.append(f"--layer {_quote(p.source_layer)}")
    for key, fieldname in sorted(p.mapping.items()):
        if key != "reference" and not p.schema:
            opts.append(f"--{key}-field {_quote(fieldname)}")
    return readd_command("layers add", p.source_path, *opts)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def catalogue_dir() -> Path:
    """Return the catalogue folder, ``data_home()/layers``, creating it."""
    d = data_home() / "layers"
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CatalogueError(f"cannot write to the layer catalogue {d} "
                             f"({err.strerror or err}); set AIRQ_HOME to a folder you can "
                             "write") from err
    return d


def layer_index() -> CatalogueIndex:
    """Return the layer catalogue's index (``data_home()/layers/index.json``)."""
    return CatalogueIndex(
        "layers", noun="layer", rows_key="layers", row_type=LayerRow, suffix=".gpkg",
        rebuild="add the layers again with `airq layers add FILE` (`airq demo --overwrite` "
                "for the demo data)")


def _entry(row: LayerRow) -> LayerEntry:
    return LayerEntry(name=row.name, file=row.file, provenance=row.provenance,
                      stored=row.stored)


def _read_index() -> dict[str, LayerEntry]:
    return {row.name: _entry(row) for row in layer_index().read()}


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise InputError(
            f"layer name {name!r} is not allowed; use up to 64 letters, digits, '_', '-' "
            "or '.', starting with a letter or digit"
        )
    return name


def _unknown(name: str, entries: Mapping[str, LayerEntry], also_file: bool = False) -> str:
    known = ", ".join(sorted(entries)) or "none yet; add one with `airq layers add FILE`"
    file_note = " and there is no such file" if also_file else ""
    return f"no layer named {name!r} in the catalogue{file_note}; layers: {known}"


def add_layer(
    path: str | Path,
    *,
    name: str | None = None,
    kind: str | None = None,
    crs: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    overwrite: bool = False,
    layer: str | None = None,
) -> LayerEntry:
    """Check a land-use layer and keep a copy in the catalogue.

    The file is read and checked with :func:`airq.read.layers.read_layer`, converted
    once to a GeoPackage in EPSG:27700, and recorded in ``index.json`` with its
    provenance. Nothing is written if any check fails.

    Parameters
    ----------
    path
        The layer file (any GDAL vector format, or a CSV).
    name
        Its name in the catalogue; defaults to the file name without suffix.
    kind
        One of ``landfill``, ``industry``, ``epochs``, ``brownfield``, ``generic``;
        detected when None.
    crs
        The CRS of a source that declares none.
    mapping
        Field mapping (keys ``category``, ``name``, ``reference``, ``start``, ``end``,
        ``epoch``).
    overwrite
        Replace a layer of the same name.
    layer
        The layer of a multi-layer source (GeoPackage); the first when None.

    Returns
    -------
    LayerEntry

    Raises
    ------
    CatalogueError
        If the name is taken and ``overwrite`` is false.
    InputError, CRSError
        If the layer cannot be read, is empty, has no CRS, or the mapping names a
        missing field.

    Examples
    --------
    >>> add_layer("landfill.gpkg", name="ea-landfill")  # doctest: +SKIP
    LayerEntry(name='ea-landfill', ...)
    """
    src = Path(path)
    name = _check_name(name or default_layer_name(src))
    index = layer_index()
    if name in _read_index() and not overwrite:  # early, before reading; checked again below
        raise _exists_error(name)
    read = read_layer(src, crs=crs, name=name, kind=kind, mapping=mapping, layer=layer)
    added = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    provenance = dataclasses.replace(read.provenance, added=added)
    rel = f"{name}.gpkg"
    with index.staging(rel) as staged:
        try:
            read.gdf.to_file(staged, driver="GPKG", layer=name, engine="pyogrio")
        except (ValueError, TypeError) as err:
            raise InputError(f"cannot store {src} as a GeoPackage: {err}") from err
        sha = sha256_file(staged)
        with index.update() as rows:
            old = next((i for i, r in enumerate(rows) if r.name == name), None)
            if old is not None and not overwrite:
                raise _exists_error(name)
            row = LayerRow(name=name, file=rel, stored=index.store(staged, rel, sha),
                           provenance=provenance)
            if old is None:
                rows.append(row)
            else:
                rows[old] = row
            rows.sort(key=lambda r: r.name)
    logger.info("added layer %s (%d features) from %s", name, provenance.feature_count, src)
    return _entry(row)


def _exists_error(name: str) -> CatalogueError:
    return CatalogueError(
        f"layer {name!r} is already in the catalogue; pass --overwrite to replace it "
        "or --name to add this one under another name"
    )


def list_layers() -> tuple[LayerEntry, ...]:
    """Return the catalogued layers, by name.

    Raises
    ------
    CatalogueError
        If the index is damaged.
    """
    entries = _read_index()
    return tuple(entries[n] for n in sorted(entries))


def get_layer(name: str) -> LayerEntry:
    """Return the catalogue entry of a layer.

    Parameters
    ----------
    name
        The layer's name.

    Returns
    -------
    LayerEntry

    Raises
    ------
    CatalogueError
        If there is no such layer (the message lists those there are).
    """
    entries = _read_index()
    if name not in entries:
        raise CatalogueError(_unknown(name, entries))
    return entries[name]


def load_layer(name_or_path: str | Path) -> Layer | UnusableLayer:
    """Load a catalogued layer by name, or read a layer file directly.

    Parameters
    ----------
    name_or_path
        A name from :func:`list_layers`, or a path to a layer file (read with
        :func:`airq.read.layers.read_layer`, schema detected, nothing mapped).

    Returns
    -------
    Layer or UnusableLayer
        An :class:`~airq.read.layers.UnusableLayer` for a catalogued layer whose
        stored copy cannot be read or made a layer (screening reports it).

    Raises
    ------
    CatalogueError
        If it is neither a catalogued name nor an existing file, or the stored copy
        is missing or has changed since it was catalogued.
    InputError, CRSError
        If a file given directly cannot be read.
    """
    ref = str(name_or_path)
    entries = _read_index()
    if ref in entries:
        return _load_stored(entries[ref])
    if Path(ref).exists():
        return read_layer(ref)
    raise CatalogueError(_unknown(ref, entries, also_file=True))


def _load_stored(entry: LayerEntry) -> Layer | UnusableLayer:
    """Read a catalogued layer's checked copy; one that cannot be used is reported, not raised."""
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError
    from shapely.errors import ShapelyError

    sha = layer_index().require(entry.name, entry.path, entry.stored, entry.readd)
    p = dataclasses.replace(entry.provenance, catalogue_path=str(entry.path),
                            catalogue_sha256=sha)
    try:
        gdf = gpd.read_file(entry.path, layer=entry.name, engine="pyogrio")
        layer = layer_from_frame(gdf, name=p.name, kind=p.kind, mapping=p.mapping, provenance=p)
    except (InputError, CRSError, ShapelyError, DataLayerError, DataSourceError, OSError) as err:
        return UnusableLayer.from_error(dataclasses.replace(entry, provenance=p), err)
    return dataclasses.replace(layer, provenance=p)


def load_layers(names_or_paths: Iterable[str | Path] = ()) -> tuple[Layer | UnusableLayer, ...]:
    """Load several layers; every catalogued layer when none is named.

    Raises
    ------
    CatalogueError
        If none is named and the catalogue is empty, or a name is unknown.
    """
    refs = list(names_or_paths)
    if not refs:
        refs = [e.name for e in list_layers()]
        if not refs:
            raise CatalogueError(
                "no land-use layers to screen: add one with `airq layers add FILE` "
                "or pass --layer FILE"
            )
    return tuple(load_layer(r) for r in refs)


def remove_layer(name: str) -> LayerEntry:
    """Remove a layer and its stored copy from the catalogue.

    Parameters
    ----------
    name
        The layer's name.

    Returns
    -------
    LayerEntry
        The entry removed.

    Raises
    ------
    CatalogueError
        If there is no such layer.
    """
    entries = _read_index()
    if name not in entries:
        raise CatalogueError(_unknown(name, entries))
    index = layer_index()
    with index.update() as rows:
        row = next((r for r in rows if r.name == name), None)
        if row is not None:  # else removed by another process meanwhile
            rows.remove(row)
            index.remove_file(row)
    return entries[name]


def check_layers() -> list[CopyCheck]:
    """Re-hash every stored layer against its recorded SHA-256 (``airq layers check``)."""
    index = layer_index()
    return [index.check(e.name, e.path, e.stored, e.readd, full=True) for e in list_layers()]
