"""Frozen results of the land-use screening: records, timeline entries, verdicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airq.read.layers.core import LayerProvenance

KIND_CATEGORIES = {
    "landfill": "historic landfill",
    "brownfield": "brownfield land",
    "industry": "former industrial use",
}


NO_CLASS = "(no class)"


def record_category(kind: str, value=None) -> str | None:
    """Return the category a record is shown with: its mapped value, else its kind's own.

    Landfill and brownfield layers have no category field: their records are
    "historic landfill" and "brownfield land"; an epoch feature without a class is
    "(no class)".
    """
    from airq.read.layers.values import text_value

    text = text_value(value)
    if text is not None:
        return text
    return NO_CLASS if kind == "epochs" else KIND_CATEGORIES.get(kind)


NOT_MAPPED = "not mapped"


@dataclass(frozen=True)
class LandUseRecord:
    """One feature of a layer on the site or within the search bands.

    Attributes
    ----------
    layer
        Name of the layer.
    kind
        The layer's kind.
    feature_index
        Row of the feature in ``Layer.gdf``.
    reference
        Site reference (``hld_ref``, ``SiteReference``...), or None.
    name
        Site name, or None for an unmapped layer.
    category
        Land-use category or class, or None.
    distance_m
        Metres from the area's boundary to the feature's nearest edge; 0 if they
        intersect.
    direction
        8-point compass direction from the area's centroid to the point of the
        feature closest to it; None when the feature covers the centroid.
    bearing_deg
        The same as a bearing in degrees clockwise from grid north, or None.
    band
        Search band label: ``on site``, ``0-50 m``, ``50-250 m``...
    start, end
        Dates as ISO text at the precision written (``1931``, ``1931-05-01``), or None.
    start_raw, end_raw
        The dates as written.
    date_flag
        Why the dates need a human look, or None.
    epoch
        Map epoch (a year, or the text as written) for epoch layers, else None.
    details
        Further attributes: for EA landfill the waste types, gas and leachate
        control, licence holder...; for other layers the unmapped attributes as
        they are.
    number
        The record's number on the map, the figure, the report's table and the
        text output (1, 2, ... in record order), for records off the site; None on
        the site (the site itself marks those).
    geometry
        The feature's shape in EPSG:27700 (the layer's CRS), clipped to the search
        area (the site buffered by the largest band); not part of :meth:`to_dict`.
    """

    layer: str
    kind: str
    feature_index: int
    reference: str | None
    name: str | None
    category: str | None
    distance_m: float
    direction: str | None
    bearing_deg: float | None
    band: str
    start: str | None = None
    end: str | None = None
    start_raw: str | None = None
    end_raw: str | None = None
    date_flag: str | None = None
    epoch: int | str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    number: int | None = None
    geometry: Any = field(default=None, compare=False, repr=False)

    @property
    def on_site(self) -> bool:
        """Whether the feature intersects the area."""
        return self.distance_m == 0

    def to_dict(self) -> dict:
        """Return JSON-ready values (distance to 0.1 m, bearing to 0.1 degree)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name != "geometry"}
        d["distance_m"] = round(self.distance_m, 1)
        d["bearing_deg"] = None if self.bearing_deg is None else round(self.bearing_deg, 1)
        d["details"] = dict(self.details)
        return d


@dataclass(frozen=True)
class ClassShare:
    """The share of the area a land-use class covers at one epoch."""

    category: str
    area_m2: float
    share_pct: float

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "category": self.category,
            "area_m2": round(self.area_m2, 1),
            "share_pct": round(self.share_pct, 2),
        }


