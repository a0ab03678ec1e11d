"""Hypothesis strategies for values, weights, groups and zones, shared by the tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

#: Bounds of generated concentrations (µg/m³): realistic and free of overflow.
MIN_VALUE = 0.0
MAX_VALUE = 500.0
MAX_CELLS = 200
MAX_GROUPS = 6

values = st.integers(1, MAX_CELLS).flatmap(
    lambda n: arrays(np.float64, n, elements=st.floats(MIN_VALUE, MAX_VALUE,
                                                       allow_nan=False, width=32)))


@st.composite
def grouped_values(draw, with_nodata=False):
    """Values, a group label for each, and the number of groups."""
    v = draw(values)
    n_groups = draw(st.integers(1, MAX_GROUPS))
    g = draw(arrays(np.int64, len(v), elements=st.integers(0, n_groups - 1)))
    if with_nodata:
        mask = draw(arrays(np.bool_, len(v)))
        v = np.where(mask, np.nan, v)
    return v, g, n_groups


@st.composite
def rectangles(draw, width_cells=12, height_cells=10, cellsize=20.0):
    """An axis-aligned rectangle somewhere over a small grid (in grid units)."""
    x0 = draw(st.floats(-20, width_cells * cellsize))
    y0 = draw(st.floats(-20, height_cells * cellsize))
    w = draw(st.floats(1, 120))
    h = draw(st.floats(1, 120))
    return x0, y0, x0 + w, y0 + h
