"""Brownfield land registers (the 2017 data standard): GeoX/GeoY in the CRS each row names."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from airq.errors import CRSError
from airq.read.layers.crs import BNG, check_crs

# Brownfield land registers (the MHCLG data standard).
BROWNFIELD_SCHEMA = "brownfield-register"


BROWNFIELD_REQUIRED = ("sitereference", "geox", "geoy")


BROWNFIELD_CRS_FIELD = "coordinatereferencesystem"


BROWNFIELD_COORD_FIELDS = ("geox", "geoy", BROWNFIELD_CRS_FIELD)


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


def brownfield_points(path: Path, df: pd.DataFrame, lower: dict, crs: str | None):
    """Points from GeoX/GeoY; rows may declare different CRSs (OSGB36 or ETRS89)."""
    import geopandas as gpd

    x = pd.to_numeric(df[lower["geox"]].str.replace(",", ""), errors="coerce")
    y = pd.to_numeric(df[lower["geoy"]].str.replace(",", ""), errors="coerce")
    if BROWNFIELD_CRS_FIELD in lower:
        declared = df[lower[BROWNFIELD_CRS_FIELD]].map(_brownfield_crs)
    else:
        declared = pd.Series([None] * len(df), index=df.index, dtype=object)
    if crs is not None:
        declared = declared.where(declared.notna(), check_crs(crs, path).to_string())
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
