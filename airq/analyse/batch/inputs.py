"""Batch inputs: boundaries with the groups lost on reading, and grids read ahead."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from airq.errors import InputError

# --------------------------------------------------------------------------- inputs


def read_batch_boundaries(path, group_by: str, *, where: Sequence[str] = (),
                          crs: str | None = None, layer: str | None = None,
                          name: str | None = None):
    """Read boundaries for a batch and list the groups lost to unusable geometry.

    Returns
    -------
    (Boundaries, list of str)
        The boundaries (as :func:`airq.read.boundaries.read_boundaries`) and the groups
        whose every boundary was empty or could not be repaired (so they are
        reported, not silently missing).

    Raises
    ------
    InputError
        As ``read_boundaries``; also if ``group_by`` is not a column.
    """
    from airq.read.boundaries import _select, file_columns, parse_where, read_boundaries

    p = Path(path).expanduser()
    if p.exists():  # a missing column is named against every column of the file
        _column(pd.DataFrame(columns=file_columns(p, layer)), group_by, p.name)
    b = read_boundaries(path, where=where, crs=crs, layer=layer, name=name, columns=[group_by])
    column = _column(b.gdf, group_by, Path(path).name)
    lost: list[str] = []
    if b.dropped_empty or b.dropped_not_polygon:
        import pyogrio

        raw = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        filters = parse_where(where)
        if filters:
            raw = _select(raw, filters, Path(path))
        have = set(_group_names(b.gdf[column]))
        lost = sorted(set(_group_names(raw[column])) - have)
    return b, lost


def _column(gdf, group_by: str, source: str) -> str:
    if group_by in gdf.columns:
        return group_by
    match = {c.lower(): c for c in gdf.columns}.get(group_by.lower())
    if match is None:
        cols = ", ".join(c for c in gdf.columns if c not in ("geometry", "airq_id"))
        raise InputError(f"{source} has no column {group_by!r} to group by; its columns are "
                         f"{cols}")
    return match


def _group_names(series) -> np.ndarray:
    return series.astype("string").fillna("(no value)").to_numpy(dtype=object)


#: Grids read ahead in background threads by :func:`gen_grids`.
PREFETCH = 2


def _refuse_background(items) -> None:
    """Raise for a Defra background map: batch applies the 20 m centre rule only."""
    for item in items:
        info = getattr(item, "info", None)
        if info is not None and getattr(info, "background", False):
            eds = "; ".join(sorted({i.info.edition or "?" for i in items
                                    if getattr(i, "info", None) is not None
                                    and not i.info.background}))
            hint = (f" choose the LAEI with --edition (the selection also holds {eds})" if eds
                    else " assess each street with `airq query`")
            raise InputError(f"airq batch does not use Defra background maps ({info.label}): "
                             f"their 1 km cells need the containing-cell rule of airq query;"
                             f"{hint}")


def gen_grids(boundaries, items: Sequence, grid_crs: str | None = None,
              prefetch: bool = True) -> Iterator:
    """Yield each grid, read as a window covering the boundaries, one at a time.

    ``items`` may be :class:`~airq.read.grids.Grid` objects (yielded as they are),
    catalogue entries or :class:`~airq.pipeline.GridRequest` objects. With
    ``prefetch`` the next grid is read (and checksummed) in a background thread
    while the caller works on the current one: GDAL and hashlib release the GIL,
    so reading overlaps the statistics. At most ``PREFETCH + 1`` grids are in memory.
    """
    from concurrent.futures import ThreadPoolExecutor

    from airq.pipeline import load_grids
    from airq.read.grids import Grid

    items = list(items)
    bounds_cache: dict = {}
    _refuse_background(items)

    def read(item):
        grid = item if isinstance(item, Grid) else load_grids(
            boundaries, [item], grid_crs, bounds_cache=bounds_cache)[0]
        _refuse_background([grid])
        return grid

    if not prefetch or len(items) < 2:
        for item in items:
            yield read(item)
        return
    from collections import deque

    pool = ThreadPoolExecutor(max_workers=PREFETCH, thread_name_prefix="airq-read")
    try:
        pending = deque(pool.submit(read, item) for item in items[:PREFETCH])
        for item in items[PREFETCH:]:
            grid = pending.popleft().result()
            pending.append(pool.submit(read, item))
            yield grid
            del grid
        while pending:
            yield pending.popleft().result()
    except BaseException:
        # Failed or interrupted (SIGTERM): do not wait for reads still running, which
        # may hang (a stalled network share); the caller cleans up and exits.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
