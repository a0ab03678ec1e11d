"""Historic land-use layers: read them, recognise their schema, and screen an area.

Readers (:func:`read_layer`, :func:`layer_from_frame`) turn a vector file or a
GeoDataFrame into a :class:`Layer` in EPSG:27700 with its kind, field mapping and
provenance. The analysis (:func:`screen_landuse`, :func:`landuse_timeline`) is pure:
it takes an area (a shapely geometry in EPSG:27700) and layers, and returns frozen
results (:class:`LandUseScreening` and its parts). Renderers live in
``airq.render.landuse_text``.

Distances are from the area's boundary to the feature's nearest edge, in metres
(0 when they intersect or touch). Directions are 8-point compass directions from
the area's centroid to the point of the feature closest to that centroid; a feature
that covers the centroid has no direction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from airq.errors import AirqWarning, CRSError, InputError

logger = logging.getLogger(__name__)

#: The CRS every layer is held in, and the CRS areas must be given in.
BNG = "EPSG:27700"
#: Layer kinds. ``industry`` and ``generic`` are never detected, only chosen.
KINDS = ("landfill", "industry", "epochs", "brownfield", "generic")
#: Keys of a field mapping: what each mapped field means.
MAPPING_KEYS = ("category", "name", "reference", "start", "end", "epoch")
#: Default search band edges in metres; 0 is the site itself.
DEFAULT_BANDS_M = (0.0, 50.0, 250.0, 500.0)
#: 8-point compass directions, clockwise from north.
DIRECTIONS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
DIRECTION_WORDS = {
    "N": "north",
    "NE": "north-east",
    "E": "east",
    "SE": "south-east",
    "S": "south",
    "SW": "south-west",
    "W": "west",
    "NW": "north-west",
}

# Environment Agency Historic Landfill Sites (field names as published; matched
# case-insensitively because shapefile exports are often upper case).
EA_SCHEMA = "ea-historic-landfill"
EA_REQUIRED = ("hld_ref", "site_name")
EA_DATES = ("firstinput", "lastinput")
EA_WASTE_FLAGS = {
    "inert": "inert",
    "industrial": "industrial",
    "commercial": "commercial",
    "household": "household",
    "special": "special",
    "liqsludge": "liquid sludge",
    "wasteunk": "unknown",
}
EA_TEXT_DETAILS = {
    "site_add": "site_address",
    "lic_hold": "licence_holder",
    "licholdadd": "licence_holder_address",
    "siteopname": "operator",
    "siteopadd": "operator_address",
    "ea_region": "ea_region",
    "ea_area": "ea_area",
}
EA_DATE_DETAILS = {"lic_issue": "licence_issued", "lic_surren": "licence_surrendered"}
EA_LICENCE_FLAGS = {"licenced": "licensed", "exempt": "exempt", "nolicreq": "no licence required"}

# Brownfield land registers (the MHCLG data standard).
BROWNFIELD_SCHEMA = "brownfield-register"
BROWNFIELD_REQUIRED = ("sitereference", "geox", "geoy")
BROWNFIELD_CRS_FIELD = "coordinatereferencesystem"
BROWNFIELD_COORD_FIELDS = ("geox", "geoy", BROWNFIELD_CRS_FIELD)

# Column names that mark a land-use-by-epoch layer when no mapping is given.
EPOCH_FIELD_NAMES = ("epoch", "map_epoch", "mapepoch", "map_year", "mapyear", "epoch_year")
EPOCH_CLASS_NAMES = ("landuse", "land_use", "luclass", "lu_class", "class", "category", "use")

KIND_NOUNS = {
    "landfill": ("historic landfill site", "historic landfill sites", "historic landfill"),
    "brownfield": ("brownfield site", "brownfield sites", "brownfield land"),
    "industry": ("former industrial site", "former industrial sites", "former industrial use"),
    "epochs": ("mapped land-use feature", "mapped land-use features", "mapped land use"),
}
KIND_CATEGORIES = {
    "landfill": "historic landfill",
    "brownfield": "brownfield land",
    "industry": "former industrial use",
}
NO_CLASS = "(no class)"
NOT_MAPPED = "not mapped"

_FLAG_TRUE = {"yes", "y", "true", "t", "1"}


class LandUseWarning(AirqWarning):
    """A land-use layer had features without a usable geometry; they were left out."""


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class ParsedDate:
    """A date as written and as understood.

    Attributes
    ----------
    value
        ISO text at the precision written: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
        None when blank or not understood.
    raw
        The value as written in the layer (None when blank).
    flag
        Why the date needs a human look (not understood, in the future), or None.
    """

    value: str | None
    raw: str | None
    flag: str | None = None

    @property
    def year(self) -> int | None:
        """The year, or None."""
        return int(self.value[:4]) if self.value else None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_RE_YEAR = re.compile(r"^(\d{4})$")
_RE_ISO = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_RE_UK = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_RE_YM = re.compile(r"^(\d{4})-(\d{1,2})$")
_RE_MY = re.compile(r"^(\d{1,2})/(\d{4})$")
_RE_DMY_TEXT = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,})\.?,?\s+(\d{4})$")
_RE_MY_TEXT = re.compile(r"^([A-Za-z]{3,})\.?,?\s+(\d{4})$")


def parse_date(value: Any) -> ParsedDate:
    """Understand a date as written in a land-use layer, keeping the original text.

    Accepts years (``1931``), ISO dates (``1931-05-01``, with or without a time),
    UK day-first dates (``01/05/1931``), months (``1931-05``, ``05/1931``, ``May 1931``),
    ``1 May 1931``, numbers holding a year, and date or datetime objects. Anything
    else is kept as written with a flag; it is never dropped.

    Parameters
    ----------
    value
        The attribute value.

    Returns
    -------
    ParsedDate
        ``value`` None with ``flag`` set when the text is not understood;
        all None when blank.

    Examples
    --------
    >>> parse_date("31/12/1948").value
    '1948-12-31'
    >>> parse_date("about 1930").flag
    "'about 1930' is not a date airq understands; kept as written"
    """
    if value is None:
        return ParsedDate(None, None)
    if isinstance(value, float) and math.isnan(value):
        return ParsedDate(None, None)
    if value is pd.NaT:
        return ParsedDate(None, None)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return _unparsed(str(value))
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return _checked(value.date().isoformat(), value.isoformat())
    if isinstance(value, dt.date):
        return _checked(value.isoformat(), value.isoformat())
    if isinstance(value, (int, float)):
        raw = str(value)
        if float(value).is_integer() and 1000 <= value <= 2999:
            return _checked(f"{int(value):04d}", raw)
        return _unparsed(raw)
    raw = str(value)
    text = raw.strip()
    if not text:
        return ParsedDate(None, None)
    iso = _parse_text(text)
    if iso is None:
        return _unparsed(raw)
    return _checked(iso, raw)


def _parse_text(text: str) -> str | None:
    if m := _RE_YEAR.match(text):
        return m.group(1)
    if m := _RE_ISO.match(text):
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _RE_UK.match(text):
        return _ymd(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _RE_YM.match(text):
        return _ym(int(m.group(1)), int(m.group(2)))
    if m := _RE_MY.match(text):
        return _ym(int(m.group(2)), int(m.group(1)))
    if m := _RE_DMY_TEXT.match(text):
        month = _MONTHS.get(m.group(2)[:3].lower())
        return _ymd(int(m.group(3)), month, int(m.group(1))) if month else None
    if m := _RE_MY_TEXT.match(text):
        month = _MONTHS.get(m.group(1)[:3].lower())
        return _ym(int(m.group(2)), month) if month else None
    return None


def _ymd(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _ym(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


def _unparsed(raw: str) -> ParsedDate:
    return ParsedDate(None, raw, f"{raw!r} is not a date airq understands; kept as written")


def _checked(iso: str, raw: str) -> ParsedDate:
    if iso[:4] > str(dt.date.today().year):
        return ParsedDate(iso, raw, f"{raw!r} is in the future; check the layer")
    return ParsedDate(iso, raw)


def _flag_set(value: Any) -> bool:
    """Whether a Yes/blank flag field is set."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).strip().lower() in _FLAG_TRUE


