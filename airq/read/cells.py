"""Grid cells in messages: a cell's centre from its row and column, coordinates as text."""

from __future__ import annotations

from affine import Affine


def format_coord(v: float) -> str:
    """Format a coordinate to the millimetre, without trailing zeros (``547030``, ``547030.5``)."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def cell_centre_text(transform: Affine, row: int, col: int) -> str:
    """``x=547030, y=187290``: the centre of cell (row, col) under ``transform``."""
    x, y = transform * (col + 0.5, row + 0.5)
    return f"x={format_coord(x)}, y={format_coord(y)}"
