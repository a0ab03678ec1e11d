"""Search bands (distances from the site boundary) and compass directions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

from airq.errors import InputError

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


def fmt_m(x: float) -> str:
    """Format metres without trailing zeros (``50``, ``12.5``)."""
    return f"{x:g}"


def band_labels(bands_m: Sequence[float]) -> tuple[str, ...]:
    """Labels for the bands: ``on site`` then ``a-b m`` for each pair of edges."""
    edges = check_bands(bands_m)
    return ("on site",) + tuple(
        f"{fmt_m(a)}-{fmt_m(b)} m" for a, b in zip(edges, edges[1:], strict=False)
    )


def band_index(distance_m: float, bands_m: Sequence[float]) -> int | None:
    """Index of the band a distance falls in (0 = on site), or None beyond the last.

    Upper edges are inclusive: with bands (0, 50, 250), 50 m is in ``0-50 m``.
    """
    edges = check_bands(bands_m)
    if distance_m < 0 or distance_m > edges[-1]:
        return None
    return int(np.searchsorted(np.asarray(edges), distance_m, side="left"))


def directions_from(origin: shapely.Point, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