# --------------------------------------------------------------------------- layers


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
    """

    name: str
    kind: str
    gdf: Any
    mapping: Mapping[str, str]
    provenance: LayerProvenance

    @property
    def feature_count(self) -> int:
        """Number of features."""
        return len(self.gdf)

    @property
    def schema(self) -> str | None:
        """The recognised published schema, or None."""
        return self.provenance.schema


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
    src = Path(path)
    if not src.exists():
        raise InputError(f"{src} not found")
    if src.is_dir() and src.suffix.lower() not in (".gdb",):
        raise InputError(f"{src} is a folder; give a layer file")
    if src.suffix.lower() in (".csv", ".txt"):
        gdf, source_layer, extra = _read_csv(src, crs)
        if gdf.crs is not None:
            crs = None  # a brownfield register's rows declare their CRS; --crs filled blanks
    else:
        gdf, source_layer, extra = _read_vector(src, layer)
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
            f"cannot read {path} as a vector layer ({_first_line(err)}); "
            "give a GeoPackage, Shapefile, GeoJSON or other GDAL vector file, or a CSV"
        ) from err
    if "geometry" not in gdf or not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{path} has no geometry; give a vector layer")
    return gdf, (chosen if len(names) > 1 else None), {}


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _read_csv(path: Path, crs: str | None):
    """Read a CSV: a brownfield register (GeoX/GeoY) or a table with WKT or x/y."""
    import geopandas as gpd

    df = None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as err:
            raise InputError(f"cannot read {path} as CSV ({_first_line(err)})") from err
    if df is None:  # pragma: no cover - latin-1 decodes any bytes
        raise InputError(f"cannot decode {path}")
    if df.empty:
        raise InputError(f"{path} has no features (no data rows)")
    lower = {c.lower().strip(): c for c in df.columns}
    if all(k in lower for k in BROWNFIELD_REQUIRED):
        return _brownfield_points(path, df, lower, crs)
    for wkt in ("wkt", "geometry", "geom", "the_geom"):
        if wkt in lower:
            col = lower[wkt]
            try:
                geoms = shapely.from_wkt(df[col].replace("", None), on_invalid="raise")
            except shapely.errors.GEOSException as err:
                raise InputError(f"{path}: column {col} holds text that is not WKT") from err
            frame = gpd.GeoDataFrame(df.drop(columns=[col]), geometry=geoms, crs=None)
            return frame, None, {}
    for xname, yname in (
        ("easting", "northing"),
        ("x", "y"),
        ("lon", "lat"),
        ("longitude", "latitude"),
    ):
        if xname in lower and yname in lower:
            x = pd.to_numeric(df[lower[xname]], errors="coerce")
            y = pd.to_numeric(df[lower[yname]], errors="coerce")
            geoms = gpd.points_from_xy(x, y)
            geoms[(x.isna() | y.isna()).to_numpy()] = None
            return gpd.GeoDataFrame(df, geometry=geoms, crs=None), None, {}
    raise InputError(
        f"{path} is a CSV without coordinates; it needs GeoX/GeoY (brownfield register), "
        "a WKT column, or easting/northing or x/y columns; "
        f"its columns are: {', '.join(df.columns)}"
    )


def _brownfield_crs(text: str) -> str | None:
    t = re.sub(r"[^a-z0-9]", "", text.lower())
    if not t:
        return None
    if "osgb" in t or "27700" in t or "britishnationalgrid" in t or t == "bng":
        return "EPSG:27700"
    if "etrs89" in t or "4258" in t:
        return "EPSG:4258"
    if "wgs84" in t or "4326" in t:
        return "EPSG:4326"
    raise CRSError(
        f"unknown CoordinateReferenceSystem {text!r}; the brownfield standard uses "
        "OSGB36 or ETRS89; pass --crs to say which"
    )


def _brownfield_points(path: Path, df: pd.DataFrame, lower: dict, crs: str | None):
    """Points from GeoX/GeoY; rows may declare different CRSs (OSGB36 or ETRS89)."""
    import geopandas as gpd

    x = pd.to_numeric(df[lower["geox"]].str.replace(",", ""), errors="coerce")
    y = pd.to_numeric(df[lower["geoy"]].str.replace(",", ""), errors="coerce")
    if BROWNFIELD_CRS_FIELD in lower:
        declared = df[lower[BROWNFIELD_CRS_FIELD]].map(_brownfield_crs)
    else:
        declared = pd.Series([None] * len(df), index=df.index, dtype=object)
    if crs is not None:
        declared = declared.where(declared.notna(), _check_crs(crs, path).to_string())
    if declared.isna().any():
        raise CRSError(
            f"{path}: {int(declared.isna().sum())} row(s) have no CoordinateReferenceSystem; "
            "pass --crs (OSGB36 is EPSG:27700, ETRS89 is EPSG:4258)"
        )
    geoms = np.empty(len(df), dtype=object)
    for code in declared.unique():
        rows = (declared == code).to_numpy()
        pts = gpd.GeoSeries(gpd.points_from_xy(x[rows], y[rows]), crs=code).to_crs(BNG)
        geoms[rows] = pts.to_numpy()
    bad = (x.isna() | y.isna()).to_numpy()
    geoms[bad] = None
    frame = gpd.GeoDataFrame(df, geometry=list(geoms), crs=BNG)
    source_crs = ", ".join(sorted(set(declared)))
    return frame, None, {"source_crs": source_crs}


def _check_crs(crs: Any, source: Any):
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        return CRS.from_user_input(crs)
    except ProjCRSError as err:
        raise CRSError(
            f"--crs {crs!r} for {source} is not a CRS pyproj knows; try EPSG:27700"
        ) from err


def _crs_label(crs) -> str:
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


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
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                f"{source} has no CRS; pass --crs with the CRS it was drawn in "
                "(EPSG:27700 for British National Grid)"
            )
        gdf = gdf.set_crs(_check_crs(crs, source))
    elif crs is not None and _check_crs(crs, source) != gdf.crs:
        raise CRSError(
            f"{source} declares CRS {_crs_label(gdf.crs)} but --crs {crs} was given; "
            "drop --crs to use the declared one"
        )
    source_crs = prov.pop("source_crs", None) or _crs_label(gdf.crs)
    kind, schema, resolved = _resolve_schema(
        list(gdf.columns.drop("geometry")), kind, mapping, source
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
        ``ea-historic-landfill``, ``brownfield-register`` or None.
    """
    lower = {str(c).lower() for c in columns}
    if all(f in lower for f in EA_REQUIRED) and any(f in lower for f in EA_DATES):
        return EA_SCHEMA
    if all(f in lower for f in BROWNFIELD_REQUIRED):
        return BROWNFIELD_SCHEMA
    return None


