"""Deterministic SYNTHETIC demo data in the published LAEI, land-use and address layouts.

No real LAEI grid can ship with airq, so :func:`write_demo` writes a small, plainly
labelled imitation around a fictional Chadwell Heath: LAEI 2013 (update) ESRI ASCII grids
and a CSV in exactly the GLA folder and file naming (and an LAEI 2022 zip and Defra
background CSVs), residential plots along six fictional streets, land-use layers (an
Environment Agency Historic Landfill look-alike, former industry, land use by map epoch,
brownfield registers), INSPIRE-layout polygons with ONSUD-layout addresses, and a
historic map sheet. Every folder gets a ``SYNTHETIC-DEMO-DATA.txt`` marker and a
``manifest.json``; every generated file's SHA-256 ships in ``airq/data/demo_checksums.json``,
so :func:`is_synthetic` recognises demo data wherever it is copied.

The concentration field is a smooth background with a gentle gradient plus road
increments that decay with distance from synthetic road centre lines. It is tuned so
that the demo street, Woodlands Avenue, gives statistics close to the published case
(NO2 2020 mean about 26 µg/m³), but none of it is modelled or measured.

Modules: ``layout`` (paths, constants), ``fields`` (concentrations), ``plots`` (streets),
``landuse``, ``addresses``, ``editions`` (LAEI 2022, Defra, national brownfield),
``maps`` (the historic sheet), ``write`` (:func:`write_demo`), ``detect``
(:func:`is_synthetic`).
"""

from __future__ import annotations

from airq.demo.detect import (
    CHECKSUMS_FILE,
    demo_checksums,
    is_demo_checksum,
    is_synthetic,
    write_checksums_file,
)
from airq.demo.landuse import DEMO_LAYER_MAPPINGS
from airq.demo.layout import (
    DEMO_BOUNDS,
    DEMO_CELL_SIZE_M,
    DEMO_EDITION,
    DEMO_NODATA,
    DEMO_POLLUTANTS,
    DEMO_STREET,
    DEMO_YEARS,
    MANIFEST_NAME,
    MAPS_DIR,
    MARKER_NAME,
    DemoFiles,
)
from airq.demo.plots import demo_street_names
from airq.demo.write import write_demo

__all__ = [
    "CHECKSUMS_FILE",
    "DEMO_BOUNDS",
    "DEMO_CELL_SIZE_M",
    "DEMO_EDITION",
    "DEMO_LAYER_MAPPINGS",
    "DEMO_NODATA",
    "DEMO_POLLUTANTS",
    "DEMO_STREET",
    "DEMO_YEARS",
    "MANIFEST_NAME",
    "MAPS_DIR",
    "MARKER_NAME",
    "DemoFiles",
    "demo_checksums",
    "demo_street_names",
    "is_demo_checksum",
    "is_synthetic",
    "write_checksums_file",
    "write_demo",
]
