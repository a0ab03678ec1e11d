"""The land-use layer catalogue: layers kept in the data directory with their provenance.

Each layer is converted once to a GeoPackage in EPSG:27700 under
``data_home()/layers/<name>.gpkg``; ``index.json`` beside it records where it came
from (source file, SHA-256, feature count, CRS, kind, field mapping, date added).
Both are written atomically, so an interrupted ``add`` leaves the catalogue as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from airq.config import data_home
from airq.errors import CatalogueError, InputError
from airq.outputs import atomic_path, write_text
from airq.read.layers import (
    Layer,
    LayerProvenance,
    default_layer_name,
    layer_from_frame,
    read_layer,
)

logger = logging.getLogger(__name__)

INDEX_NAME = "index.json"
INDEX_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
    """

    name: str
    file: str
    provenance: LayerProvenance

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

    def to_dict(self) -> dict:
        """Return the entry as JSON-ready values (the provenance plus ``file``)."""
        return {**self.provenance.to_dict(), "file": self.file}

    @classmethod
    def from_dict(cls, d: Mapping) -> LayerEntry:
        """Build from :meth:`to_dict` output."""
        return cls(name=d["name"], file=d["file"], provenance=LayerProvenance.from_dict(d))


def catalogue_dir() -> Path:
    """Return the catalogue folder, ``data_home()/layers``, creating it."""
    d = data_home() / "layers"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _read_index() -> dict[str, LayerEntry]:
    path = catalogue_dir() / INDEX_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: LayerEntry.from_dict(d) for name, d in data["layers"].items()}
    except (ValueError, KeyError, TypeError) as err:
        raise CatalogueError(
            f"the layer catalogue index {path} is damaged ({err}); "
            "move it aside and add the layers again"
        ) from err


def _write_index(entries: Mapping[str, LayerEntry]) -> None:
    data = {
        "version": INDEX_VERSION,
        "layers": {name: entries[name].to_dict() for name in sorted(entries)},
    }
    write_text(catalogue_dir() / INDEX_NAME, json.dumps(data, indent=2) + "\n", overwrite=True)


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
    entries = _read_index()
    if name in entries and not overwrite:
        raise CatalogueError(
            f"layer {name!r} is already in the catalogue; pass --overwrite to replace it "
            "or --name to add this one under another name"
        )
    read = read_layer(src, crs=crs, name=name, kind=kind, mapping=mapping, layer=layer)
    added = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    provenance = dataclasses.replace(read.provenance, added=added)
    entry = LayerEntry(name=name, file=f"{name}.gpkg", provenance=provenance)
    target = catalogue_dir() / entry.file
    try:
        with atomic_path(target, overwrite=True) as tmp:
            read.gdf.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
    except (ValueError, TypeError) as err:
        raise InputError(f"cannot store {src} as a GeoPackage: {err}") from err
    entries[name] = entry
    _write_index(entries)
    logger.info("added layer %s (%d features) from %s", name, entry.feature_count, src)
    return entry


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


def load_layer(name_or_path: str | Path) -> Layer:
    """Load a catalogued layer by name, or read a layer file directly.

    Parameters
    ----------
    name_or_path
        A name from :func:`list_layers`, or a path to a layer file (read with
        :func:`airq.read.layers.read_layer`, schema detected, nothing mapped).

    Returns
    -------
    Layer

    Raises
    ------
    CatalogueError
        If it is neither a catalogued name nor an existing file, or the stored copy
        is missing.
    InputError, CRSError
        If a file given directly cannot be read.
    """
    ref = str(name_or_path)
    entries = _read_index()
    if ref in entries:
        entry = entries[ref]
        if not entry.path.exists():
            raise CatalogueError(
                f"the stored copy of layer {ref!r} ({entry.path}) is missing; "
                f"remove it with `airq layers remove {ref}` and add it again"
            )
        import geopandas as gpd

        gdf = gpd.read_file(entry.path, layer=entry.name, engine="pyogrio")
        p = entry.provenance
        return layer_from_frame(gdf, name=p.name, kind=p.kind, mapping=p.mapping, provenance=p)
    if Path(ref).exists():
        return read_layer(ref)
    raise CatalogueError(_unknown(ref, entries, also_file=True))


def load_layers(names_or_paths: Iterable[str | Path] = ()) -> tuple[Layer, ...]:
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
    entry = entries.pop(name)
    _write_index(entries)  # index first: it never names a file that is gone
    entry.path.unlink(missing_ok=True)
    return entry
