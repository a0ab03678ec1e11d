"""Screen an area against land-use layers: every feature on the site or within the bands.

Distances are from the area's boundary to the feature's nearest edge, in metres
(0 when they intersect or touch). Directions are 8-point compass directions from
the area's centroid to the point of the feature closest to that centroid; a feature
that covers the centroid has no direction.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.errors import ShapelyError

from airq.analyse.landuse.area import check_area
from airq.analyse.landuse.bands import DEFAULT_BANDS_M, band_labels, check_bands, directions_from
from airq.analyse.landuse.results import (
    LandUseRecord,
    LandUseScreening,
    LayerVerdict,
    TimelineEntry,
    record_category,
)
from airq.analyse.landuse.timeline import landuse_timeline
from airq.analyse.landuse.verdicts import layer_verdict, unscreened_verdict
from airq.read.layers.brownfield import hidden_fields
from airq.read.layers.core import LandUseWarning, Layer, UnusableLayer
from airq.read.layers.dates import ParsedDate, parse_date
from airq.read.layers.landfill import EA_SCHEMA, landfill_details
from airq.read.layers.values import plain_value, text_value


def screen_landuse(
    area: shapely.Geometry,
    layers: Sequence[Layer | UnusableLayer],
    bands_m: Sequence[float] = DEFAULT_BANDS_M,
) -> LandUseScreening:
    """Find every feature of each layer on the site and within the search bands.

    Parameters
    ----------
    area
        The site: the union of the selected boundaries, in EPSG:27700 (metres).
    layers
        Land-use layers from :func:`read_layer` or ``airq.read.catalogue.layers.load_layer``.
        A layer that cannot be screened (an :class:`UnusableLayer`, or one whose
        geometry GEOS refuses) gets a ``LandUseWarning`` naming it and a verdict
        saying it was not screened; the other layers are screened as usual.
    bands_m
        Band edges in metres; 0 (on site) is always the first band. Features
        beyond the last edge are not reported.

    Returns
    -------
    LandUseScreening
        Records (distance from the boundary to the feature's nearest edge in
        metres, 8-point direction from the area's centroid to the point of the
        feature closest to it, band, category, name, dates), a timeline for
        epoch layers, and one verdict per layer.

    Raises
    ------
    InputError
        If the area is empty or not a geometry, or the bands are not increasing.
    CRSError
        If the area looks like longitude/latitude.

    Examples
    --------
    >>> result = screen_landuse(area, [read_layer("landfill.gpkg")])  # doctest: +SKIP
    >>> result.verdicts[0].text  # doctest: +SKIP
    'No records of historic landfill within 500 m.'
    """
    area = check_area(area)
    edges = check_bands(bands_m)
    labels = band_labels(edges)
    shapely.prepare(area)
    search_area = area.buffer(edges[-1], quad_segs=32) if edges[-1] > 0 else area
    shapely.prepare(search_area)
    records: list[LandUseRecord] = []
    timeline: list[TimelineEntry] = []
    verdicts: list[LayerVerdict] = []
    for layer in layers:
        try:
            if isinstance(layer, UnusableLayer):
                raise _Unusable(layer.reason)
            found = _layer_records(area, search_area, layer, edges, labels)
            entries = landuse_timeline(area, layer) if "epoch" in layer.mapping else ()
        except (_Unusable, ShapelyError) as err:  # one bad layer fails alone (issue 11)
            unusable = layer if isinstance(layer, UnusableLayer) else \
                UnusableLayer.from_error(layer, err)
            warnings.warn(unusable.warning, LandUseWarning, stacklevel=2)
            verdicts.append(unscreened_verdict(unusable, edges))
            continue
        records.extend(found)
        timeline.extend(entries)
        verdicts.append(layer_verdict(layer, found, entries, edges, labels))
    return LandUseScreening(
        records=number_records(records),
        timeline=tuple(timeline),
        verdicts=tuple(verdicts),
        bands_m=edges,
        band_labels=labels,
        layers=tuple(layer.provenance for layer in layers),
        area_m2=float(area.area),
        synthetic=_any_synthetic(layers),
        area=area,
    )


class _Unusable(Exception):
    """A layer that could not be read is screened as one that fails."""


def number_records(records: Sequence[LandUseRecord]) -> tuple[LandUseRecord, ...]:
    """Give the records off the site numbers 1, 2, ... in order; on-site records get None.

    The number is what the map, the figures, the report's table and the text output
    show for a record, as commercial search reports do.
    """
    out = []
    n = 0
    for r in records:
        if r.on_site:
            out.append(dataclasses.replace(r, number=None))
        else:
            n += 1
            out.append(dataclasses.replace(r, number=n))
    return tuple(out)


def _any_synthetic(layers) -> bool:
    """Whether any layer was made from airq's synthetic demo data."""
    from airq.demo import is_synthetic

    return any(layer.provenance.source_path and is_synthetic(Path(layer.provenance.source_path))
               for layer in layers)


