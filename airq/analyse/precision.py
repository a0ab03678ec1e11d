"""Values at the precision their source holds: float32 cells as the decimals they stand for.

A float32 grid cell written as 43.991 holds 43.99100112915039 when widened to float64,
and a report rounding to six decimals would print 43.991001: noise the source never
held. :func:`as_written` turns each float32 value into the float64 nearest to the
shortest decimal that reads back as the same float32 (the way Python prints a
``numpy.float32``), vectorised over arrays.
"""

from __future__ import annotations

import numpy as np

# 6-digit decimals lie further apart than two float32 steps, so a float32 whose shortest
# decimal has 6 or fewer significant digits rounds to exactly that decimal at 6 digits.
# For the rest, the nearest 7-, then 8-digit decimal is the shortest if it reads back;
# 9 digits always do. Most cells finish in the first pass.
_DIGITS = (6, 7, 8, 9)
_POW10 = 10.0 ** np.arange(23)  # exact powers of ten in float64


def as_written(values) -> np.ndarray:
    """Float64 values equal to the shortest decimals of the float32 values given.

    Parameters
    ----------
    values
        Values that are exactly float32 (e.g. read from a float32 GeoTIFF); NaN and
        inf pass through.

    Returns
    -------
    numpy.ndarray
        float64, e.g. ``43.991`` for the float32 nearest to 43.991.

    Examples
    --------
    >>> as_written(np.float32([43.991, 0.1, 1e-7, 25.0])).tolist()
    [43.991, 0.1, 1e-07, 25.0]
    """
    v = np.asarray(values, dtype=np.float64)
    out = v.copy()
    f32 = v.astype(np.float32)
    todo = np.flatnonzero(np.isfinite(v) & (v != 0))
    if todo.size == 0:
        return out
    a = v[todo]
    target = f32[todo]
    exp10 = np.floor(np.log10(np.abs(a))).astype(np.int64)
    for digits in _DIGITS:
        dec = digits - 1 - exp10
        # Scale by exact powers of ten: multiply for decimals >= 0, divide otherwise.
        ok_range = np.abs(dec) <= 22
        pos = dec >= 0
        scale = _POW10[np.minimum(np.abs(dec), 22)]
        cand = np.where(pos, np.rint(a * scale) / scale, np.rint(a / scale) * scale)
        hit = ok_range & (cand.astype(np.float32) == target)
        if hit.any():
            out[todo[hit]] = cand[hit]
            keep = ~hit
            todo, a, target, exp10 = todo[keep], a[keep], target[keep], exp10[keep]
            if todo.size == 0:
                break
    return out