def _resolve_schema(columns: list[str], kind, mapping, source) -> tuple[str, str | None, dict]:
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
    elif schema == BROWNFIELD_SCHEMA:
        defaults = {
            "name": "sitenameaddress",
            "reference": "sitereference",
            "start": "firstaddeddate",
        }
        resolved = {k: lower[f] for k, f in defaults.items() if f in lower}
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
        elif schema == BROWNFIELD_SCHEMA:
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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LandUseRecord:
    """One feature of a layer on the site or within the search bands.

    Attributes
    ----------
    layer
        Name of the layer.
    kind
        The layer's kind.
    feature_index
        Row of the feature in ``Layer.gdf``.
    reference
        Site reference (``hld_ref``, ``SiteReference``...), or None.
    name
        Site name, or None for an unmapped layer.
    category
        Land-use category or class, or None.
    distance_m
        Metres from the area's boundary to the feature's nearest edge; 0 if they
        intersect.
    direction
        8-point compass direction from the area's centroid to the point of the
        feature closest to it; None when the feature covers the centroid.
    bearing_deg
        The same as a bearing in degrees clockwise from grid north, or None.
    band
        Search band label: ``on site``, ``0-50 m``, ``50-250 m``...
    start, end
        Dates as ISO text at the precision written (``1931``, ``1931-05-01``), or None.
    start_raw, end_raw
        The dates as written.
    date_flag
        Why the dates need a human look, or None.
    epoch
        Map epoch (a year, or the text as written) for epoch layers, else None.
    details
        Further attributes: for EA landfill the waste types, gas and leachate
        control, licence holder...; for other layers the unmapped attributes as
        they are.
    """

    layer: str
    kind: str
    feature_index: int
    reference: str | None
    name: str | None
    category: str | None
    distance_m: float
    direction: str | None
    bearing_deg: float | None
    band: str
    start: str | None = None
    end: str | None = None
    start_raw: str | None = None
    end_raw: str | None = None
    date_flag: str | None = None
    epoch: int | str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def on_site(self) -> bool:
        """Whether the feature intersects the area."""
        return self.distance_m == 0

    def to_dict(self) -> dict:
        """Return JSON-ready values (distance to 0.1 m, bearing to 0.1 degree)."""
        d = dataclasses.asdict(self)
        d["distance_m"] = round(self.distance_m, 1)
        d["bearing_deg"] = None if self.bearing_deg is None else round(self.bearing_deg, 1)
        d["details"] = dict(self.details)
        return d


