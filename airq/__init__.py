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
    "read_grid": "airq.grids", "Grid": "airq.grids", "GridInfo": "airq.grids",
    "parse_laei_name": "airq.grids",
    "read_boundaries": "airq.boundaries", "reproject_to": "airq.boundaries",
    "assign_cells": "airq.zonal", "group_stats": "airq.zonal", "summarise": "airq.zonal",
    "load_objectives": "airq.objectives", "compare": "airq.objectives",
    "assess": "airq.assess", "Assessment": "airq.results",
    "run_query": "airq.pipeline", "GridRequest": "airq.pipeline",
    "load_settings": "airq.config", "Settings": "airq.config",
    "add_grid": "airq.catalogue", "list_grids": "airq.catalogue",
    "screen_landuse": "airq.landuse", "read_layer": "airq.landuse",
    "write_demo": "airq.demo",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    # Lazy re-exports keep `import airq` (and so `airq --help`) free of geopandas/rasterio.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'airq' has no attribute {name!r}")
