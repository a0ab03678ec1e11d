"""Brownfield land registers in the three published layouts, read into points or polygons.

1. The 2017 data standard (``brownfield-register``): ``SiteReference``, ``GeoX``,
   ``GeoY`` in the CRS each row names in ``CoordinateReferenceSystem`` (OSGB36
   eastings/northings, or WGS84 / ETRS89 longitude and latitude).
2. Current government guidance (``brownfield-register-lonlat``): the same columns with
   ``Longitude``/``Latitude`` (WGS84) in place of GeoX/GeoY.
3. The national dataset ``brownfield-land.csv`` from the planning data platform
   (``brownfield-land``): kebab-case columns, ``point`` as WKT ``POINT(lon lat)`` in
   WGS84 and an often-empty ``geometry`` (WKT, WGS84) holding the site boundary, used
   when present.

Rows without a usable location (no coordinates, text that is not a number or WKT, an
unknown CRS name, a position outside Great Britain, longitude and latitude swapped)
are left out, counted and reported in one warning naming the rows; never guessed.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from airq.errors import CRSError, InputError
from airq.read.layers.crs import BNG, check_crs

#: The 2017 data standard: GeoX/GeoY in the CRS each row names.
BROWNFIELD_SCHEMA = "brownfield-register"
#: Current guidance: Longitude/Latitude (WGS84) in place of GeoX/GeoY.
BROWNFIELD_LONLAT_SCHEMA = "brownfield-register-lonlat"
#: The national dataset from the planning data platform (``brownfield-land.csv``).
BROWNFIELD_NATIONAL_SCHEMA = "brownfield-land"
#: Every brownfield layout, in the order they are recognised.
BROWNFIELD_SCHEMAS = (BROWNFIELD_SCHEMA, BROWNFIELD_LONLAT_SCHEMA, BROWNFIELD_NATIONAL_SCHEMA)

BROWNFIELD_REQUIRED = ("sitereference", "geox", "geoy")
BROWNFIELD_CRS_FIELD = "coordinatereferencesystem"
BROWNFIELD_COORD_FIELDS = ("geox", "geoy", BROWNFIELD_CRS_FIELD)
_LONLAT_REQUIRED = ("sitereference", "longitude", "latitude")
_NATIONAL_REQUIRED = ("reference", "point")
_NATIONAL_ANY = ("site-address", "organisation-entity", "dataset", "hectares")

# Fields each layout's records do not repeat in their notes: coordinates (they are the
# geometry) and, in the national dataset, the platform's bookkeeping.
_HIDDEN = {
    BROWNFIELD_SCHEMA: set(BROWNFIELD_COORD_FIELDS),
    BROWNFIELD_LONLAT_SCHEMA: {"longitude", "latitude", BROWNFIELD_CRS_FIELD},
    BROWNFIELD_NATIONAL_SCHEMA: {"point", "geometry", "geojson", "dataset", "entity",
                                 "entry-date", "prefix", "organisation-entity", "typology"},
}
# Field mapping (what each field means) per layout: key -> candidate fields, first found.
_MAPPING = {
    BROWNFIELD_SCHEMA: {"name": ("sitenameaddress",), "reference": ("sitereference",),
                        "start": ("firstaddeddate",), "end": ("enddate",)},
    BROWNFIELD_LONLAT_SCHEMA: {"name": ("sitenameaddress",), "reference": ("sitereference",),
                               "start": ("firstaddeddate",), "end": ("enddate",)},
    BROWNFIELD_NATIONAL_SCHEMA: {"name": ("name", "site-address"), "reference": ("reference",),
                                 "start": ("start-date", "entry-date"), "end": ("end-date",)},
}

WGS84 = "EPSG:4326"
# Generous bounds of Great Britain: a position outside them is not a usable location.
_LON_RANGE, _LAT_RANGE = (-9.0, 3.0), (49.0, 61.5)
_EASTING_RANGE, _NORTHING_RANGE = (0.0, 700_000.0), (0.0, 1_300_000.0)
_SHOW_ROWS = 10


def brownfield_schema(columns) -> str | None:
    """Name the brownfield layout a table's columns follow, or None.

    Parameters
    ----------
    columns
        Column names (matched case-insensitively, surrounding spaces ignored).

    Examples
    --------
    >>> brownfield_schema(["SiteReference", "GeoX", "GeoY"])
    'brownfield-register'
    >>> brownfield_schema(["reference", "point", "site-address", "geometry"])
    'brownfield-land'
    """
    lower = {str(c).strip().lower() for c in columns}
    if all(f in lower for f in BROWNFIELD_REQUIRED):
        return BROWNFIELD_SCHEMA
    if all(f in lower for f in _LONLAT_REQUIRED):
        return BROWNFIELD_LONLAT_SCHEMA
    if all(f in lower for f in _NATIONAL_REQUIRED) and any(f in lower for f in _NATIONAL_ANY):
        return BROWNFIELD_NATIONAL_SCHEMA
    return None


def brownfield_mapping(schema: str, lower: dict[str, str], frame=None) -> dict[str, str]:
    """Return the field mapping (name, reference, start, end) of a brownfield layout.

    ``lower`` maps lower-case column names to the names as written. A candidate
    column that exists but is empty in every row (``name`` in many national files)
    gives way to the next one (``site-address``).
    """
    out = {}
    for key, candidates in _MAPPING.get(schema, {}).items():
        present = [lower[c] for c in candidates if c in lower]
        if frame is not None:
            filled = [c for c in present if c in frame and _has_values(frame[c])]
            present = filled or present
        if present:
            out[key] = present[0]
    return out


def _has_values(series) -> bool:
    text = series.astype("string").fillna("").str.strip()
    return bool((text != "").any())


def hidden_fields(schema: str | None) -> set[str]:
    """Lower-case fields of a brownfield layout that a record's notes leave out."""
    return _HIDDEN.get(schema or "", set())