@dataclass(frozen=True)
class ClassShare:
    """The share of the area a land-use class covers at one epoch."""

    category: str
    area_m2: float
    share_pct: float

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "category": self.category,
            "area_m2": round(self.area_m2, 1),
            "share_pct": round(self.share_pct, 2),
        }


@dataclass(frozen=True)
class TimelineEntry:
    """Land use covering the area at one map epoch.

    Attributes
    ----------
    layer
        Name of the epoch layer.
    epoch
        The map year, or the epoch as written when it is not a year.
    classes
        Land-use classes intersecting the area, largest share first. Shares can sum
        to more than 100 % where a layer's polygons overlap.
    unmapped_pct
        Share of the area no feature of this epoch covers.
    area_m2
        Area of the site in square metres.
    epoch_flag
        Set when the epoch is not a year.
    """

    layer: str
    epoch: int | str
    classes: tuple[ClassShare, ...]
    unmapped_pct: float
    area_m2: float
    epoch_flag: str | None = None

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "layer": self.layer,
            "epoch": self.epoch,
            "classes": [c.to_dict() for c in self.classes],
            "unmapped_pct": round(self.unmapped_pct, 2),
            "area_m2": round(self.area_m2, 1),
            "epoch_flag": self.epoch_flag,
        }


@dataclass(frozen=True)
class LayerVerdict:
    """A sentence a resident can read about one layer, and the counts behind it.

    Attributes
    ----------
    layer, kind
        The layer.
    count
        Records found on the site and within the search distance.
    on_site
        How many of them intersect the area.
    nearest_m
        Distance of the nearest, or None when nothing was found.
    search_m
        The search distance (largest band edge).
    counts_by_band
        ``(band label, count)`` for every band, in order.
    text
        The sentence.
    """

    layer: str
    kind: str
    count: int
    on_site: int
    nearest_m: float | None
    search_m: float
    counts_by_band: tuple[tuple[str, int], ...]
    text: str

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "layer": self.layer,
            "kind": self.kind,
            "count": self.count,
            "on_site": self.on_site,
            "nearest_m": None if self.nearest_m is None else round(self.nearest_m, 1),
            "search_m": self.search_m,
            "counts_by_band": dict(self.counts_by_band),
            "text": self.text,
        }


