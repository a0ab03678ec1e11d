"""The CRS every land-use layer is held in, and checks of CRSs given for layers."""

from __future__ import annotations

from typing import Any

from airq.errors import CRSError

#: The CRS every layer is held in, and the CRS areas must be given in.
BNG = "EPSG:27700"


def check_crs(crs: Any, source: Any):
    """Return ``crs`` as a pyproj CRS, or raise a CRSError naming ``source``."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        return CRS.from_user_input(crs)
    except ProjCRSError as err:
        raise CRSError(
            f"--crs {crs!r} for {source} is not a CRS pyproj knows; try EPSG:27700"
        ) from err


def crs_label(crs) -> str:
    """Return ``AUTHORITY:CODE`` for a CRS, or its name when it has no code."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


#: Degrees a layer may reach beyond its CRS's area of use (coastal and offshore features).
AREA_OF_USE_MARGIN_DEG = 1.0


def check_area_of_use(gdf, source: Any, *, crs_given: bool = False,
                      geojson_lonlat: bool = False) -> None:
    """Refuse a layer whose coordinates cannot be in its CRS (before it is reprojected).

    British National Grid numbers labelled EPSG:4326, or longitudes and latitudes
    labelled EPSG:27700, would otherwise be reprojected into nonsense (infinite or
    far-away coordinates) and fail, or mislead, every later screening.

    Parameters
    ----------
    gdf
        The features, with their declared (or given) CRS.
    source
        The file, for messages.
    crs_given
        Whether the CRS came from ``--crs`` rather than the file (for the advice).
    geojson_lonlat
        Whether the file is a GeoJSON without a ``crs`` member (longitude/latitude by
        RFC 7946 unless ``--crs`` says otherwise), for the advice.

    Raises
    ------
    CRSError
        If coordinates are not finite, lie outside the CRS's area of use (pyproj's
        ``area_of_use``, widened by :data:`AREA_OF_USE_MARGIN_DEG`), or look like
        degrees in a projected CRS.
    """
    import numpy as np
    from pyproj import Transformer

    crs = gdf.crs
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if geoms.empty:
        return
    xmin, ymin, xmax, ymax = (float(v) for v in geoms.total_bounds)
    label = crs_label(crs)
    labelled = "given --crs" if crs_given else "labelled"
    seen = f"x {xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to {ymax:.6g}"
    if crs_given:
        fix = "pass --crs with the CRS the coordinates were drawn in"
    elif geojson_lonlat:
        fix = ("a GeoJSON file without a 'crs' member is longitude/latitude by its "
               "specification (RFC 7946); if it holds other coordinates, pass --crs with the "
               "CRS they were drawn in")
    else:
        fix = ("correct the CRS the file declares, or remove it and pass --crs with the CRS "
               "the coordinates were drawn in")
    fix += \
        " (EPSG:27700 for British National Grid metres, EPSG:4326 for longitude/latitude)"
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        raise CRSError(f"{source} has coordinates that are not finite numbers ({seen}); {fix}")
    if crs.is_projected and max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90:
        raise CRSError(f"{source} is {labelled} {label} (metres) but its coordinates ({seen}) "
                       f"look like longitude/latitude in degrees; {fix}")
    aou = crs.area_of_use
    if aou is None:
        return
    if crs.is_geographic:
        lon = (xmin, xmax)
        lat = (ymin, ymax)
    else:
        with np.errstate(all="ignore"):
            to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            west, south, east, north = to_lonlat.transform_bounds(xmin, ymin, xmax, ymax)
        lon, lat = (west, east), (south, north)
    m = AREA_OF_USE_MARGIN_DEG
    inside_lat = np.isfinite(lat).all() and aou.south - m <= lat[0] and lat[1] <= aou.north + m
    inside_lon = np.isfinite(lon).all() and (
        aou.west > aou.east  # crosses the antimeridian: longitudes are not checked
        or (aou.west - m <= lon[0] and lon[1] <= aou.east + m))
    if not (inside_lat and inside_lon):
        area = aou.name.rstrip(".")
        raise CRSError(
            f"{source} is {labelled} {label}, but its coordinates ({seen}) lie outside the "
            f"area where {label} is used ({area}: longitude {aou.west:g} to {aou.east:g}, "
            f"latitude {aou.south:g} to {aou.north:g}); {fix}"
        )
