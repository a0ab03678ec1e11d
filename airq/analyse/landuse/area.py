"""The site as one area in EPSG:27700: the union of the boundaries, checked."""

from __future__ import annotations

import shapely

from airq.errors import CRSError, InputError
from airq.read.layers.crs import BNG


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


def check_area(area) -> shapely.Geometry:
    """Check that ``area`` is a non-empty geometry in metres (EPSG:27700); repair it if invalid."""
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
