"""Land-use layers: one module per published schema, and the reader that recognises them.

:func:`read_layer` reads a vector file or CSV into a :class:`Layer` in EPSG:27700;
``landfill`` (EA Historic Landfill Sites), ``brownfield`` (brownfield land
registers), ``epochs`` (land use by map epoch) and ``tables`` (CSV) hold each
schema's knowledge; ``dates`` and ``values`` read attribute values as written.
"""

from __future__ import annotations

from airq.read.layers.core import (
    KINDS,
    MAPPING_KEYS,
    LandUseWarning,
    Layer,
    LayerProvenance,
    UnusableLayer,
    default_layer_name,
    detect_schema,
    layer_from_frame,
    read_layer,
)
from airq.read.layers.crs import BNG
from airq.read.layers.dates import ParsedDate, parse_date

__all__ = ["BNG", "KINDS", "MAPPING_KEYS", "LandUseWarning", "Layer", "LayerProvenance",
           "ParsedDate", "UnusableLayer", "default_layer_name", "detect_schema", "layer_from_frame",
           "parse_date", "read_layer"]