@dataclass(frozen=True)
class LandUseScreening:
    """Everything the land-use screening found for one area.

    Attributes
    ----------
    records
        Features on the site or within the bands, by layer, nearest first.
    timeline
        Land use on the site by epoch, for layers with an epoch field.
    verdicts
        One per layer, in the order the layers were given.
    bands_m
        Band edges in metres (0 first: the site itself).
    band_labels
        Labels of the bands (``on site``, ``0-50 m``...).
    layers
        Provenance of each layer screened.
    area_m2
        Area of the site in square metres.
    """

    records: tuple[LandUseRecord, ...]
    timeline: tuple[TimelineEntry, ...]
    verdicts: tuple[LayerVerdict, ...]
    bands_m: tuple[float, ...]
    band_labels: tuple[str, ...]
    layers: tuple[LayerProvenance, ...]
    area_m2: float = 0.0
    synthetic: bool = False

    @property
    def search_m(self) -> float:
        """The search distance: the largest band edge."""
        return self.bands_m[-1]

    def records_for(self, layer: str) -> tuple[LandUseRecord, ...]:
        """Return the records of one layer."""
        return tuple(r for r in self.records if r.layer == layer)

    def to_dict(self) -> dict:
        """Return ``{"records", "timeline", "verdicts", "bands_m", "layers"}``, JSON-ready."""
        return {
            "records": [r.to_dict() for r in self.records],
            "timeline": [t.to_dict() for t in self.timeline],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "bands_m": list(self.bands_m),
            "layers": [p.to_dict() for p in self.layers],
            "synthetic_demo_data": self.synthetic,
        }


# --------------------------------------------------------------------------- bands


def check_bands(bands_m: Iterable[float]) -> tuple[float, ...]:
    """Validate band edges; 0 (the site itself) is always the first edge.

    Parameters
    ----------
    bands_m
        Increasing distances in metres, e.g. ``(0, 50, 250, 500)``.

    Returns
    -------
    tuple of float
        The edges with 0 first.

    Raises
    ------
    InputError
        If an edge is negative or not a number, or the edges do not increase.
    """
    try:
        edges = [float(b) for b in bands_m]
    except (TypeError, ValueError) as err:
        raise InputError(f"search bands must be numbers in metres, not {bands_m!r}") from err
    if any(not math.isfinite(b) or b < 0 for b in edges) or edges != sorted(set(edges)):
        raise InputError(f"search bands must be increasing distances >= 0 m, not {edges}")
    if not edges or edges[0] != 0:
        edges.insert(0, 0.0)
    return tuple(edges)


def _fmt_m(x: float) -> str:
    return f"{x:g}"


def band_labels(bands_m: Sequence[float]) -> tuple[str, ...]:
    """Labels for the bands: ``on site`` then ``a-b m`` for each pair of edges."""
    edges = check_bands(bands_m)
    return ("on site",) + tuple(
        f"{_fmt_m(a)}-{_fmt_m(b)} m" for a, b in zip(edges, edges[1:], strict=False)
    )


def band_index(distance_m: float, bands_m: Sequence[float]) -> int | None:
    """Index of the band a distance falls in (0 = on site), or None beyond the last.

    Upper edges are inclusive: with bands (0, 50, 250), 50 m is in ``0-50 m``.
    """
    edges = check_bands(bands_m)
    if distance_m < 0 or distance_m > edges[-1]:
        return None
    return int(np.searchsorted(np.asarray(edges), distance_m, side="left"))


# --------------------------------------------------------------------------- analysis


def area_from_boundaries(gdf) -> shapely.Geometry:
    """Union boundaries into one area in EPSG:27700 (reprojecting them if needed).

    Parameters
    ----------
    gdf
        A GeoDataFrame or GeoSeries of boundaries with a CRS.

    Returns
    -------
    shapely.Geometry

    Raises
    ------
    CRSError
        If the boundaries have no CRS.
    InputError
        If there are no boundaries or their union is empty.
    """
    if gdf.crs is None:
        raise CRSError("the boundaries have no CRS; pass --crs with the CRS they were drawn in")
    if len(gdf) == 0:
        raise InputError("no boundaries selected; check --where")
    series = gdf.geometry if hasattr(gdf, "geometry") else gdf
    if not series.crs.equals(BNG):
        series = series.to_crs(BNG)
    geoms = shapely.make_valid(series.dropna().to_numpy())
    area = shapely.union_all(geoms)
    if area.is_empty:
        raise InputError("the selected boundaries have no geometry")
    return area


def _check_area(area) -> shapely.Geometry:
    if not isinstance(area, shapely.Geometry):
        raise InputError(
            f"the area must be a shapely geometry in EPSG:27700, not {type(area).__name__}; "
            "use area_from_boundaries() for a GeoDataFrame"
        )
    if area.is_empty:
        raise InputError("the area is empty")
    minx, miny, maxx, maxy = area.bounds
    if -12 <= minx and maxx <= 4 and 48 <= miny and maxy <= 62 and maxx - minx < 5:
        raise CRSError(
            "the area looks like longitude/latitude; reproject it to EPSG:27700 "
            "(area_from_boundaries does this)"
        )
    if not area.is_valid:
        area = shapely.make_valid(area)
    return area


