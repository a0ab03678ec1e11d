"""Batch statistics: every group of boundaries (every street of a borough) over many grids.

The sampling rules and group semantics are those of ``airq query`` (a cell shared
by two boundaries of one group counts once; a group holding no cell centre falls
back to the cells its boundaries lie in). The work is vectorised across all
boundaries: the boundary-to-cell assignment is computed once per grid geometry
(every grid of an edition shares it), then each grid costs one gather and one
pass of grouped counts and sums. Grids are read one at a time, each as a window
covering the boundaries.

A group that cannot be assessed (geometry that could not be repaired, outside the
grid, no grid cell under it) becomes a :class:`BatchError`; the others finish.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from airq import __version__
from airq.analyse.batch.cluster import _compute_dask
from airq.analyse.batch.inputs import _refuse_background, gen_grids
from airq.analyse.batch.nearest import _nearest_landuse
from airq.analyse.batch.plan import _geometry, _Parcels, _prepare
from airq.analyse.batch.results import COLUMNS, BatchResult, ProgressFn
from airq.analyse.batch.stats import _compute, _concat, _sort
from airq.config import Settings
from airq.errors import AirqError, AirqWarning, GeometryRepairWarning, InputError
from airq.read.layers.core import warn_layer_notes


def batch_stats(boundaries, grids_or_requests: Sequence, settings: Settings, group_by: str, *,
                grid_crs: str | None = None, layers: Sequence = (),
                per_boundary: bool | None = None, lost_groups: Sequence[str] = (),
                with_geometry: bool = False, progress: ProgressFn | None = None,
                dask: str | None = None, workers: int | None = None,
                n_partitions: int | None = None, command: str | None = None,
                sink: Callable | None = None) -> BatchResult:
    """Statistics of every group of boundaries over every grid, as one table.

    Parameters
    ----------
    boundaries
        :class:`~airq.read.boundaries.Boundaries` (any CRS; reprojected to each grid's).
    grids_or_requests
        Grids in memory, catalogue entries or ``GridRequest`` objects; entries and
        requests are read one at a time as windows covering the boundaries.
    settings
        Sampling method, SD kind, objective sets, per-boundary rows, search bands.
    group_by
        The column that names each boundary's group (e.g. ``street``).
    grid_crs
        CRS of grid files that carry none (non-LAEI grids).
    layers
        Land-use layers: each group gets the nearest record's distance, category
        and band (with ``settings.bands_m``).
    per_boundary
        One row per boundary instead of per group (default ``settings.per_boundary``).
    lost_groups
        Groups the reader dropped for unusable geometry (from
        :func:`read_batch_boundaries`); reported as errors.
    with_geometry
        Also return each group's union (or each boundary), in the boundaries' CRS,
        for GeoPackage, GeoParquet and maps.
    progress
        Called as ``progress(done, total, label)`` after each grid.
    dask
        Address of a Dask scheduler to run on (partitions of groups x grids).
    workers
        Start a local Dask cluster with this many worker processes.
    n_partitions
        Partitions of groups for Dask (default: twice the workers, at least 2).
    command
        The command line, recorded in the provenance.
    sink
        With per-boundary rows, called as ``sink(rows, grid_info, geometry)`` for
        each grid's rows as soon as they are ready (``geometry`` as
        ``result.geometry``), and ``result.rows`` is left empty: one row per parcel
        for all of London is too large to hold. See
        :func:`airq.render.batch_output.open_batch_writer`. Ignored on Dask and for group
        rows.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        If no grid is given, ``group_by`` is not a column, or every group failed.
    AirqError
        Under ``settings.strict``, the first airq warning.

    Examples
    --------
    >>> res = batch_stats(plots, grids, Settings(), "street")  # doctest: +SKIP
    >>> res.rows[["group", "pollutant", "year", "mean"]]  # doctest: +SKIP
    """
    from airq.analyse.objectives import load_objectives

    items = list(grids_or_requests)
    if not items:
        raise InputError("no grid to sample; add grids (airq grids add) or pass --grid")
    _refuse_background(items)
    per_boundary = settings.per_boundary if per_boundary is None else per_boundary
    table = load_objectives()
    selected = table.select(settings.objectives)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        for note in getattr(boundaries, "notes", ()):  # dropped or repaired boundaries
            warnings.warn(note, GeometryRepairWarning, stacklevel=2)
        warn_layer_notes(layers)  # features a layer left out
        parcels, errors = _prepare(boundaries, group_by, lost_groups, per_boundary)
        if len(parcels.names) == 0:
            raise InputError(f"no group of {boundaries.name} can be assessed: "
                             + "; ".join(f"{e.group}: {e.reason}" for e in errors[:3]))
        n_streamed = 0
        geometry = _geometry(parcels, per_boundary) if with_geometry else None
        if dask is not None or workers:
            frames, errs, infos = _compute_dask(parcels, boundaries, items, settings, selected,
                                                per_boundary, grid_crs, dask, workers,
                                                n_partitions, progress)
        else:
            grids = gen_grids(_boundaries_for(parcels, boundaries), items, grid_crs)
            frames, errs, infos = _compute(parcels, grids, settings, selected, per_boundary,
                                           progress, len(items),
                                           sink if per_boundary else None, geometry,
                                           boundaries.name)
        n_streamed = sum(f.attrs.get("streamed", 0) for f in frames)
        errors.extend(errs)
        keys = ["group", "airq_id"] if per_boundary else ["group"]
        if per_boundary:
            # Millions of rows: order grid by grid (pollutant, year), each frame by
            # boundary, so no sort of the whole table copies it again.
            frames.sort(key=lambda f: (int(f["_r"].iat[0]) if len(f) else 9,
                                       f.attrs["info"].year or 0))
            for i in range(len(frames)):
                frames[i] = _sort(frames[i], keep_attrs=True)  # frees each unsorted frame
            rows = _concat(frames, parcels, per_boundary)
        else:
            rows = _sort(_concat(frames, parcels, per_boundary))
        rows = rows[[c for c in (*keys, *COLUMNS[1:]) if c in rows.columns]]
        landuse = _nearest_landuse(parcels, layers, settings.bands_m) if layers else None
    messages = []
    for w in caught:
        if issubclass(w.category, AirqWarning):
            if str(w.message) not in messages:
                messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if settings.strict and messages:
        raise AirqError(f"{messages[0]} (--strict turns warnings into errors)")
    synthetic = boundaries.synthetic or any(i.synthetic for i in infos)
    if synthetic:
        messages.insert(0, "SYNTHETIC DEMO DATA: inputs are airq's generated demo data, not "
                           "the real LAEI")
    if landuse is not None and not per_boundary:
        rows = rows.merge(landuse, on="group", how="left")
    prov = {"airq_version": __version__,
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "boundaries": boundaries.to_dict(), "group_by": group_by,
            "grids": [i.to_dict() for i in infos], "settings": settings.to_dict(),
            "objectives_version": table.version, "synthetic": synthetic, "command": command,
            "n_groups": int(len(parcels.names)), "n_boundaries": int(len(parcels.ids)),
            "n_rows": int(len(rows) + n_streamed), "streamed": bool(n_streamed),
            **_inputs_record(boundaries, items, infos, grid_crs, layers)}
    return BatchResult(rows=rows, errors=tuple(_dedupe(errors)), provenance=prov,
                       group_by=group_by, per_boundary=per_boundary, geometry=geometry,
                       warnings=tuple(messages), landuse=landuse)


def _inputs_record(boundaries, items, infos, grid_crs, layers) -> dict:
    """Return ``inputs`` (as query records them) and the working folder, for airq verify."""
    from airq.record import boundaries_input, grid_inputs, layer_input, working_dir

    return {"inputs": [boundaries_input(boundaries), *boundaries.extra_inputs,
                       *grid_inputs(items, infos, grid_crs),
                       *(layer_input(layer) for layer in layers)],
            "working_dir": working_dir()}


def _boundaries_for(parcels: _Parcels, boundaries):
    """Return the boundaries restricted to the usable parcels (for grid windows)."""
    return replace(boundaries, gdf=parcels.gdf)


def _dedupe(errors):
    seen, out = set(), []
    for e in errors:
        k = (e.group, e.airq_id, e.reason)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out
