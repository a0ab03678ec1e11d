"""Batch land use: the nearest land-use record of any layer to each group."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from shapely.errors import ShapelyError

from airq.analyse.batch.plan import _Parcels, _unions
from airq.analyse.landuse.results import record_category
from airq.read.layers.core import LandUseWarning, UnusableLayer


def _nearest_landuse(parcels: _Parcels, layers: Sequence, bands_m) -> pd.DataFrame:
    """Nearest land-use record of any layer to each group: distance, category, band."""
    from airq.analyse.landuse import band_labels, check_bands
    from airq.read.boundaries import reproject_to
    from airq.read.grids import LAEI_CRS

    edges = check_bands(bands_m)
    labels = band_labels(edges)
    n = len(parcels.names)
    geoms = np.asarray(reproject_to(parcels.gdf, LAEI_CRS).geometry.values, dtype=object)
    unions = _unions(geoms, parcels.codes, n)
    best = np.full(n, np.inf)
    layer_name = np.full(n, None, dtype=object)
    category = np.full(n, None, dtype=object)
    name = np.full(n, None, dtype=object)
    for layer in layers:
        if isinstance(layer, UnusableLayer):
            warnings.warn(layer.warning, LandUseWarning, stacklevel=2)
            continue
        if len(layer.gdf) == 0:
            continue
        try:
            (gi, fi), dist = layer.gdf.sindex.nearest(unions, max_distance=edges[-1],
                                                      return_distance=True, return_all=False)
        except ShapelyError as err:  # one bad layer fails alone (issue 11)
            warnings.warn(UnusableLayer.from_error(layer, err).warning, LandUseWarning,
                          stacklevel=2)
            continue
        better = dist < best[gi]
        gi, fi, dist = gi[better], fi[better], dist[better]
        best[gi] = dist
        layer_name[gi] = layer.name
        cat_col = layer.mapping.get("category")
        name_col = layer.mapping.get("name")
        # The category airq screen gives the record: the mapped field, else the kind's own
        # (historic landfill, brownfield land, former industrial use).
        values = layer.gdf[cat_col].to_numpy(dtype=object)[fi] if cat_col else [None] * len(fi)
        category[gi] = [record_category(layer.kind, v) for v in values]
        name[gi] = layer.gdf[name_col].to_numpy(dtype=object)[fi] if name_col else None
    found = np.isfinite(best)
    band = np.full(n, "none within " + f"{edges[-1]:g} m", dtype=object)
    idx = np.searchsorted(np.asarray(edges), best[found], side="left")
    band[found] = np.asarray(labels, dtype=object)[idx]
    return pd.DataFrame({"group": parcels.names, "landuse_layer": layer_name,
                         "landuse_distance_m": np.where(found, np.round(best, 1), np.nan),
                         "landuse_category": category, "landuse_name": name,
                         "landuse_band": band})
