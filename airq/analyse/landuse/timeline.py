"""Land use on the site by map epoch: each class's share of the area at each epoch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from airq.analyse.landuse.area import check_area
from airq.analyse.landuse.results import NO_CLASS, ClassShare, TimelineEntry
from airq.errors import InputError
from airq.read.layers.core import Layer
from airq.read.layers.dates import parse_date
from airq.read.layers.values import text_value


def landuse_timeline(area: shapely.Geometry, epoch_layer: Layer) -> tuple[TimelineEntry, ...]:
    """Land-use classes covering the area at each map epoch, with their share of it.

    Parameters
    ----------
    area
        The site in EPSG:27700.
    epoch_layer
        A layer with an ``epoch`` field in its mapping (kind ``epochs``); its
        ``category`` field gives the class. Only polygons cover area.

    Returns
    -------
    tuple of TimelineEntry
        One per epoch in the layer, oldest first (epochs that are not years last).
        Class shares plus the unmapped share make 100 % unless polygons overlap.
        Empty when the area has no area (a point or a line).

    Raises
    ------
    InputError
        If the layer has no epoch field.

    Examples
    --------
    >>> [(t.epoch, t.classes[0].category) for t in landuse_timeline(area, epochs)]  # doctest: +SKIP
    [(1895, 'fields'), (1920, 'fields'), (1938, 'residential')]
    """
    area = check_area(area)
    m = epoch_layer.mapping
    if "epoch" not in m:
        raise InputError(
            f"layer {epoch_layer.name!r} has no epoch field; add it again with --epoch-field"
        )
    site_m2 = float(area.area)
    if site_m2 <= 0:
        return ()
    gdf = epoch_layer.gdf
    epoch_values = gdf[m["epoch"]]
    keys = {}
    for v in pd.unique(epoch_values.dropna().astype(object)):
        p = parse_date(v)
        keys[v] = p.year if p.value else p.raw
    epoch_keys = epoch_values.map(keys).astype(object).to_numpy()
    idx = np.sort(np.asarray(gdf.sindex.query(area, predicate="intersects"), dtype=int))
    geoms = gdf.geometry.to_numpy()[idx]
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    idx, geoms = idx[polygonal], geoms[polygonal]
    parts = shapely.intersection(geoms, area)
    cats = (
        gdf[m["category"]].to_numpy()[idx]
        if "category" in m
        else np.full(len(idx), None, dtype=object)
    )
    epochs_of = epoch_keys[idx]
    by_epoch: dict[Any, dict[str, list]] = {}
    for epoch, cat, part in zip(epochs_of, cats, parts, strict=True):
        if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
            continue
        label = text_value(cat) or NO_CLASS
        by_epoch.setdefault(epoch, {}).setdefault(label, []).append(part)
    all_epochs = {k for k in keys.values() if k is not None}
    ordered = sorted(
        all_epochs, key=lambda e: (isinstance(e, str), e if isinstance(e, int) else 0, str(e))
    )
    out = []
    for epoch in ordered:
        classes = []
        covered = []
        for label, pieces in by_epoch.get(epoch, {}).items():
            merged = shapely.union_all(pieces)
            a = float(shapely.area(merged))
            covered.append(merged)
            if a > 0:
                classes.append(ClassShare(label, a, 100.0 * a / site_m2))
        covered_m2 = float(shapely.area(shapely.union_all(covered))) if covered else 0.0
        classes.sort(key=lambda c: (-c.area_m2, c.category))
        flag = None
        if isinstance(epoch, str):
            flag = f"epoch {epoch!r} is not a year; kept as written"
        out.append(
            TimelineEntry(
                layer=epoch_layer.name,
                epoch=epoch,
                classes=tuple(classes),
                unmapped_pct=max(0.0, 100.0 * (site_m2 - covered_m2) / site_m2),
                area_m2=site_m2,
                epoch_flag=flag,
            )
        )
    return tuple(out)
