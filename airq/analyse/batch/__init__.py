"""Batch statistics: every group of boundaries (every street of a borough) over many grids.

The package is split by concept: :mod:`.results` (the table's columns and the
result), :mod:`.inputs` (boundaries and grids read ahead), :mod:`.plan` (parcels by
group and their cells on one grid geometry), :mod:`.scanline` (large zones),
:mod:`.stats` (grouped statistics as rows), :mod:`.nearest` (nearest land use),
:mod:`.cluster` (Dask) and :mod:`.core` (:func:`batch_stats`, which joins them).
"""

from airq.analyse.batch.core import batch_stats
from airq.analyse.batch.inputs import PREFETCH, gen_grids, read_batch_boundaries
from airq.analyse.batch.plan import SCANLINE_MIN_CELLS
from airq.analyse.batch.results import (
    COLUMNS,
    EXIT_PARTIAL,
    BatchError,
    BatchResult,
    ProgressFn,
)
from airq.analyse.batch.scanline import assign_centres_scanline

__all__ = ["COLUMNS", "EXIT_PARTIAL", "PREFETCH", "SCANLINE_MIN_CELLS", "BatchError",
           "BatchResult", "ProgressFn", "assign_centres_scanline", "batch_stats", "gen_grids",
           "read_batch_boundaries"]