@dataclass(frozen=True)
class TimelineEntry:
    """Land use covering the area at one map epoch.

    Attributes
    ----------
    layer
        Name of the epoch layer.
    epoch
        The map year, or the epoch as written when it is not a year.
    classes
        Land-use classes intersecting the area, largest share first. Shares can sum
        to more than 100 % where a layer's polygons overlap.
    unmapped_pct
        Share of the area no feature of this epoch covers.
    area_m2
        Area of the site in square metres.
    epoch_flag
        Set when the epoch is not a year.
    """

    layer: str
    epoch: int | str
    classes: tuple[ClassShare, ...]
    unmapped_pct: float
    area_m2: float
    epoch_flag: str | None = None

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "layer": self.layer,
            "epoch": self.epoch,
            "classes": [c.to_dict() for c in self.classes],
            "unmapped_pct": round(self.unmapped_pct, 2),
            "area_m2": round(self.area_m2, 1),
            "epoch_flag": self.epoch_flag,
        }


@dataclass(frozen=True)
class LayerVerdict:
    """A sentence a resident can read about one layer, and the counts behind it.

    Attributes
    ----------
    layer, kind
        The layer.
    count
        Records found on the site and within the search distance.
    on_site
        How many of them intersect the area.
    nearest_m
        Distance of the nearest, or None when nothing was found.
    search_m
        The search distance (largest band edge).
    counts_by_band
        ``(band label, count)`` for every band, in order.
    text
        The sentence.
    screened
        False for a layer that could not be screened (its counts are then empty,
        not zero, and the sentence says why).
    """

    layer: str
    kind: str
    count: int
    on_site: int
    nearest_m: float | None
    search_m: float
    counts_by_band: tuple[tuple[str, int], ...]
    text: str
    screened: bool = True

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {
            "layer": self.layer,
            "kind": self.kind,
            "count": self.count,
            "on_site": self.on_site,
            "nearest_m": None if self.nearest_m is None else round(self.nearest_m, 1),
            "search_m": self.search_m,
            "counts_by_band": dict(self.counts_by_band),
            "text": self.text,
            "screened": self.screened,
        }


@dataclass(frozen=True)
class LandUseScreening:
    """Everything the land-use screening found for one area.

    Attributes
    ----------
    records
        Features on the site or within the bands, by layer, nearest first.
    timeline
        Land use on the site by epoch, for layers with an epoch field.
    verdicts
        One per layer, in the order the layers were given.
    bands_m
        Band edges in metres (0 first: the site itself).
    band_labels
        Labels of the bands (``on site``, ``0-50 m``...).
    layers
        Provenance of each layer screened.
    area_m2
        Area of the site in square metres.
    synthetic
        Whether any layer is airq's synthetic demo data.
    area
        The site (the union of the boundaries) in EPSG:27700, from which the bands
        are measured; maps draw the bands as buffers of it. Not part of
        :meth:`to_dict`.
    """

    records: tuple[LandUseRecord, ...]
    timeline: tuple[TimelineEntry, ...]
    verdicts: tuple[LayerVerdict, ...]
    bands_m: tuple[float, ...]
    band_labels: tuple[str, ...]
    layers: tuple[LayerProvenance, ...]
    area_m2: float = 0.0
    synthetic: bool = False
    area: Any = field(default=None, compare=False, repr=False)

    @property
    def search_m(self) -> float:
        """The search distance: the largest band edge."""
        return self.bands_m[-1]

    def band_area(self, edge_m: float):
        """Return the site buffered by ``edge_m`` metres (a band's outer edge), EPSG:27700."""
        if self.area is None:
            return None
        return self.area if edge_m <= 0 else self.area.buffer(edge_m, quad_segs=32)

    def records_for(self, layer: str) -> tuple[LandUseRecord, ...]:
        """Return the records of one layer."""
        return tuple(r for r in self.records if r.layer == layer)

    def to_dict(self) -> dict:
        """Return JSON-ready values.

        The keys are ``records``, ``timeline``, ``verdicts``, ``bands_m``, ``layers`` and
        ``synthetic_demo_data`` (`airq screen -f json` adds ``provenance``).
        """
        return {
            "records": [r.to_dict() for r in self.records],
            "timeline": [t.to_dict() for t in self.timeline],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "bands_m": list(self.bands_m),
            "layers": [p.to_dict() for p in self.layers],
            "synthetic_demo_data": self.synthetic,
        }
