"""Where the demo files go and what they are: constants, relative paths, DemoFiles."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from airq.demo import addresses as demo_addresses
from airq.demo import maps as demo_maps
from airq.demo.editions import (
    DEFRA_DIR_REL,
    DEFRA_FILES,
    LAEI2022_ZIP_REL,
    NATIONAL_BROWNFIELD_REL,
    defra_description,
    laei2022_description,
    national_brownfield_description,
)

logger = logging.getLogger(__name__)


#: Inventory edition whose layout the demo grids copy (``PostLAEI2013_<YEAR>_<P>.asc``).
DEMO_EDITION = "LAEI 2013 (update)"


#: Model years of the demo grids (the LAEI 2013 update has base year 2013 and 2020).
DEMO_YEARS = (2013, 2020)


#: Pollutants as spelt in the file names; PM10d is a day count, not a concentration.
DEMO_POLLUTANTS = ("NO2", "PM10", "PM25", "PM10d")


#: Name of the marker file written in every demo folder.
MARKER_NAME = "SYNTHETIC-DEMO-DATA.txt"


#: Name of the manifest (file hashes, sizes, descriptions) written in every demo folder.
MANIFEST_NAME = "manifest.json"


#: The demo's counterpart of the street in the published case.
DEMO_STREET = "Woodlands Avenue"


#: Grid cell size, metres.
DEMO_CELL_SIZE_M = 20.0


#: Grid extent (west, south, east, north), British National Grid metres. The edges lie
#: on the LAEI 2019 20 m lattice (top-left x=501470, y=203450), so demo cells line up
#: with real LAEI cells.
DEMO_BOUNDS = (546010.0, 186010.0, 550010.0, 190010.0)


#: NODATA value written in the ``.asc`` header, as in the published grids.
DEMO_NODATA = -9999.0

_WEST, _SOUTH, _EAST, _NORTH = DEMO_BOUNDS


_NCOLS = int(round((_EAST - _WEST) / DEMO_CELL_SIZE_M))


_NROWS = int(round((_NORTH - _SOUTH) / DEMO_CELL_SIZE_M))


_SEED = 20210613  # any fixed value; changing it changes every grid byte


#: The output folder the examples write to, made by airq demo if missing.
MAPS_DIR = Path("maps")


_GRID_DIR = Path("grids", "demo")


_GRID_EDITION_DIR = _GRID_DIR / "4.1. Concentrations LAEI 2013 Update"


_BOUNDARY_DIR = Path("boundaries", "demo")


_LANDUSE_DIR = _BOUNDARY_DIR / "landuse"


# GDAL's AAIGrid driver writes a .prj when a CRS is set and PAM may write .aux.xml;
# the real LAEI grids ship with neither, and a sidecar would hide the missing-CRS case.
_SIDECAR_SUFFIXES = (".prj", ".asc.aux.xml")


# Fixed timestamp for GeoPackage metadata (gpkg_contents.last_change) so that two runs
# give byte-identical files and stable manifest hashes.
_GPKG_DATE = "2021-06-13T00:00:00.000Z"


_POLLUTANT_DESCRIPTIONS = {
    "NO2": "annual-mean NO2 concentration, µg/m³",
    "PM10": "annual-mean PM10 concentration, µg/m³",
    "PM25": "annual-mean PM2.5 concentration, µg/m³",
    "PM10d": "days with daily-mean PM10 above 50 µg/m³ (a day count, not a concentration)",
}


#: Fields of the Environment Agency Historic Landfill Sites dataset, in published order.
EA_LANDFILL_FIELDS = (
    "hld_ref", "site_name", "site_add", "lic_hold", "licholdadd", "siteopname",
    "siteopadd", "easting", "northing", "ea_region", "ea_area", "lic_issue",
    "lic_surren", "firstinput", "lastinput", "inert", "industrial", "commercial",
    "household", "special", "liqsludge", "wasteunk", "gascontrol", "leachatcnt",
    "exempt", "licenced", "nolicreq", "buff_point",
)  # fmt: skip


#: Columns of a brownfield land register CSV, in published order.
BROWNFIELD_COLUMNS = (
    "OrganisationURI", "OrganisationLabel", "SiteReference", "SiteNameAddress",
    "GeoX", "GeoY", "CoordinateReferenceSystem", "Hectares", "HazardousSubstances",
    "FirstAddedDate",
)  # fmt: skip


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files written by :func:`write_demo`.

    Attributes
    ----------
    root
        The folder the demo was written under.
    grids
        The eight ESRI ASCII grids, years then pollutants in :data:`DEMO_POLLUTANTS` order.
    boundaries
        Residential plots, GeoPackage, EPSG:27700, layer ``plots``.
    boundaries_wgs84
        The same plots as GeoJSON in EPSG:4326, for demonstrating reprojection.
    layers
        Land-use layers: historic landfill, former industry, land use by epoch
        (GeoPackages) and the brownfield register (CSV).
    manifest
        ``manifest.json`` of the grids folder.
    grid_csv
        The 2020 NO2 grid in the published CSV layout (``x,y,conct,year``).
    boundaries_manifest
        ``manifest.json`` of the boundaries folder.
    markers
        The two ``SYNTHETIC-DEMO-DATA.txt`` marker files.
    laei2022_zip
        A zip in the LAEI 2022 layout (``ASCII/LAEI2022_V1_<P>.asc``, one CSV), model
        year 2022; written, not catalogued.
    brownfield_national
        A ``brownfield-land.csv`` in the national planning-data layout; written, not
        catalogued.
    inspire_zip
        The plots as HM Land Registry INSPIRE Index Polygons (a council-style zip with
        the GML and a second file), plus a block of flats and a depot.
    addresses
        Address points in the ONS UPRN Directory layout (``ONSUD_DEMO_LN.csv``).
    defra
        Two Defra background map CSVs (fictional west and east authorities, model
        year 2021); written, not catalogued.
    historic_map
        A SYNTHETIC historic map sheet of an 1896 epoch (paletted GeoTIFF, EPSG:27700)
        drawn from the demo's fictional geography; not an Ordnance Survey map.
    """

    root: Path
    grids: tuple[Path, ...]
    boundaries: Path
    boundaries_wgs84: Path
    layers: tuple[Path, ...]
    manifest: Path
    grid_csv: Path
    boundaries_manifest: Path
    markers: tuple[Path, ...]
    laei2022_zip: Path | None = None
    brownfield_national: Path | None = None
    inspire_zip: Path | None = None
    addresses: Path | None = None
    defra: tuple[Path, ...] = ()
    historic_map: Path | None = None


