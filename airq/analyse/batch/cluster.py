"""Batch on Dask: partitions of groups x grids run on a cluster's workers."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from airq.analyse.batch.inputs import gen_grids
from airq.analyse.batch.plan import _Parcels
from airq.analyse.batch.stats import _compute
from airq.errors import AirqWarning, ConfigError, InputError

#: Seconds to wait for a Dask scheduler before giving up with an error.
CONNECT_TIMEOUT_S = 10

# --------------------------------------------------------------------------- dask


def _partition_task(gdf, codes, names, ids, rank, gkey, item, boundaries, settings, selected,
                    per_boundary, grid_crs):
    """Rows of one partition of groups on one grid (runs on a Dask worker)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        parcels = _Parcels(gdf, codes, names, ids, rank, gkey)
        grids = gen_grids(replace(boundaries, gdf=gdf), [item], grid_crs)
        frames, errors, infos = _compute(parcels, grids, settings, selected, per_boundary,
                                         None, 1, area_name=boundaries.name)
    messages = [(w.category, str(w.message)) for w in caught
                if issubclass(w.category, AirqWarning)]
    return frames[0], errors, infos[0], messages


def _compute_dask(parcels: _Parcels, boundaries, items, settings, selected, per_boundary, grid_crs,
                  address, workers, n_partitions, progress):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise ConfigError("--workers and --dask need Dask, which is not installed: pip install "
                          "'airq-eho[dask]'") from err

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1,
                               dashboard_address=None)
        address = cluster.scheduler_address
    try:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(
                f"cannot reach the Dask scheduler at {address} ({err}); check the address "
                "(e.g. tcp://10.0.0.5:8786) and that the scheduler is running, or use "
                "--workers N for a cluster on this machine") from err
        with client:
            n = len(parcels.names)
            k = n_partitions or max(2, 2 * len(client.scheduler_info()["workers"]))
            k = max(1, min(k, n))
            part_of_group = np.arange(n) * k // n  # groups never split across partitions
            parts = []
            for p in range(k):
                sel_groups = np.flatnonzero(part_of_group == p)
                mask = np.isin(parcels.codes, sel_groups)
                remap = np.full(n, -1, dtype=np.int64)
                remap[sel_groups] = np.arange(len(sel_groups))
                gdf = parcels.gdf[mask].reset_index(drop=True)
                parts.append(client.scatter(
                    [(gdf, remap[parcels.codes[mask]], parcels.names[sel_groups],
                      parcels.ids[mask], parcels.rank[mask], sel_groups)], hash=False)[0])
            futures, order = [], {}
            slim = replace(boundaries, gdf=None)
            for gi, item in enumerate(items):
                for pi, part in enumerate(parts):
                    fut = client.submit(_run_part, part, item, slim, settings, selected,
                                        per_boundary, grid_crs, pure=False)
                    order[fut.key] = (gi, pi)
                    futures.append(fut)
            results = {}
            for done, fut in enumerate(as_completed(futures), start=1):
                results[order[fut.key]] = fut.result()
                if progress is not None:
                    progress(done, len(futures), "partitions x grids")
    finally:
        if cluster is not None:
            cluster.close()
    frames, errors, infos = [], [], []
    for gi in range(len(items)):
        for pi in range(len(parts)):
            df, errs, info, messages = results[(gi, pi)]
            for category, text in messages:  # re-raised here so batch_stats records them
                warnings.warn(text, category, stacklevel=2)
            df.attrs["info"] = info
            frames.append(df)
            errors.extend(errs)
        infos.append(info)
    return frames, errors, infos


def _run_part(part, item, boundaries, settings, selected, per_boundary, grid_crs):
    gdf, codes, names, ids, rank, gkey = part
    return _partition_task(gdf, codes, names, ids, rank, gkey, item, boundaries, settings, selected,
                           per_boundary, grid_crs)
