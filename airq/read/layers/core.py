"""The land-use Layer, its provenance, and the reader that picks a schema for a file.

Readers turn a vector file, a CSV or a GeoDataFrame into a :class:`Layer` in
EPSG:27700 with its kind, field mapping and provenance. Each published schema has a
module of its own (``landfill``, ``brownfield``, ``epochs``); ``tables`` reads CSVs.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from airq.errors import AirqWarning, CRSError, InputError
from airq.read.geojson import geojson_without_crs
from airq.read.layers.brownfield import (
    BROWNFIELD_SCHEMAS,
    brownfield_mapping,
    brownfield_schema,
)
from airq.read.layers.crs import BNG, check_area_of_use, check_crs, crs_label
from airq.read.layers.epochs import EPOCH_CLASS_NAMES, EPOCH_FIELD_NAMES
from airq.read.layers.landfill import EA_DATES, EA_REQUIRED, EA_SCHEMA
from airq.read.layers.tables import first_line, read_csv_layer

logger = logging.getLogger(__name__)


#: Layer kinds. ``industry`` and ``generic`` are never detected, only chosen.
KINDS = ("landfill", "industry", "epochs", "brownfield", "generic")


#: Keys of a field mapping: what each mapped field means.
MAPPING_KEYS = ("category", "name", "reference", "start", "end", "epoch")


class LandUseWarning(AirqWarning):
    """A land-use layer had features without a usable geometry; they were left out."""


def warn_layer_notes(layers) -> None:
    """Warn each layer's notes (read earlier, e.g. features left out) once, again.

    Called inside an assessment's or a batch's warning capture, so the notes are
    among the warnings every output of the run records.
    """
    for note in dict.fromkeys(n for layer in layers for n in getattr(layer, "notes", ())):
        warnings.warn(note, LandUseWarning, stacklevel=3)


@dataclass(frozen=True)
class LayerProvenance:
    """Where a layer came from and how it is read.

    Attributes
    ----------
    name
        The layer's name in results and in the catalogue.
    kind
        One of :data:`KINDS`.
    schema
        A recognised published schema (``ea-historic-landfill``,
        ``brownfield-register``), or None.
    source_path
        The file the layer was read from (``<memory>`` for a GeoDataFrame).
    sha256
        SHA-256 of that file ('' for a GeoDataFrame).
    feature_count
        Features in the layer (after any without geometry were left out).
    source_crs
        The CRS of the source, as ``EPSG:n`` where it has one, else its name.
    mapping
        Field mapping: key (:data:`MAPPING_KEYS`) to field name.
    geometry_types
        Geometry types present (``Polygon``, ``Point``...).
    fields
        Attribute fields of the layer.
    source_layer
        The layer read from a multi-layer source, or None.
    dropped_features
        Features left out because they had no geometry or no coordinates.
    added
        When the layer was added to the catalogue (ISO 8601, UTC), or None.
    catalogue_path, catalogue_sha256
        For a layer read from the catalogue: the stored copy read and the SHA-256
        of its bytes (beside the source's ``sha256``); else None.
    """

    name: str
    kind: str
    schema: str | None
    source_path: str
    sha256: str
    feature_count: int
    source_crs: str
    mapping: Mapping[str, str] = field(default_factory=dict)
    geometry_types: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    source_layer: str | None = None
    dropped_features: int = 0
    added: str | None = None
    catalogue_path: str | None = None
    catalogue_sha256: str | None = None

    def to_dict(self) -> dict:
        """Return the provenance as JSON-ready values."""
        d = dataclasses.asdict(self)
        d["mapping"] = dict(self.mapping)
        d["geometry_types"] = list(self.geometry_types)
        d["fields"] = list(self.fields)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> LayerProvenance:
        """Build from :meth:`to_dict` output (unknown keys are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["mapping"] = dict(values.get("mapping") or {})
        values["geometry_types"] = tuple(values.get("geometry_types") or ())
        values["fields"] = tuple(values.get("fields") or ())
        return cls(**values)


@dataclass(frozen=True, eq=False)
class Layer:
    """A land-use layer ready for screening.

    Attributes
    ----------
    name
        The layer's name.
    kind
        One of :data:`KINDS`.
    gdf
        The features in EPSG:27700 with their attributes as read; index 0..n-1.
    mapping
        Field mapping: key (:data:`MAPPING_KEYS`) to a column of ``gdf``.
    provenance
        Source file, SHA-256, counts, CRS and mapping.
    notes
        Warnings raised while the file was read (features left out...): an
        assessment repeats them among its own warnings, so every output says them.
    """

    name: str
    kind: str
    gdf: Any
    mapping: Mapping[str, str]
    provenance: LayerProvenance
    notes: tuple[str, ...] = ()

    @property
    def feature_count(self) -> int:
        """Number of features."""
        return len(self.gdf)

    @property
    def schema(self) -> str | None:
        """The recognised published schema, or None."""
        return self.provenance.schema


@dataclass(frozen=True)
class UnusableLayer:
    """A catalogued layer that cannot be read or screened, kept to be reported.

    Screening reports it (a warning naming the layer, and a verdict saying it was
    not screened) while every other layer is screened as usual: one bad layer
    fails alone (issue 11).

    Attributes
    ----------
    name, kind
        The layer.
    provenance
        Its catalogue provenance.
    reason
        Why it cannot be used (the reader's or GEOS's message).
    """

    name: str
    kind: str
    provenance: LayerProvenance
    reason: str

    @classmethod
    def from_error(cls, layer, err: BaseException) -> UnusableLayer:
        """Describe ``layer`` (a Layer or catalogue entry) as unusable because of ``err``."""
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return cls(layer.name, layer.kind, layer.provenance, text.split("; ")[0])

    @property
    def warning(self) -> str:
        """The warning text: which layer, why, that the rest was screened, what to do."""
        return (f"land-use layer {self.name!r} could not be screened ({self.reason}); it is "
                "left out and the other layers were screened. Check its source (`airq layers "
                f"info {self.name}`) and add it again with the right --crs or mapping")


def read_layer(
    path: str | Path,
    *,
    crs: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    layer: str | None = None,
) -> Layer:
    """Read a land-use layer from a vector file or a CSV, into EPSG:27700.

    The Environment Agency Historic Landfill Sites schema and brownfield land
    register CSVs are recognised without a mapping. Any other vector layer
    (polygons, lines or points, any CRS) works too; map its fields to say which
    holds the category, name, dates or map epoch, or leave it unmapped and its
    attributes are shown as they are.

    Parameters
    ----------
    path
        A GeoPackage, Shapefile, GeoJSON, FlatGeobuf or any format GDAL reads, or
        a CSV (brownfield register with GeoX/GeoY, or with a WKT or x/y column pair).
    crs
        The CRS of a source that declares none (e.g. ``EPSG:27700``).
    name
        The layer's name; defaults to the file name without its suffix.
    kind
        One of :data:`KINDS`; detected when None.
    mapping
        Field mapping, e.g. ``{"category": "USE", "start": "FROM_DATE"}``;
        None values are ignored. Keys are :data:`MAPPING_KEYS`.
    layer
        The layer of a multi-layer source; the first when None.

    Returns
    -------
    Layer

    Raises
    ------
    InputError
        If the file cannot be read, is empty, or the mapping names a missing field.
    CRSError
        If the source has no CRS and ``crs`` is not given, or the CRS is unknown.

    Examples
    --------
    >>> lf = read_layer("historic_landfill.gpkg")  # doctest: +SKIP
    >>> lf.kind, lf.mapping["start"]  # doctest: +SKIP
    ('landfill', 'firstinput')
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        layer_ = _read_layer(path, crs, name, kind, mapping, layer)
    notes = []
    for w in caught:  # warned as before, and kept with the layer for every output
        if issubclass(w.category, AirqWarning) and str(w.message) not in notes:
            notes.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return dataclasses.replace(layer_, notes=tuple(notes))


def _read_layer(path, crs, name, kind, mapping, layer) -> Layer:
    """Read a layer file: :func:`read_layer` without keeping its warnings."""
    src = Path(path)
    if not src.exists():
        raise InputError(f"{src} not found")
    if src.is_dir() and src.suffix.lower() not in (".gdb",):
        raise InputError(f"{src} is a folder; give a layer file")
    if src.suffix.lower() in (".csv", ".txt"):
        gdf, source_layer, extra = read_csv_layer(src, crs)
        if gdf.crs is not None:
            crs = None  # a brownfield register's rows declare their CRS; --crs filled blanks
    else:
        gdf, source_layer, extra = _read_vector(src, layer)
        if geojson_without_crs(src):
            # RFC 7946: no 'crs' member means longitude/latitude, which GDAL reports as
            # EPSG:4326; --crs is how to read an older file holding other coordinates.
            extra["geojson_lonlat"] = True
            if crs is not None:
                gdf = gdf.set_crs(check_crs(crs, src), allow_override=True)
                extra["crs_given"] = True
    prov = {
        "source_path": str(src.resolve()),
        "sha256": sha256_file(src) if src.is_file() else "",
        "source_layer": source_layer,
        **extra,
    }
    return _build_layer(gdf, name or default_layer_name(src), kind, mapping, crs, str(src), prov)


def layer_from_frame(
    gdf,
    *,
    name: str,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    crs: str | None = None,
    provenance: LayerProvenance | None = None,
) -> Layer:
    """Make a :class:`Layer` from an in-memory GeoDataFrame (reprojected to EPSG:27700).

    Parameters
    ----------
    gdf
        Features with a CRS (or pass ``crs``).
    name
        The layer's name.
    kind, mapping, crs
        As for :func:`read_layer`.
    provenance
        Provenance to keep (source file, SHA-256, date added); name, kind, mapping
        and counts are updated from the layer.

    Returns
    -------
    Layer

    Raises
    ------
    InputError, CRSError
        As for :func:`read_layer`.
    """
    extra: dict = {"source_path": "<memory>", "sha256": ""}
    if provenance is not None:
        extra = {
            "source_path": provenance.source_path,
            "sha256": provenance.sha256,
            "source_layer": provenance.source_layer,
            "added": provenance.added,
            "dropped_features": provenance.dropped_features,
            "source_crs": provenance.source_crs,
        }
    return _build_layer(gdf.copy(), name, kind, mapping, crs, name, extra)


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (the one checksum airq uses)."""
    from airq.read.grids import sha256_file as _sha256

    return _sha256(path)


def default_layer_name(path: str | Path) -> str:
    """Return a layer name made from a file name: lower case, safe characters only."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", Path(path).stem.lower()).strip("-._")
    return name or "layer"


def _read_vector(path: Path, layer: str | None):
    import geopandas as gpd
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    try:
        layers = pyogrio.list_layers(path)
        names = [str(n) for n in layers[:, 0]] if len(layers) else []
        if not names:
            raise InputError(f"{path} holds no layers")
        if layer is not None and layer not in names:
            raise InputError(f"{path} has no layer {layer!r}; its layers are: {', '.join(names)}")
        chosen = layer or names[0]
        gdf = gpd.read_file(path, layer=chosen, engine="pyogrio")
    except (DataSourceError, DataLayerError, FieldError, GeometryError, OSError) as err:
        raise InputError(
            f"cannot read {path} as a vector layer ({first_line(err)}); "
            "give a GeoPackage, Shapefile, GeoJSON or other GDAL vector file, or a CSV"
        ) from err
    if "geometry" not in gdf or not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{path} has no geometry; give a vector layer")
    return gdf, (chosen if len(names) > 1 else None), {}


def _build_layer(gdf, name, kind, mapping, crs, source, prov: dict) -> Layer:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{source}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if len(gdf) == 0:
        raise InputError(f"{source} has no features; an empty layer cannot be screened")
    geom = gdf.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.all():
        raise InputError(f"{source} has {len(gdf)} features but none has a geometry")
    dropped = int(missing.sum()) + int(prov.pop("dropped_features", 0) or 0)
    if missing.any():
        warnings.warn(
            f"{source}: {int(missing.sum())} feature(s) without geometry or coordinates "
            "were left out",
            LandUseWarning,
            stacklevel=3,
        )
        gdf = gdf.loc[~missing]
    crs_given = gdf.crs is None or prov.pop("crs_given", False)
    geojson_lonlat = prov.pop("geojson_lonlat", False)
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                f"{source} has no CRS; pass --crs with the CRS it was drawn in "
                "(EPSG:27700 for British National Grid)"
            )
        gdf = gdf.set_crs(check_crs(crs, source))
    elif crs is not None and check_crs(crs, source) != gdf.crs:
        raise CRSError(
            f"{source} declares CRS {crs_label(gdf.crs)} but --crs {crs} was given; "
            "drop --crs to use the declared one"
        )
    check_area_of_use(gdf, source, crs_given=crs_given, geojson_lonlat=geojson_lonlat)
    source_crs = prov.pop("source_crs", None) or crs_label(gdf.crs)
    kind, schema, resolved = _resolve_schema(
        list(gdf.columns.drop(gdf.geometry.name)), kind, mapping, source, frame=gdf
    )
    if not gdf.crs.equals(BNG):
        gdf = gdf.to_crs(BNG)
    gdf = gdf.reset_index(drop=True)
    invalid = ~gdf.geometry.is_valid.to_numpy()
    if invalid.any():
        # repair rather than drop: areas (timeline) need valid polygons, records do not
        repaired = shapely.make_valid(gdf.geometry.to_numpy()[invalid])
        gdf.loc[invalid, gdf.geometry.name] = repaired
    provenance = LayerProvenance(
        name=name,
        kind=kind,
        schema=schema,
        source_path=prov.pop("source_path", source),
        sha256=prov.pop("sha256", ""),
        feature_count=len(gdf),
        source_crs=source_crs,
        mapping=dict(resolved),
        geometry_types=tuple(sorted(set(gdf.geometry.geom_type.dropna()))),
        fields=tuple(str(c) for c in gdf.columns if c != gdf.geometry.name),
        source_layer=prov.pop("source_layer", None),
        dropped_features=dropped,
        added=prov.pop("added", None),
    )
    return Layer(name=name, kind=kind, gdf=gdf, mapping=dict(resolved), provenance=provenance)


def detect_schema(columns: Iterable[str]) -> str | None:
    """Name the published schema a layer's fields match, or None.

    Parameters
    ----------
    columns
        The layer's field names (matched case-insensitively).

    Returns
    -------
    str or None
        ``ea-historic-landfill``, a brownfield layout (``brownfield-register``,
        ``brownfield-register-lonlat``, ``brownfield-land``) or None.
    """
    lower = {str(c).lower() for c in columns}
    if all(f in lower for f in EA_REQUIRED) and any(f in lower for f in EA_DATES):
        return EA_SCHEMA
    return brownfield_schema(columns)


def _resolve_schema(columns: list[str], kind, mapping, source,
                    frame=None) -> tuple[str, str | None, dict]:
    problems = []
    if kind is not None and kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(str(c).lower(), str(c))
    schema = detect_schema(columns)
    resolved: dict[str, str] = {}
    if schema == EA_SCHEMA:
        resolved = {"name": "site_name", "reference": "hld_ref"}
        resolved.update({k: f for k, f in (("start", "firstinput"), ("end", "lastinput"))})
        resolved = {k: lower[f] for k, f in resolved.items() if f in lower}
    elif schema in BROWNFIELD_SCHEMAS:
        resolved = brownfield_mapping(schema, lower, frame)
    given = {k: v for k, v in (mapping or {}).items() if v not in (None, "")}
    if "epoch" not in given and kind in (None, "epochs") and schema is None:
        epoch = next((lower[f] for f in EPOCH_FIELD_NAMES if f in lower), None)
        if epoch is not None:
            resolved["epoch"] = epoch
            cat = next((lower[f] for f in EPOCH_CLASS_NAMES if f in lower), None)
            if cat is not None and "category" not in given:
                resolved["category"] = cat
    for key, fieldname in given.items():
        if key not in MAPPING_KEYS:
            problems.append(f"unknown mapping key {key!r} (keys: {', '.join(MAPPING_KEYS)})")
            continue
        fieldname = str(fieldname)
        if fieldname in columns:
            resolved[key] = fieldname
        elif fieldname.lower() in lower:
            resolved[key] = lower[fieldname.lower()]
        else:
            problems.append(f"no field {fieldname!r} (given for --{key}-field)")
    if kind is None:
        if "epoch" in resolved and schema is None:
            kind = "epochs"
        elif schema == EA_SCHEMA:
            kind = "landfill"
        elif schema in BROWNFIELD_SCHEMAS:
            kind = "brownfield"
        else:
            kind = "generic"
    if kind == "epochs" and "epoch" not in resolved and not problems:
        problems.append("a layer of kind 'epochs' needs --epoch-field naming its map-year field")
    if problems:
        raise InputError(
            f"{source}: {'; '.join(problems)}. Its fields are: {', '.join(map(str, columns))}"
        )
    if kind != "landfill" and schema == EA_SCHEMA:
        schema = None  # the user chose to read it another way
    return kind, schema, resolved