def _brownfield_crs(text: str) -> str | None:
    """Return ``EPSG:n`` for a CoordinateReferenceSystem cell, None if blank.

    Raises
    ------
    CRSError
        If the text names no CRS airq knows (the caller reports the row).
    """
    t = re.sub(r"[^a-z0-9]", "", str(text).lower())
    if not t:
        return None
    if "osgb" in t or "27700" in t or "britishnationalgrid" in t or t in ("bng", "ngr"):
        return "EPSG:27700"
    if "etrs89" in t or "4258" in t:
        return "EPSG:4258"
    if "wgs84" in t or "wgs1984" in t or "4326" in t:
        return WGS84
    raise CRSError(f"unknown CoordinateReferenceSystem {text!r}")


def _number(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(text, errors="coerce")


def _check_position(x: np.ndarray, y: np.ndarray, crs: str, why: np.ndarray) -> None:
    """Fill ``why`` (one reason per row, '' where usable) for positions that cannot be right."""
    blank = np.isnan(x) | np.isnan(y)
    why[blank & (why == "")] = "no coordinates"
    ok = ~blank
    if crs == "EPSG:27700":
        inside = ((x >= _EASTING_RANGE[0]) & (x <= _EASTING_RANGE[1])
                  & (y >= _NORTHING_RANGE[0]) & (y <= _NORTHING_RANGE[1]))
        degrees = (np.abs(x) <= 180) & (np.abs(y) <= 90)
        why[ok & ~inside & (why == "")] = "eastings/northings outside Great Britain"
        why[ok & inside & degrees & (why == "")] = (
            "OSGB36 named but the coordinates look like degrees")
        return
    inside = ((x >= _LON_RANGE[0]) & (x <= _LON_RANGE[1])
              & (y >= _LAT_RANGE[0]) & (y <= _LAT_RANGE[1]))
    swapped = ((y >= _LON_RANGE[0]) & (y <= _LON_RANGE[1])
               & (x >= _LAT_RANGE[0]) & (x <= _LAT_RANGE[1]))
    why[ok & ~inside & swapped & (why == "")] = "longitude and latitude swapped"
    why[ok & ~inside & (why == "")] = "longitude/latitude outside Great Britain"


def _points(x: np.ndarray, y: np.ndarray, crs: np.ndarray):
    """Points in EPSG:27700 from x, y in each row's CRS (None where a CRS is missing)."""
    import geopandas as gpd

    geoms = np.full(len(x), None, dtype=object)
    for code in sorted({c for c in crs if c}):
        rows = crs == code
        pts = gpd.GeoSeries(gpd.points_from_xy(x[rows], y[rows]), crs=code).to_crs(BNG)
        geoms[rows] = pts.to_numpy()
    return geoms


def _geoms_from_text(series: pd.Series, kind: str, why: np.ndarray):
    """Shapely geometries from WKT or GeoJSON text (None where blank or unreadable)."""
    import shapely

    text = series.astype("string").fillna("").str.strip().to_numpy(dtype=object)
    out = np.full(len(text), None, dtype=object)
    for i, t in enumerate(text):
        if not t:
            continue
        try:
            out[i] = shapely.from_geojson(t) if kind == "geojson" else shapely.from_wkt(t)
        except shapely.errors.GEOSException:
            why[i] = why[i] or f"{kind} is not readable"
    return out


def _national(df: pd.DataFrame, lower: dict[str, str], why: np.ndarray):
    """Geometries of the national dataset: ``geometry`` (or ``geojson``), else ``point``."""
    import geopandas as gpd
    import shapely

    n = len(df)
    best = np.full(n, None, dtype=object)
    for col in ("geometry", "geojson", "point"):
        if col not in lower:
            continue
        scratch = np.full(n, "", dtype=object)
        geoms = _geoms_from_text(df[lower[col]], "geojson" if col == "geojson" else col, scratch)
        use = np.array([g is not None and not g.is_empty for g in geoms]) & (
            np.array([b is None for b in best]))
        best[use] = geoms[use]
        if col == "point":  # only the point's problems matter when nothing better exists
            unread = (scratch != "") & np.array([b is None for b in best])
            why[unread & (why == "")] = scratch[unread & (why == "")]
    has = np.array([g is not None for g in best])
    # Check every position in degrees before projecting: a swapped POINT(lat lon) or a
    # point given in metres is a wrong location, not a site abroad.
    bounds = shapely.bounds(best[has]) if has.any() else np.empty((0, 4))
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    x[has] = (bounds[:, 0] + bounds[:, 2]) / 2
    y[has] = (bounds[:, 1] + bounds[:, 3]) / 2
    _check_position(x, y, WGS84, why)
    keep = has & (why == "")
    out = np.full(n, None, dtype=object)
    if keep.any():
        out[keep] = gpd.GeoSeries(best[keep], crs=WGS84).to_crs(BNG).to_numpy()
    return out


def read_brownfield(path: Path, df: pd.DataFrame, lower: dict[str, str], crs: str | None,
                    schema: str):
    """Read a brownfield register table into a GeoDataFrame in EPSG:27700.

    Parameters
    ----------
    path
        The CSV (named in messages).
    df
        Its rows, every cell as text.
    lower
        Lower-case column name -> column name as written.
    crs
        ``--crs``: fills blank CoordinateReferenceSystem cells of the 2017 layout.
        The other layouts are WGS84 by definition; another CRS given is an error.
    schema
        One of :data:`BROWNFIELD_SCHEMAS`.

    Returns
    -------
    tuple
        (frame, None, extra provenance: ``source_crs``, ``dropped_features``).

    Raises
    ------
    CRSError
        No CRS at all for the 2017 layout and no ``--crs``; a ``--crs`` contradicting
        a WGS84 layout.
    InputError
        No row has a usable location.
    """
    import geopandas as gpd

    n = len(df)
    why = np.full(n, "", dtype=object)
    if schema == BROWNFIELD_SCHEMA:
        x = _number(df[lower["geox"]]).to_numpy(float, na_value=np.nan)
        y = _number(df[lower["geoy"]]).to_numpy(float, na_value=np.nan)
        declared = np.full(n, None, dtype=object)
        if BROWNFIELD_CRS_FIELD in lower:
            for i, text in enumerate(df[lower[BROWNFIELD_CRS_FIELD]].astype("string").fillna("")):
                try:
                    declared[i] = _brownfield_crs(text)
                except CRSError:
                    why[i] = f"unknown CoordinateReferenceSystem {text!r}"
        blank = np.array([d is None for d in declared]) & (why == "")
        if crs is not None:
            declared[blank] = check_crs(crs, path).to_string()
        elif blank.all():
            raise CRSError(f"{path}: no row names its CoordinateReferenceSystem; pass --crs "
                           "(OSGB36 is EPSG:27700, WGS84 is EPSG:4326, ETRS89 is EPSG:4258)")
        else:
            why[blank] = "no CoordinateReferenceSystem (pass --crs to give one)"
        for code in sorted({c for c in declared if c}):
            rows = (declared == code) & (why == "")
            sub = why[rows]
            _check_position(x[rows], y[rows], "EPSG:27700" if code == "EPSG:27700" else WGS84,
                            sub)
            why[rows] = sub
        use = why == ""
        geoms = np.full(n, None, dtype=object)
        if use.any():
            geoms[use] = _points(x[use], y[use], declared[use])
        source_crs = ", ".join(sorted({c for c in declared[use] if c})) or "none usable"
    else:
        if crs is not None and check_crs(crs, path) != check_crs(WGS84, path):
            raise CRSError(f"{path} gives WGS84 longitude/latitude by definition of its layout; "
                           f"drop --crs {crs}")
        if schema == BROWNFIELD_LONLAT_SCHEMA:
            x = _number(df[lower["longitude"]]).to_numpy(float, na_value=np.nan)
            y = _number(df[lower["latitude"]]).to_numpy(float, na_value=np.nan)
            _check_position(x, y, WGS84, why)
            use = why == ""
            geoms = np.full(n, None, dtype=object)
            if use.any():
                geoms[use] = _points(x[use], y[use], np.full(int(use.sum()), WGS84,
                                                             dtype=object))
        else:
            geoms = _national(df, lower, why)
        source_crs = WGS84
    bad = np.flatnonzero(why != "")
    if len(bad) == n:
        reasons = "; ".join(f"row {i + 2}: {why[i]}" for i in bad[:3])
        raise InputError(f"{path}: none of its {n} rows has a usable location ({reasons}); "
                         "check the coordinate columns")
    if len(bad):
        _warn_dropped(path, bad, why)
    keep = why == ""
    frame = df.loc[keep].drop(columns=[lower[c] for c in ("geometry", "geojson") if c in lower])
    frame = gpd.GeoDataFrame(frame, geometry=list(geoms[keep]), crs=BNG)
    return frame, None, {"source_crs": source_crs, "dropped_features": len(bad)}


def _warn_dropped(path: Path, bad: np.ndarray, why: np.ndarray) -> None:
    from airq.read.layers.core import LandUseWarning

    counts: dict[str, int] = {}
    for i in bad:
        counts[why[i]] = counts.get(why[i], 0) + 1
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    rows = ", ".join(str(i + 2) for i in bad[:_SHOW_ROWS]) + (" ..." if len(bad) > _SHOW_ROWS
                                                              else "")
    # Row numbers as a spreadsheet shows them: the header is row 1.
    warnings.warn(f"{path}: {len(bad)} row(s) without a usable location were left out "
                  f"({reasons}); row{'s' if len(bad) > 1 else ''} {rows}", LandUseWarning,
                  stacklevel=4)
