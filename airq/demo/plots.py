"""The fictional streets and their residential plots (8-15 m frontage, 20-40 m deep)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from airq.demo.layout import _SEED, DEMO_STREET

if TYPE_CHECKING:  # geopandas and shapely load lazily so that importing airq.demo is cheap
    import geopandas as gpd
    from shapely import Polygon

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Street:
    name: str
    code: str
    start: tuple[float, float]
    end: tuple[float, float]
    postcode: str


# Fictional streets. Woodlands Avenue runs 300 m north from Heath Lane, its south end
# about 175 m from the high road, so that its statistics resemble the published case's
# street. Hawthorn Close backs onto the arterial, so the demo has plots near an objective;
# Brookfield Gardens sits on a former gas works and Station Parade is Victorian, so
# land-use screening has something to find. Postcodes all end in ZZ so that none can be
# mistaken for a real delivery address in RM6.
_STREETS = (
    _Street(DEMO_STREET, "WA", (547380.0, 187365.0), (547395.0, 187665.0), "RM6 6ZZ"),
    _Street("Elmwood Road", "ER", (546640.0, 188350.0), (546940.0, 188380.0), "RM6 4ZZ"),
    _Street("Station Parade", "SP", (548600.0, 186870.0), (548860.0, 186885.0), "RM6 1ZZ"),
    _Street("Hawthorn Close", "HC", (548600.0, 189361.0), (548880.0, 189379.0), "RM6 5ZZ"),
    _Street("Brookfield Gardens", "BG", (549205.0, 187900.0), (549195.0, 188150.0), "RM6 3ZZ"),
    _Street("Orchard Way", "OW", (547600.0, 188650.0), (547830.0, 188800.0), "RM6 7ZZ"),
)  # fmt: skip


_FRONT_OFFSET_M = 6.0  # street centre line to plot front: half carriageway plus pavement


_PLOT_WIDTH_M = (8.0, 15.0)


_PLOT_DEPTH_M = (20.0, 40.0)


_FIRST_UPRN = 900000000001  # outside the range of real UPRNs issued in London


def demo_street_names() -> tuple[str, ...]:
    """Return the names of the fictional demo streets, the demo street first.

    Returns
    -------
    tuple of str
        Street names as written in the ``street`` field of the demo plots.

    Examples
    --------
    >>> demo_street_names()[0]
    'Woodlands Avenue'
    """
    return tuple(s.name for s in _STREETS)


def _street_plots(street: _Street, rng: np.random.Generator) -> list[dict]:
    """Lay out plots on both sides of one street as rectangles aligned with it."""
    from shapely import Polygon

    start, end = np.asarray(street.start), np.asarray(street.end)
    length = float(np.hypot(*(end - start)))
    along = (end - start) / length
    left = np.array([-along[1], along[0]])
    plots = []
    for side, first_number in ((1.0, 1), (-1.0, 2)):  # odd numbers left, even right
        pos, number = 0.0, first_number
        depth_base = rng.uniform(24.0, 34.0)  # one street side shares a building line
        while True:
            width = round(float(rng.uniform(*_PLOT_WIDTH_M)), 1)
            if pos + width > length:
                break
            depth = float(np.clip(depth_base + rng.uniform(-4.0, 6.0), *_PLOT_DEPTH_M))
            depth = round(depth, 1)
            near, far = _FRONT_OFFSET_M, _FRONT_OFFSET_M + depth
            corners = [
                start + along * a + left * side * b
                for a, b in ((pos, near), (pos + width, near), (pos + width, far), (pos, far))
            ]
            # Corners are left unrounded: rounding each plot on its own would open slivers
            # and overlaps between neighbours whose shared side is not axis-aligned.
            ring = [(float(cx), float(cy)) for cx, cy in corners]
            plots.append({"street": street.name, "house_number": number, "geometry": Polygon(ring)})
            pos += width
            number += 2
    plots.sort(key=lambda p: p["house_number"])
    for i, plot in enumerate(plots, start=1):
        plot["plot_id"] = f"{street.code}-{i:03d}"
        plot["postcode"] = street.postcode
    return plots


def _plots_frame() -> gpd.GeoDataFrame:
    """All demo plots as a GeoDataFrame in EPSG:27700."""
    import geopandas as gpd

    rows: list[dict] = []
    for index, street in enumerate(_STREETS):
        # One generator per street, so editing one street leaves the others unchanged.
        rows += _street_plots(street, np.random.default_rng(_SEED + index))
    for i, row in enumerate(rows):
        row["uprn"] = _FIRST_UPRN + i
    columns = ["plot_id", "street", "house_number", "postcode", "uprn", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:27700")


def _box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    from shapely import box

    return box(x0, y0, x1, y1)