_CSV_YEAR, _CSV_POLLUTANT = 2020, "NO2"


def _grid_relpath(year: int, pollutant: str, suffix: str = ".asc") -> Path:
    folder = "ASCII" if suffix == ".asc" else "CSV"
    return _GRID_EDITION_DIR / str(year) / folder / f"PostLAEI2013_{year}_{pollutant}{suffix}"


_PLOTS_REL = _BOUNDARY_DIR / "residential_plots.gpkg"


_PLOTS_WGS84_REL = _BOUNDARY_DIR / "residential_plots_wgs84.geojson"


_LANDFILL_REL = _LANDUSE_DIR / "historic_landfill.gpkg"


_INDUSTRY_REL = _LANDUSE_DIR / "former_industry.gpkg"


_EPOCHS_REL = _LANDUSE_DIR / "landuse_epochs.gpkg"


_BROWNFIELD_REL = _LANDUSE_DIR / "brownfield_register.csv"


def _data_files() -> list[tuple[Path, str]]:
    """Relative path and manifest description of every data file, grids first."""
    files: list[tuple[Path, str]] = []
    for year in DEMO_YEARS:
        for pollutant in DEMO_POLLUTANTS:
            desc = (
                f"SYNTHETIC {DEMO_EDITION} layout, model year {year}: "
                f"{_POLLUTANT_DESCRIPTIONS[pollutant]}; ESRI ASCII, float32, NODATA -9999, "
                "20 m cells, EPSG:27700 implied (no .prj, as published)"
            )
            files.append((_grid_relpath(year, pollutant), desc))
    files.append(
        (
            _grid_relpath(_CSV_YEAR, _CSV_POLLUTANT, ".csv"),
            f"SYNTHETIC {DEMO_EDITION} CSV layout, model year {_CSV_YEAR}: "
            "annual-mean NO2 at cell centres, columns x,y,conct,year; NODATA cells omitted",
        )
    )
    files.append((LAEI2022_ZIP_REL, laei2022_description()))
    files += [(DEFRA_DIR_REL / name, defra_description(name)) for name in DEFRA_FILES]
    files += [
        (_PLOTS_REL, "SYNTHETIC residential plots along fictional streets, EPSG:27700, "
         "layer 'plots'"),
        (_PLOTS_WGS84_REL, "the same SYNTHETIC plots in EPSG:4326 (GeoJSON)"),
        (_LANDFILL_REL, "SYNTHETIC sites in the Environment Agency Historic Landfill "
         "Sites schema, EPSG:27700"),
        (_INDUSTRY_REL, "SYNTHETIC former industrial sites (points and polygons), "
         "EPSG:27700"),
        (_EPOCHS_REL, "SYNTHETIC land use by historical map epoch (1895, 1920, 1938, "
         "1960), EPSG:27700"),
        (_BROWNFIELD_REL, "SYNTHETIC brownfield land register rows (GeoX/GeoY in BNG)"),
        (NATIONAL_BROWNFIELD_REL, national_brownfield_description()),
    ]  # fmt: skip
    files += demo_addresses.description()
    files += demo_maps.description()
    return files


def _all_relpaths() -> list[Path]:
    """Every file write_demo puts under root, data files then markers and manifests."""
    paths = [rel for rel, _ in _data_files()]
    for folder in (_GRID_DIR, _BOUNDARY_DIR):
        paths += [folder / MARKER_NAME, folder / MANIFEST_NAME]
    return paths


def _sidecar_relpaths() -> list[Path]:
    """Sidecars that must not lie beside the demo grids (they would give them a CRS)."""
    out = []
    for rel, _ in _data_files():
        if rel.suffix == ".asc":
            out += [rel.with_suffix(".prj"), rel.with_name(rel.name + ".aux.xml")]
    return out
