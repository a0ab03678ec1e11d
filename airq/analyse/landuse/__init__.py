"""Land-use screening of an area: records within search bands, the timeline by map epoch.

Pure analysis: it takes an area (a shapely geometry in EPSG:27700) and
:class:`~airq.read.layers.Layer` objects, and returns frozen results
(:class:`LandUseScreening` and its parts). Renderers live in
``airq.render.landuse_text``.
"""

from __future__ import annotations

from airq.analyse.landuse.area import area_from_boundaries
from airq.analyse.landuse.bands import (
    DEFAULT_BANDS_M,
    DIRECTIONS,
    band_index,
    band_labels,
    check_bands,
    compass_direction,
)
from airq.analyse.landuse.dated import records_at_epoch
from airq.analyse.landuse.results import (
    ClassShare,
    LandUseRecord,
    LandUseScreening,
    LayerVerdict,
    TimelineEntry,
)
from airq.analyse.landuse.screen import screen_landuse
from airq.analyse.landuse.timeline import landuse_timeline
from airq.analyse.landuse.verdicts import date_range_text, describe_record

__all__ = ["DEFAULT_BANDS_M", "DIRECTIONS", "ClassShare", "LandUseRecord", "LandUseScreening",
           "LayerVerdict", "TimelineEntry", "area_from_boundaries", "band_index", "band_labels",
           "check_bands", "compass_direction", "date_range_text", "describe_record",
           "landuse_timeline", "records_at_epoch", "screen_landuse"]
