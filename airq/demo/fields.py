"""The synthetic concentration fields: a smooth background plus road increments."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from airq.demo.layout import (
    _EAST,
    _NCOLS,
    _NORTH,
    _NROWS,
    _SEED,
    _SOUTH,
    _WEST,
    DEMO_CELL_SIZE_M,
    DEMO_NODATA,
    DEMO_POLLUTANTS,
    DEMO_YEARS,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Road:
    """A synthetic road centre line and its 2020 kerbside increments (µg/m³)."""

    name: str
    coords: tuple[tuple[float, float], ...]
    half_width_m: float
    kerb_no2: float
    kerb_pm10: float
    kerb_pm25: float


# Fictional roads loosely shaped like Chadwell Heath's: an east-west arterial like the
# A12 Eastern Avenue in the north, a high road like the A118 in the south, two minor
# north-south roads, and Heath Lane, a bus route that the demo street opens onto. Lines
# run past the grid edge so that no road ends inside it. PM increments are larger
# relative to NO2 on the high road and Heath Lane than on the arterial because
# stop-start traffic adds brake, tyre and resuspended dust, which exhaust standards do
# not reduce.
_ROADS = (
    _Road("Eastern Avenue (arterial)", ((545900, 189295), (547800, 189380), (550100, 189526)),
          12.0, 31.0, 4.5, 1.8),
    _Road("High Road", ((545900, 187114), (547600, 187200), (550100, 187335)),
          7.0, 19.0, 3.6, 1.4),
    _Road("Rose Lane", ((547945, 185900), (547980, 187200), (548050, 189380), (548103, 190100)),
          4.0, 7.0, 1.2, 0.45),
    _Road("Marsh Lane", ((546505, 187114), (546450, 189300)), 4.0, 5.0, 0.9, 0.35),
    _Road("Heath Lane", ((546505, 187310), (547985, 187380)), 4.0, 15.0, 3.8, 1.7),
)  # fmt: skip


# Railway: not an emission source here, only a land-use feature.
_RAILWAY = ((545900, 186596), (550100, 186764))

# Share and e-folding lengths (m) of the near-road and far-field parts of the decay:
# NO2 and primary PM fall steeply within ~50 m of a kerb, then a long tail remains.
_NEAR_SHARE, _NEAR_DECAY_M, _FAR_DECAY_M = 0.55, 30.0, 180.0


def _cell_centres() -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (x, y) of the demo grid as 2-D arrays, north row first."""
    half = DEMO_CELL_SIZE_M / 2
    xs = _WEST + half + DEMO_CELL_SIZE_M * np.arange(_NCOLS)
    ys = _NORTH - half - DEMO_CELL_SIZE_M * np.arange(_NROWS)
    return np.meshgrid(xs, ys)


def _smooth_noise(rng: np.random.Generator, width: int = 5) -> np.ndarray:
    """Spatially smooth noise of unit standard deviation on the grid.

    White noise averaged over a ``width`` x ``width`` window: real model output varies
    smoothly between neighbouring 20 m cells, so independent cell noise would look
    wrong on a map.
    """
    pad = width - 1
    white = rng.standard_normal((_NROWS + pad, _NCOLS + pad))
    smooth = np.zeros((_NROWS, _NCOLS))
    for i in range(width):
        for j in range(width):
            smooth += white[i : i + _NROWS, j : j + _NCOLS]
    return smooth / smooth.std()


def _nodata_mask() -> np.ndarray:
    """Cells written as NODATA: a small block in the north-east corner.

    It imitates cells a model leaves unfilled and lets the demo show NODATA handling;
    it lies far from every demo street, so no street loses grid points.
    """
    mask = np.zeros((_NROWS, _NCOLS), dtype=bool)
    mask[:6, -12:] = True
    return mask


def _concentration_fields() -> dict[tuple[int, str], np.ndarray]:
    """Compute every demo grid as float32, rounded to 3 decimals, NODATA applied.

    Returns
    -------
    dict
        ``{(year, pollutant): array}`` with arrays of shape (rows, cols), north row first.
    """
    import shapely

    x, y = _cell_centres()
    points = shapely.points(x.ravel(), y.ravel())
    inc = {p: np.zeros(x.shape) for p in ("NO2", "PM10", "PM25")}
    for road in _ROADS:
        dist = shapely.distance(shapely.LineString(road.coords), points).reshape(x.shape)
        beyond_kerb = np.maximum(dist - road.half_width_m, 0.0)
        near = np.exp(-beyond_kerb / _NEAR_DECAY_M)
        far = np.exp(-beyond_kerb / _FAR_DECAY_M)
        decay = _NEAR_SHARE * near + (1 - _NEAR_SHARE) * far
        inc["NO2"] += road.kerb_no2 * decay
        inc["PM10"] += road.kerb_pm10 * decay
        inc["PM25"] += road.kerb_pm25 * decay

    # Backgrounds rise gently towards central London (west) and, for NO2, to the south.
    west = (_EAST - x) / (_EAST - _WEST)
    north = (y - _SOUTH) / (_NORTH - _SOUTH)
    rng = np.random.default_rng(_SEED)
    fields_2020 = {
        "NO2": 21.4 + 0.8 * west - 0.6 * north + inc["NO2"] + 0.8 * _smooth_noise(rng),
        "PM10": 20.8 + 0.9 * west + 0.2 * north + inc["PM10"] + 0.3 * _smooth_noise(rng),
        "PM25": 13.1 + 0.5 * west + inc["PM25"] + 0.12 * _smooth_noise(rng),
    }
    # Days above 50 µg/m³ grow roughly exponentially with the annual mean: about 7 days
    # at an annual mean of 21.5 µg/m³, about 30 at 26 (the arterial's kerb).
    fields_2020["PM10d"] = np.minimum(7.0 * np.exp((fields_2020["PM10"] - 21.5) / 3.1), 365.0)
    # The 2013 base year was dirtier: NO2 about 25% higher, PM about 10% and more
    # exceedance days.
    scale_2013 = {"NO2": 1.25, "PM10": 1.10, "PM25": 1.10, "PM10d": 1.45}

    mask = _nodata_mask()
    out: dict[tuple[int, str], np.ndarray] = {}
    for year in DEMO_YEARS:
        for pollutant in DEMO_POLLUTANTS:
            values = fields_2020[pollutant] * (scale_2013[pollutant] if year == 2013 else 1.0)
            # Round before the float32 cast so the file text does not depend on how the
            # driver rounds a value lying at a half-thousandth.
            arr = np.round(values, 3).astype(np.float32)
            arr[mask] = np.float32(DEMO_NODATA)
            out[(year, pollutant)] = arr
    return out
