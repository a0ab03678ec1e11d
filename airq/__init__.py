"""airq: modelled air quality and land-use history for a street, for UK EHOs.

The library behind the ``airq`` command. The main entry points::

    from airq import read_boundaries, read_grid, run_query, load_settings
    b = read_boundaries("plots.gpkg", where=["street=Woodlands Avenue"])
    result = run_query(b, [GridRequest("no2", 2020, "PostLAEI2013_2020_NO2.asc")],
                       load_settings())
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("airq-eho")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.1.0+unknown"

_EXPORTS = {
    "read_grid": "airq.read.grids", "Grid": "airq.read.grids", "GridInfo": "airq.read.grids",
    "parse_laei_name": "airq.read.grids",
    "read_boundaries": "airq.read.boundaries", "reproject_to": "airq.read.boundaries",
    "assign_cells": "airq.analyse.zonal", "group_stats": "airq.analyse.zonal",
    "summarise": "airq.analyse.zonal",
    "load_objectives": "airq.analyse.objectives", "compare": "airq.analyse.objectives",
    "assess": "airq.analyse.assess", "Assessment": "airq.results",
    "run_query": "airq.pipeline", "GridRequest": "airq.pipeline",
    "load_settings": "airq.config", "Settings": "airq.config",
    "add_grid": "airq.read.catalogue.grids", "list_grids": "airq.read.catalogue.grids",
    "screen_landuse": "airq.analyse.landuse", "read_layer": "airq.read.layers",
    "write_demo": "airq.demo",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    # Lazy re-exports keep `import airq` (and so `airq --help`) free of geopandas/rasterio.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'airq' has no attribute {name!r}")