def _layer_records(area, search_area, layer: Layer, edges, labels) -> list[LandUseRecord]:
    gdf = layer.gdf
    search_m = edges[-1]
    if search_m > 0:
        idx = gdf.sindex.query(area, predicate="dwithin", distance=search_m)
    else:
        idx = gdf.sindex.query(area, predicate="intersects")
    idx = np.sort(np.asarray(idx, dtype=int))
    geoms = gdf.geometry.to_numpy()[idx]
    dist = shapely.distance(area, geoms)
    keep = dist <= search_m
    idx, geoms, dist = idx[keep], geoms[keep], dist[keep]
    bands = np.searchsorted(np.asarray(edges), dist, side="left")
    bearing, direction = directions_from(area.centroid, geoms)
    # The shape as drawn: the part inside the search area (a long railway or a large
    # landfill reaches beyond it); a feature just touching its edge keeps its own shape.
    inside = shapely.covers(search_area, geoms)
    clipped = np.where(inside, geoms, shapely.intersection(geoms, search_area))
    clipped = np.where(shapely.is_empty(clipped), geoms, clipped)
    order = np.argsort(dist, kind="stable")
    attrs = gdf.drop(columns=gdf.geometry.name)
    out = []
    for i in order:
        row = attrs.iloc[int(idx[i])]
        out.append(
            _record(
                layer,
                int(idx[i]),
                row,
                float(dist[i]),
                direction[i],
                None if np.isnan(bearing[i]) else float(bearing[i]),
                labels[int(bands[i])],
                clipped[i],
            )
        )
    return out


def _record(layer: Layer, index: int, row: pd.Series, distance, direction, bearing, band,
            geometry=None):
    m = layer.mapping
    start = parse_date(row[m["start"]]) if "start" in m else ParsedDate(None, None)
    end = parse_date(row[m["end"]]) if "end" in m else ParsedDate(None, None)
    flags = []
    if start.flag:
        flags.append(f"start date {start.flag}")
    if end.flag:
        flags.append(f"end date {end.flag}")
    if start.value and end.value and end.value < start.value[: len(end.value)]:
        flags.append(f"end date {end.raw!r} is before start date {start.raw!r}")
    epoch: int | str | None = None
    if "epoch" in m:
        parsed = parse_date(row[m["epoch"]])
        epoch = parsed.year if parsed.value else parsed.raw
        if parsed.flag:
            flags.append(f"epoch {parsed.flag}")
    category = record_category(layer.kind, row[m["category"]] if "category" in m else None)
    if layer.schema == EA_SCHEMA:
        details = landfill_details(row)
    else:
        used = set(m.values())
        hidden = hidden_fields(layer.schema)
        if hidden:
            # the coordinates are the geometry, the rest bookkeeping: repeating them adds nothing
            used |= {c for c in row.index if str(c).lower() in hidden}
        details = {}
        for col, value in row.items():
            v = plain_value(value)
            if col not in used and v is not None and v != "":
                details[str(col)] = v
    return LandUseRecord(
        layer=layer.name,
        kind=layer.kind,
        feature_index=index,
        reference=text_value(row[m["reference"]]) if "reference" in m else None,
        name=text_value(row[m["name"]]) if "name" in m else None,
        category=category,
        distance_m=distance,
        direction=direction,
        bearing_deg=bearing,
        band=band,
        start=start.value,
        end=end.value,
        start_raw=start.raw,
        end_raw=end.raw,
        date_flag="; ".join(flags) or None,
        epoch=epoch,
        details=details,
        geometry=geometry,
    )