def screen_landuse(
    area: shapely.Geometry,
    layers: Sequence[Layer],
    bands_m: Sequence[float] = DEFAULT_BANDS_M,
) -> LandUseScreening:
    """Find every feature of each layer on the site and within the search bands.

    Parameters
    ----------
    area
        The site: the union of the selected boundaries, in EPSG:27700 (metres).
    layers
        Land-use layers from :func:`read_layer` or ``airq.read.catalogue.layers.load_layer``.
    bands_m
        Band edges in metres; 0 (on site) is always the first band. Features
        beyond the last edge are not reported.

    Returns
    -------
    LandUseScreening
        Records (distance from the boundary to the feature's nearest edge in
        metres, 8-point direction from the area's centroid to the point of the
        feature closest to it, band, category, name, dates), a timeline for
        epoch layers, and one verdict per layer.

    Raises
    ------
    InputError
        If the area is empty or not a geometry, or the bands are not increasing.
    CRSError
        If the area looks like longitude/latitude.

    Examples
    --------
    >>> result = screen_landuse(area, [read_layer("landfill.gpkg")])  # doctest: +SKIP
    >>> result.verdicts[0].text  # doctest: +SKIP
    'No records of historic landfill within 500 m.'
    """
    area = _check_area(area)
    edges = check_bands(bands_m)
    labels = band_labels(edges)
    shapely.prepare(area)
    records: list[LandUseRecord] = []
    timeline: list[TimelineEntry] = []
    verdicts: list[LayerVerdict] = []
    for layer in layers:
        found = _layer_records(area, layer, edges, labels)
        entries = landuse_timeline(area, layer) if "epoch" in layer.mapping else ()
        records.extend(found)
        timeline.extend(entries)
        verdicts.append(_verdict(layer, found, entries, edges, labels))
    return LandUseScreening(
        records=tuple(records),
        timeline=tuple(timeline),
        verdicts=tuple(verdicts),
        bands_m=edges,
        band_labels=labels,
        layers=tuple(layer.provenance for layer in layers),
        area_m2=float(area.area),
        synthetic=_any_synthetic(layers),
    )


def _any_synthetic(layers) -> bool:
    """Whether any layer was made from airq's synthetic demo data."""
    from airq.demo import is_synthetic

    return any(layer.provenance.source_path and is_synthetic(Path(layer.provenance.source_path))
               for layer in layers)


