"""Grid cells: the lattice airq reads (north-up, square), and cells in messages."""

from __future__ import annotations

import numpy as np
from affine import Affine


def format_coord(v: float) -> str:
    """Format a coordinate to the millimetre, without trailing zeros (``547030``, ``547030.5``)."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def cell_centre_text(transform: Affine, row: int, col: int) -> str:
    """``x=547030, y=187290``: the centre of cell (row, col) under ``transform``."""
    x, y = transform * (col + 0.5, row + 0.5)
    return f"x={format_coord(x)}, y={format_coord(y)}"


def lattice_problem(transform: Affine) -> str | None:
    """Return why ``transform`` is not a lattice airq pools (north-up, square), or None."""
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        return (f"rows run south to north, columns east to west or the grid is rotated "
                f"(cell size {transform.a:g} x {transform.e:g}); airq reads north-up grids: "
                "re-save it north-up (e.g. gdalwarp)")
    if not np.isclose(transform.a, -transform.e):
        return (f"grid cells are not square ({transform.a:g} x {-transform.e:g} m); airq "
                "pools square cells, as LAEI and Defra grids have")
    return None
