"""CSV land-use layers: a brownfield register, or a table with a WKT or x/y column pair."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from airq.errors import InputError
from airq.read.layers.brownfield import brownfield_schema, read_brownfield


def first_line(err: BaseException) -> str:
    """Return the first line of an error's message (GDAL messages run long)."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def read_csv_layer(path: Path, crs: str | None):
    """Read a CSV: a brownfield register (any published layout) or a table with WKT or x/y."""
    import geopandas as gpd

    df = None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as err:
            raise InputError(f"cannot read {path} as CSV ({first_line(err)})") from err
    if df is None:  # pragma: no cover - latin-1 decodes any bytes
        raise InputError(f"cannot decode {path}")
    if df.empty:
        raise InputError(f"{path} has no features (no data rows)")
    lower = {c.lower().strip(): c for c in df.columns}
    schema = brownfield_schema(df.columns)
    if schema is not None:
        return read_brownfield(path, df, lower, crs, schema)
    for wkt in ("wkt", "geometry", "geom", "the_geom"):
        if wkt in lower:
            col = lower[wkt]
            try:
                # Blank cells are no geometry. Built as Python objects: under pandas 3 a
                # string column's missing values are NaN, which shapely refuses.
                texts = np.array([t if isinstance(t, str) and t.strip() else None
                                  for t in df[col]], dtype=object)
                geoms = shapely.from_wkt(texts, on_invalid="raise")
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