def _directions(origin: shapely.Point, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bearings (degrees, NaN where the feature covers ``origin``) and 8-point labels."""
    if len(geoms) == 0:
        return np.empty(0), np.empty(0, dtype=object)
    lines = shapely.shortest_line(origin, geoms)
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 1, :]
    dx = ends[:, 0] - origin.x
    dy = ends[:, 1] - origin.y
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    covered = np.hypot(dx, dy) < 1e-6
    bearing[covered] = np.nan
    sector = (((np.nan_to_num(bearing) + 22.5) % 360.0) // 45.0).astype(int)
    labels = np.array(DIRECTIONS, dtype=object)[sector]
    labels[covered] = None
    return bearing, labels


def compass_direction(bearing_deg: float) -> str:
    """Return the 8-point compass direction of a bearing in degrees (N is 337.5-22.5)."""
    return DIRECTIONS[int(((bearing_deg + 22.5) % 360.0) // 45.0)]


def _layer_records(area, layer: Layer, edges, labels) -> list[LandUseRecord]:
    gdf = layer.gdf
    search_m = edges[-1]
    if search_m > 0:
        idx = gdf.sindex.query(area, predicate="dwithin", distance=search_m)
    else:
        idx = gdf.sindex.query(area, predicate="intersects")
    idx = np.sort(np.asarray(idx, dtype=int))
    geoms = gdf.geometry.to_numpy()[idx]
    dist = shapely.distance(area, geoms)
    keep = dist <= search_m
    idx, geoms, dist = idx[keep], geoms[keep], dist[keep]
    bands = np.searchsorted(np.asarray(edges), dist, side="left")
    bearing, direction = _directions(area.centroid, geoms)
    order = np.argsort(dist, kind="stable")
    attrs = gdf.drop(columns=gdf.geometry.name)
    out = []
    for i in order:
        row = attrs.iloc[int(idx[i])]
        out.append(
            _record(
                layer,
                int(idx[i]),
                row,
                float(dist[i]),
                direction[i],
                None if np.isnan(bearing[i]) else float(bearing[i]),
                labels[int(bands[i])],
            )
        )
    return out


def _text(value: Any) -> str | None:
    v = _plain(value)
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _plain(value: Any) -> Any:
    """Return a JSON-ready version of an attribute value (None for missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _record(layer: Layer, index: int, row: pd.Series, distance, direction, bearing, band):
    m = layer.mapping
    start = parse_date(row[m["start"]]) if "start" in m else ParsedDate(None, None)
    end = parse_date(row[m["end"]]) if "end" in m else ParsedDate(None, None)
    flags = []
    if start.flag:
        flags.append(f"start date {start.flag}")
    if end.flag:
        flags.append(f"end date {end.flag}")
    if start.value and end.value and end.value < start.value[: len(end.value)]:
        flags.append(f"end date {end.raw!r} is before start date {start.raw!r}")
    epoch: int | str | None = None
    if "epoch" in m:
        parsed = parse_date(row[m["epoch"]])
        epoch = parsed.year if parsed.value else parsed.raw
        if parsed.flag:
            flags.append(f"epoch {parsed.flag}")
    category = _text(row[m["category"]]) if "category" in m else None
    if category is None:
        category = KIND_CATEGORIES.get(layer.kind)
        if layer.kind == "epochs":
            category = NO_CLASS
    if layer.schema == EA_SCHEMA:
        details = _ea_details(row)
    else:
        used = set(m.values())
        if layer.schema == BROWNFIELD_SCHEMA:
            # the coordinates are the geometry; repeating them adds nothing
            used |= {c for c in row.index if str(c).lower() in BROWNFIELD_COORD_FIELDS}
        details = {}
        for col, value in row.items():
            v = _plain(value)
            if col not in used and v is not None and v != "":
                details[str(col)] = v
    return LandUseRecord(
        layer=layer.name,
        kind=layer.kind,
        feature_index=index,
        reference=_text(row[m["reference"]]) if "reference" in m else None,
        name=_text(row[m["name"]]) if "name" in m else None,
        category=category,
        distance_m=distance,
        direction=direction,
        bearing_deg=bearing,
        band=band,
        start=start.value,
        end=end.value,
        start_raw=start.raw,
        end_raw=end.raw,
        date_flag="; ".join(flags) or None,
        epoch=epoch,
        details=details,
    )


def _ea_details(row: pd.Series) -> dict:
    """Waste types from the Yes/blank flags, controls, licence holder and dates."""
    lower = {str(c).lower(): c for c in row.index}

    def get(name):
        return row[lower[name]] if name in lower else None

    details: dict[str, Any] = {
        "waste_types": [label for f, label in EA_WASTE_FLAGS.items() if _flag_set(get(f))],
        "gas_control": "yes" if _flag_set(get("gascontrol")) else "not recorded",
        "leachate_control": "yes" if _flag_set(get("leachatcnt")) else "not recorded",
        "licence": [label for f, label in EA_LICENCE_FLAGS.items() if _flag_set(get(f))],
    }
    for f, key in EA_TEXT_DETAILS.items():
        if (v := _text(get(f))) is not None:
            details[key] = v
    for f, key in EA_DATE_DETAILS.items():
        parsed = parse_date(get(f))
        if parsed.raw is not None:
            details[key] = parsed.value or parsed.raw
    return details


def landuse_timeline(area: shapely.Geometry, epoch_layer: Layer) -> tuple[TimelineEntry, ...]:
    """Land-use classes covering the area at each map epoch, with their share of it.

    Parameters
    ----------
    area
        The site in EPSG:27700.
    epoch_layer
        A layer with an ``epoch`` field in its mapping (kind ``epochs``); its
        ``category`` field gives the class. Only polygons cover area.

    Returns
    -------
    tuple of TimelineEntry
        One per epoch in the layer, oldest first (epochs that are not years last).
        Class shares plus the unmapped share make 100 % unless polygons overlap.
        Empty when the area has no area (a point or a line).

    Raises
    ------
    InputError
        If the layer has no epoch field.

    Examples
    --------
    >>> [(t.epoch, t.classes[0].category) for t in landuse_timeline(area, epochs)]  # doctest: +SKIP
    [(1895, 'fields'), (1920, 'fields'), (1938, 'residential')]
    """
    area = _check_area(area)
    m = epoch_layer.mapping
    if "epoch" not in m:
        raise InputError(
            f"layer {epoch_layer.name!r} has no epoch field; add it again with --epoch-field"
        )
    site_m2 = float(area.area)
    if site_m2 <= 0:
        return ()
    gdf = epoch_layer.gdf
    epoch_values = gdf[m["epoch"]]
    keys = {}
    for v in pd.unique(epoch_values.dropna().astype(object)):
        p = parse_date(v)
        keys[v] = p.year if p.value else p.raw
    epoch_keys = epoch_values.map(keys).astype(object).to_numpy()
    idx = np.sort(np.asarray(gdf.sindex.query(area, predicate="intersects"), dtype=int))
    geoms = gdf.geometry.to_numpy()[idx]
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    idx, geoms = idx[polygonal], geoms[polygonal]
    parts = shapely.intersection(geoms, area)
    cats = (
        gdf[m["category"]].to_numpy()[idx]
        if "category" in m
        else np.full(len(idx), None, dtype=object)
    )
    epochs_of = epoch_keys[idx]
    by_epoch: dict[Any, dict[str, list]] = {}
    for epoch, cat, part in zip(epochs_of, cats, parts, strict=True):
        if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
            continue
        label = _text(cat) or NO_CLASS
        by_epoch.setdefault(epoch, {}).setdefault(label, []).append(part)
    all_epochs = {k for k in keys.values() if k is not None}
    ordered = sorted(
        all_epochs, key=lambda e: (isinstance(e, str), e if isinstance(e, int) else 0, str(e))
    )
    out = []
    for epoch in ordered:
        classes = []
        covered = []
        for label, pieces in by_epoch.get(epoch, {}).items():
            merged = shapely.union_all(pieces)
            a = float(shapely.area(merged))
            covered.append(merged)
            if a > 0:
                classes.append(ClassShare(label, a, 100.0 * a / site_m2))
        covered_m2 = float(shapely.area(shapely.union_all(covered))) if covered else 0.0
        classes.sort(key=lambda c: (-c.area_m2, c.category))
        flag = None
        if isinstance(epoch, str):
            flag = f"epoch {epoch!r} is not a year; kept as written"
        out.append(
            TimelineEntry(
                layer=epoch_layer.name,
                epoch=epoch,
                classes=tuple(classes),
                unmapped_pct=max(0.0, 100.0 * (site_m2 - covered_m2) / site_m2),
                area_m2=site_m2,
                epoch_flag=flag,
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- verdicts


def _fmt_distance(d: float) -> str:
    return "less than 1 m" if d < 0.5 else f"{d:.0f} m"


def _fmt_pct(p: float) -> str:
    return "<1%" if 0 < p < 0.5 else f"{p:.0f}%"


def _date_text(value: str | None, raw: str | None) -> str | None:
    if value:
        return value[:4]
    if raw:
        return repr(raw.strip())
    return None


def date_range_text(record: LandUseRecord) -> str | None:
    """Return the record's dates for a sentence: ``1931-1948``, ``from 1931``, ``until 1948``."""
    s = _date_text(record.start, record.start_raw)
    e = _date_text(record.end, record.end_raw)
    if s and e:
        if record.start and record.end:
            return s if s == e else f"{s}-{e}"
        return f"from {s} to {e}"
    if s:
        return f"from {s}"
    if e:
        return f"until {e}"
    return None


def describe_record(record: LandUseRecord) -> str:
    """Return name and dates for a sentence, e.g. ``Clay Pit, waste accepted 1931-1948``."""
    category = record.category if record.category != NO_CLASS else None
    if record.epoch is not None:
        label = record.name or record.reference
        if label and category:
            label = f"{label} ({category})"
        return f"{label or category or 'unnamed'}, on the {record.epoch} map"
    label = record.name or record.reference or category or "unnamed"
    dates = date_range_text(record)
    if dates is None:
        return label
    if record.kind == "landfill":
        return f"{label}, waste accepted {dates}"
    if record.kind == "brownfield":
        return f"{label}, on the register {dates if not dates[0].isdigit() else 'from ' + dates}"
    return f"{label}, {dates if not dates[0].isdigit() else 'dated ' + dates}"


def _where(record: LandUseRecord) -> str:
    if record.on_site:
        return "on the site"
    if record.direction is None:
        return f"{_fmt_distance(record.distance_m)} away"
    return f"{_fmt_distance(record.distance_m)} to the {DIRECTION_WORDS[record.direction]}"


def _verdict(layer: Layer, found, entries, edges, labels) -> LayerVerdict:
    search = edges[-1]
    within = "on the site" if search == 0 else f"within {_fmt_m(search)} m"
    nouns = KIND_NOUNS.get(layer.kind)
    if nouns is None:
        one, many, what = (
            f"record in layer '{layer.name}'",
            f"records in layer '{layer.name}'",
            None,
        )
    else:
        one, many, what = nouns
    n = len(found)
    on_site = sum(r.on_site for r in found)
    if n == 0:
        text = f"No records of {what} {within}." if what else f"No {many} {within}."
    elif n == 1:
        r = found[0]
        text = f"1 {one} {_where(r)} ({describe_record(r)})."
    elif on_site == n:
        text = f"{n} {many} on the site, including {describe_record(found[0])}."
    elif on_site:
        including = "" if on_site == 1 else "including "
        text = (
            f"{n} {many} {within}, {on_site} of them on the site "
            f"({including}{describe_record(found[0])})."
        )
    else:
        r = found[0]
        text = f"{n} {many} {within}; the nearest is {_where(r)} ({describe_record(r)})."
    if entries:
        # for epoch layers the timeline says what was on the site; add what was around it
        off_site = [r for r in found if not r.on_site]
        text = _timeline_sentence(entries)
        if off_site:
            r = off_site[0]
            text += (
                f" Around it, {len(off_site)} mapped feature{'s' if len(off_site) > 1 else ''}"
                f" {within}; the nearest is {_where(r)} ({describe_record(r)})."
            )
    counts = tuple((label, sum(r.band == label for r in found)) for label in labels)
    return LayerVerdict(
        layer=layer.name,
        kind=layer.kind,
        count=n,
        on_site=on_site,
        nearest_m=found[0].distance_m if found else None,
        search_m=search,
        counts_by_band=counts,
        text=text,
    )


def _timeline_sentence(entries: Sequence[TimelineEntry]) -> str:
    parts = []
    for t in entries:
        shares = [(c.category, c.share_pct) for c in t.classes]
        if t.unmapped_pct >= 0.5:
            shares.append((NOT_MAPPED, t.unmapped_pct))
        if len(shares) == 1:
            parts.append(f"{t.epoch} {shares[0][0]}")
        else:
            parts.append(f"{t.epoch} " + ", ".join(f"{c} ({_fmt_pct(p)})" for c, p in shares))
    return "Land use on the site by map epoch: " + "; ".join(parts) + "."
