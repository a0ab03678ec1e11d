"""Generate deterministic SYNTHETIC demo data in the published LAEI and land-use layouts.

No real LAEI grid can ship with airq, so :func:`write_demo` writes a small, plainly
labelled imitation around a fictional Chadwell Heath: eight LAEI 2013 (update) ESRI
ASCII grids and one CSV in exactly the GLA folder and file naming, residential plots
along six fictional streets, and land-use layers (an Environment Agency Historic
Landfill look-alike, former industry, land use by map epoch, a brownfield register).
Every folder gets a ``SYNTHETIC-DEMO-DATA.txt`` marker and a ``manifest.json`` of
SHA-256 hashes so that :func:`is_synthetic` can tell demo inputs from real ones.

The concentration field is a smooth background with a gentle gradient plus road
increments that decay with distance from synthetic road centre lines. It is tuned so
that the demo street, Woodlands Avenue, gives statistics close to the published case
(NO2 2020 mean about 26 µg/m³), but none of it is modelled or measured.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from airq import demo_addresses, demo_maps
from airq.demo_editions import (
    DEFRA_DIR_REL,
    DEFRA_FILES,
    LAEI2022_ZIP_REL,
    NATIONAL_BROWNFIELD_REL,
    defra_csvs,
    defra_description,
    laei2022_description,
    laei2022_fields,
    national_brownfield_csv,
    national_brownfield_description,
    write_laei2022_zip,
)
from airq.errors import OutputError

if TYPE_CHECKING:  # geopandas and shapely load lazily so that importing airq.demo is cheap
    import geopandas as gpd
    from shapely import Polygon

logger = logging.getLogger(__name__)

__all__ = [
    "DEMO_BOUNDS",
    "DEMO_CELL_SIZE_M",
    "DEMO_EDITION",
    "DEMO_NODATA",
    "DEMO_POLLUTANTS",
    "DEMO_STREET",
    "DEMO_YEARS",
    "MANIFEST_NAME",
    "MARKER_NAME",
    "DemoFiles",
    "demo_street_names",
    "demo_checksums",
    "is_demo_checksum",
    "is_synthetic",
    "write_checksums_file",
    "write_demo",
]

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


# --------------------------------------------------------------------------- layout


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


def _grid_relpath(year: int, pollutant: str, suffix: str = ".asc") -> Path:
    folder = "ASCII" if suffix == ".asc" else "CSV"
    return _GRID_EDITION_DIR / str(year) / folder / f"PostLAEI2013_{year}_{pollutant}{suffix}"


_CSV_YEAR, _CSV_POLLUTANT = 2020, "NO2"
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


# ------------------------------------------------------------------ road geometry


@dataclass(frozen=True)
class _Road:
    """A synthetic road centre line and its 2020 kerbside increments (µg/m³)."""

    name: str
    coords: tuple[tuple[float, float], ...]
    half_width_m: float
    kerb_no2: float
    kerb_pm10: float
    kerb_pm25: float


# Fictional roads loosely shaped like Chadwell Heath's: an east-west arterial like the
# A12 Eastern Avenue in the north, a high road like the A118 in the south, two minor
# north-south roads, and Heath Lane, a bus route that the demo street opens onto. Lines
# run past the grid edge so that no road ends inside it. PM increments are larger
# relative to NO2 on the high road and Heath Lane than on the arterial because
# stop-start traffic adds brake, tyre and resuspended dust, which exhaust standards do
# not reduce.
_ROADS = (
    _Road("Eastern Avenue (arterial)", ((545900, 189295), (547800, 189380), (550100, 189526)),
          12.0, 31.0, 4.5, 1.8),
    _Road("High Road", ((545900, 187114), (547600, 187200), (550100, 187335)),
          7.0, 19.0, 3.6, 1.4),
    _Road("Rose Lane", ((547945, 185900), (547980, 187200), (548050, 189380), (548103, 190100)),
          4.0, 7.0, 1.2, 0.45),
    _Road("Marsh Lane", ((546505, 187114), (546450, 189300)), 4.0, 5.0, 0.9, 0.35),
    _Road("Heath Lane", ((546505, 187310), (547985, 187380)), 4.0, 15.0, 3.8, 1.7),
)  # fmt: skip
# Railway: not an emission source here, only a land-use feature.
_RAILWAY = ((545900, 186596), (550100, 186764))

# Share and e-folding lengths (m) of the near-road and far-field parts of the decay:
# NO2 and primary PM fall steeply within ~50 m of a kerb, then a long tail remains.
_NEAR_SHARE, _NEAR_DECAY_M, _FAR_DECAY_M = 0.55, 30.0, 180.0


def _cell_centres() -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (x, y) of the demo grid as 2-D arrays, north row first."""
    half = DEMO_CELL_SIZE_M / 2
    xs = _WEST + half + DEMO_CELL_SIZE_M * np.arange(_NCOLS)
    ys = _NORTH - half - DEMO_CELL_SIZE_M * np.arange(_NROWS)
    return np.meshgrid(xs, ys)


def _smooth_noise(rng: np.random.Generator, width: int = 5) -> np.ndarray:
    """Spatially smooth noise of unit standard deviation on the grid.

    White noise averaged over a ``width`` x ``width`` window: real model output varies
    smoothly between neighbouring 20 m cells, so independent cell noise would look
    wrong on a map.
    """
    pad = width - 1
    white = rng.standard_normal((_NROWS + pad, _NCOLS + pad))
    smooth = np.zeros((_NROWS, _NCOLS))
    for i in range(width):
        for j in range(width):
            smooth += white[i : i + _NROWS, j : j + _NCOLS]
    return smooth / smooth.std()


def _nodata_mask() -> np.ndarray:
    """Cells written as NODATA: a small block in the north-east corner.

    It imitates cells a model leaves unfilled and lets the demo show NODATA handling;
    it lies far from every demo street, so no street loses grid points.
    """
    mask = np.zeros((_NROWS, _NCOLS), dtype=bool)
    mask[:6, -12:] = True
    return mask


def _concentration_fields() -> dict[tuple[int, str], np.ndarray]:
    """Compute every demo grid as float32, rounded to 3 decimals, NODATA applied.

    Returns
    -------
    dict
        ``{(year, pollutant): array}`` with arrays of shape (rows, cols), north row first.
    """
    import shapely

    x, y = _cell_centres()
    points = shapely.points(x.ravel(), y.ravel())
    inc = {p: np.zeros(x.shape) for p in ("NO2", "PM10", "PM25")}
    for road in _ROADS:
        dist = shapely.distance(shapely.LineString(road.coords), points).reshape(x.shape)
        beyond_kerb = np.maximum(dist - road.half_width_m, 0.0)
        near = np.exp(-beyond_kerb / _NEAR_DECAY_M)
        far = np.exp(-beyond_kerb / _FAR_DECAY_M)
        decay = _NEAR_SHARE * near + (1 - _NEAR_SHARE) * far
        inc["NO2"] += road.kerb_no2 * decay
        inc["PM10"] += road.kerb_pm10 * decay
        inc["PM25"] += road.kerb_pm25 * decay

    # Backgrounds rise gently towards central London (west) and, for NO2, to the south.
    west = (_EAST - x) / (_EAST - _WEST)
    north = (y - _SOUTH) / (_NORTH - _SOUTH)
    rng = np.random.default_rng(_SEED)
    fields_2020 = {
        "NO2": 21.4 + 0.8 * west - 0.6 * north + inc["NO2"] + 0.8 * _smooth_noise(rng),
        "PM10": 20.8 + 0.9 * west + 0.2 * north + inc["PM10"] + 0.3 * _smooth_noise(rng),
        "PM25": 13.1 + 0.5 * west + inc["PM25"] + 0.12 * _smooth_noise(rng),
    }
    # Days above 50 µg/m³ grow roughly exponentially with the annual mean: about 7 days
    # at an annual mean of 21.5 µg/m³, about 30 at 26 (the arterial's kerb).
    fields_2020["PM10d"] = np.minimum(7.0 * np.exp((fields_2020["PM10"] - 21.5) / 3.1), 365.0)
    # The 2013 base year was dirtier: NO2 about 25% higher, PM about 10% and more
    # exceedance days.
    scale_2013 = {"NO2": 1.25, "PM10": 1.10, "PM25": 1.10, "PM10d": 1.45}

    mask = _nodata_mask()
    out: dict[tuple[int, str], np.ndarray] = {}
    for year in DEMO_YEARS:
        for pollutant in DEMO_POLLUTANTS:
            values = fields_2020[pollutant] * (scale_2013[pollutant] if year == 2013 else 1.0)
            # Round before the float32 cast so the file text does not depend on how the
            # driver rounds a value lying at a half-thousandth.
            arr = np.round(values, 3).astype(np.float32)
            arr[mask] = np.float32(DEMO_NODATA)
            out[(year, pollutant)] = arr
    return out


# ------------------------------------------------------------------ streets and plots


@dataclass(frozen=True)
class _Street:
    name: str
    code: str
    start: tuple[float, float]
    end: tuple[float, float]
    postcode: str


# Fictional streets. Woodlands Avenue runs 300 m north from Heath Lane, its south end
# about 175 m from the high road, so that its statistics resemble the published case's
# street. Hawthorn Close backs onto the arterial, so the demo has plots near an objective;
# Brookfield Gardens sits on a former gas works and Station Parade is Victorian, so
# land-use screening has something to find. Postcodes all end in ZZ so that none can be
# mistaken for a real delivery address in RM6.
_STREETS = (
    _Street(DEMO_STREET, "WA", (547380.0, 187365.0), (547395.0, 187665.0), "RM6 6ZZ"),
    _Street("Elmwood Road", "ER", (546640.0, 188350.0), (546940.0, 188380.0), "RM6 4ZZ"),
    _Street("Station Parade", "SP", (548600.0, 186870.0), (548860.0, 186885.0), "RM6 1ZZ"),
    _Street("Hawthorn Close", "HC", (548600.0, 189361.0), (548880.0, 189379.0), "RM6 5ZZ"),
    _Street("Brookfield Gardens", "BG", (549205.0, 187900.0), (549195.0, 188150.0), "RM6 3ZZ"),
    _Street("Orchard Way", "OW", (547600.0, 188650.0), (547830.0, 188800.0), "RM6 7ZZ"),
)  # fmt: skip

_FRONT_OFFSET_M = 6.0  # street centre line to plot front: half carriageway plus pavement
_PLOT_WIDTH_M = (8.0, 15.0)
_PLOT_DEPTH_M = (20.0, 40.0)
_FIRST_UPRN = 900000000001  # outside the range of real UPRNs issued in London


def demo_street_names() -> tuple[str, ...]:
    """Return the names of the fictional demo streets, the demo street first.

    Returns
    -------
    tuple of str
        Street names as written in the ``street`` field of the demo plots.

    Examples
    --------
    >>> demo_street_names()[0]
    'Woodlands Avenue'
    """
    return tuple(s.name for s in _STREETS)


def _street_plots(street: _Street, rng: np.random.Generator) -> list[dict]:
    """Lay out plots on both sides of one street as rectangles aligned with it."""
    from shapely import Polygon

    start, end = np.asarray(street.start), np.asarray(street.end)
    length = float(np.hypot(*(end - start)))
    along = (end - start) / length
    left = np.array([-along[1], along[0]])
    plots = []
    for side, first_number in ((1.0, 1), (-1.0, 2)):  # odd numbers left, even right
        pos, number = 0.0, first_number
        depth_base = rng.uniform(24.0, 34.0)  # one street side shares a building line
        while True:
            width = round(float(rng.uniform(*_PLOT_WIDTH_M)), 1)
            if pos + width > length:
                break
            depth = float(np.clip(depth_base + rng.uniform(-4.0, 6.0), *_PLOT_DEPTH_M))
            depth = round(depth, 1)
            near, far = _FRONT_OFFSET_M, _FRONT_OFFSET_M + depth
            corners = [
                start + along * a + left * side * b
                for a, b in ((pos, near), (pos + width, near), (pos + width, far), (pos, far))
            ]
            # Corners are left unrounded: rounding each plot on its own would open slivers
            # and overlaps between neighbours whose shared side is not axis-aligned.
            ring = [(float(cx), float(cy)) for cx, cy in corners]
            plots.append({"street": street.name, "house_number": number, "geometry": Polygon(ring)})
            pos += width
            number += 2
    plots.sort(key=lambda p: p["house_number"])
    for i, plot in enumerate(plots, start=1):
        plot["plot_id"] = f"{street.code}-{i:03d}"
        plot["postcode"] = street.postcode
    return plots


def _plots_frame() -> gpd.GeoDataFrame:
    """All demo plots as a GeoDataFrame in EPSG:27700."""
    import geopandas as gpd

    rows: list[dict] = []
    for index, street in enumerate(_STREETS):
        # One generator per street, so editing one street leaves the others unchanged.
        rows += _street_plots(street, np.random.default_rng(_SEED + index))
    for i, row in enumerate(rows):
        row["uprn"] = _FIRST_UPRN + i
    columns = ["plot_id", "street", "house_number", "postcode", "uprn", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:27700")


# ------------------------------------------------------------------ land-use layers


def _box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    from shapely import box

    return box(x0, y0, x1, y1)


def _landfill_frame() -> gpd.GeoDataFrame:
    """Historic landfill sites in the Environment Agency schema (all fields text or int)."""
    import geopandas as gpd
    from shapely import Point

    blank = dict.fromkeys(EA_LANDFILL_FIELDS, "")
    lic_hold = "Demo Borough Council (synthetic record)"
    sites = [
        # About 100 m north of the demo street's last plots: the pit the case's street
        # could plausibly have been worried about; pre-licensing, inert and household.
        dict(blank, hld_ref="EAHLD99001", site_name="Former Clay Lane Pit",
             site_add="Clay Lane, Chadwell Heath (synthetic demo record)",
             firstinput="01/01/1931", lastinput="31/12/1948", inert="Yes",
             household="Yes", nolicreq="Yes",
             geometry=_box(547290.0, 187765.0, 547500.0, 187910.0)),
        # About 400 m west of the demo street.
        dict(blank, hld_ref="EAHLD99002", site_name="Marsh Farm Tip",
             site_add="Marsh Farm, Marsh Lane, Chadwell Heath (synthetic demo record)",
             siteopname="Marsh Farm Haulage (synthetic)", firstinput="15/04/1952",
             lastinput="30/09/1961", household="Yes", commercial="Yes", nolicreq="Yes",
             geometry=_box(546780.0, 187350.0, 546930.0, 187550.0)),
        # A point record buffered to a circle because no boundary was digitised; no dates.
        dict(blank, hld_ref="EAHLD99003", site_name="Hollybrook Infill",
             site_add="Hollybrook, Rose Lane (synthetic demo record)", wasteunk="Yes",
             buff_point="Yes", geometry=Point(548175.0, 187525.0).buffer(50.0, 16)),
        # Over 1 km from the demo street, outside the default search bands; its first
        # input date is only known approximately, as in many real records.
        dict(blank, hld_ref="EAHLD99004", site_name="Eastbrook Refuse Tip",
             site_add="Eastbrook Lane, Dagenham (synthetic demo record)",
             lic_hold=lic_hold, licholdadd="Town Hall, Demo Borough (synthetic)",
             siteopname="Demo Borough Cleansing Dept (synthetic)",
             lic_issue="14/03/1977", lic_surren="02/11/1994", firstinput="c. 1950s",
             lastinput="31/12/1989", industrial="Yes", household="Yes", liqsludge="Yes",
             gascontrol="Yes", leachatcnt="Yes", licenced="Yes",
             geometry=_box(549500.0, 188400.0, 549800.0, 188650.0)),
    ]  # fmt: skip
    for site in sites:
        centre = site["geometry"].centroid
        site["easting"], site["northing"] = int(round(centre.x)), int(round(centre.y))
        site["ea_region"], site["ea_area"] = "Thames", "North East Thames"
    return gpd.GeoDataFrame(
        sites, columns=[*EA_LANDFILL_FIELDS, "geometry"], geometry="geometry", crs="EPSG:27700"
    )


def _industry_frame() -> gpd.GeoDataFrame:
    """Former industrial sites: polygons where the extent is known, points otherwise."""
    import geopandas as gpd
    from shapely import Point

    sites = [
        ("gas works", "Brookfield Gas Works", 1898, 1956, _box(549080, 187840, 549330, 188210)),
        ("gravel pit", "Clay Lane Gravel Pit", 1908, 1931, _box(547270, 187745, 547520, 187930)),
        ("railway sidings", "Heath Goods Sidings", 1890, 1966,
         _box(548900, 186730, 549600, 186775)),
        ("engineering works", "Heathside Engineering Works", 1912, 1979,
         _box(546200, 186700, 546400, 186850)),
        ("engineering works", "Lane End Motor Works", 1931, 1984, Point(547990, 188500)),
        ("filling station", "Former High Road Filling Station", 1934, 1992, Point(547500, 187235)),
        ("smithy", "Heath Forge", 1870, 1925, Point(546600, 187160)),
    ]  # fmt: skip
    columns = ["use", "site_name", "start_year", "end_year", "geometry"]
    return gpd.GeoDataFrame(
        [dict(zip(columns, s, strict=True)) for s in sites],
        columns=columns,
        geometry="geometry",
        crs="EPSG:27700",
    )


def _epoch_layers(epoch: int) -> list[tuple[str, object]]:
    """Land-use patches of one map epoch, painted in order (later patches win)."""
    from shapely import LineString

    extent = _box(*DEMO_BOUNDS)
    high_road = LineString(_ROADS[1].coords)
    layers: list[tuple[str, object]] = [("fields", extent)]
    # The old village strung along the high road and the Victorian streets by the station.
    layers += [
        ("residential", high_road.buffer(60.0)),
        ("residential", _box(548450, 186800, 549000, 186990)),
    ]
    if epoch >= 1920:
        layers += [
            ("gravel pit", _box(547270, 187745, 547520, 187930)),
            ("industrial", _box(549080, 187840, 549330, 188210)),
            ("industrial", _box(546200, 186700, 546400, 186850)),
        ]
    if epoch >= 1938:
        # Inter-war estates; the arterial road opened in the 1920s.
        layers += [
            ("residential", _box(547200, 187270, 547720, 187700)),  # Woodlands Avenue
            ("residential", _box(546560, 188250, 547020, 188480)),  # Elmwood Road
            ("residential", _box(548520, 189290, 548960, 189420)),  # Hawthorn Close
            ("allotments", _box(547520, 188580, 547900, 188880)),  # later Orchard Way
            ("road", LineString(_ROADS[0].coords).buffer(15.0)),
        ]
    if epoch >= 1960:
        layers += [
            ("allotments", _box(547270, 187745, 547520, 187930)),  # the filled pit
            ("residential", _box(549080, 187840, 549330, 188210)),  # Brookfield Gardens
            ("residential", _box(547520, 188580, 547900, 188880)),  # Orchard Way
            ("landfill", _box(546780, 187350, 546930, 187550)),
            ("landfill", _box(549500, 188400, 549800, 188650)),
        ]
    layers.append(("railway", LineString(_RAILWAY).buffer(15.0)))
    layers.append(("railway", _box(548900, 186730, 549600, 186775)))
    return layers


def _epochs_frame() -> gpd.GeoDataFrame:
    """Land use by epoch: one (multi)polygon per epoch and land use, covering the extent."""
    import geopandas as gpd
    import shapely

    extent = _box(*DEMO_BOUNDS)
    rows = []
    for epoch in (1895, 1920, 1938, 1960):
        pieces: dict[str, list] = {}
        covered = None
        # Paint from the top down: each patch keeps only what later patches leave visible.
        for landuse, geom in reversed(_epoch_layers(epoch)):
            geom = geom.intersection(extent)
            visible = geom if covered is None else geom.difference(covered)
            covered = geom if covered is None else covered.union(geom)
            if not visible.is_empty:
                pieces.setdefault(landuse, []).append(visible)
        for landuse in sorted(pieces):
            # Snap to 1 cm so coordinates, and hence the file bytes, are reproducible.
            merged = shapely.set_precision(shapely.union_all(pieces[landuse]), 0.01)
            polys = shapely.get_parts(merged)
            polys = [p for p in polys if p.geom_type == "Polygon" and p.area > 1.0]
            rows.append(
                {"epoch": epoch, "landuse": landuse, "geometry": shapely.MultiPolygon(polys)}
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def _brownfield_csv() -> str:
    """Brownfield register rows in the published column order (GeoX/GeoY in BNG)."""
    import csv
    import io

    org_uri = "https://example.org/id/local-authority/demo-borough-synthetic"
    org = "Demo Borough Council (SYNTHETIC DEMO DATA)"
    rows = [
        ("DEMO-BF-001", "Former Lane End Motor Works, Rose Lane", 547990, 188500, "0.35", "",
         "2017-12-20"),
        ("DEMO-BF-002", "Land rear of Station Parade", 548750, 186800, "0.62", "",
         "2017-12-20"),
        ("DEMO-BF-003", "Eastbrook Yard, Eastbrook Lane", 549650, 188300, "1.80", "yes",
         "2018-12-14"),
        ("DEMO-BF-004", "Heathside Works, Marsh Lane", 546300, 186780, "1.20", "yes",
         "2019-12-18"),
    ]  # fmt: skip
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(BROWNFIELD_COLUMNS)
    for ref, name, gx, gy, ha, hazardous, added in rows:
        writer.writerow([org_uri, org, ref, name, gx, gy, "OSGB36", ha, hazardous, added])
    return buf.getvalue()


# ------------------------------------------------------------------ writers


def _write_asc(path: Path, values: np.ndarray) -> None:
    """Write one grid as ESRI ASCII, float32, NODATA -9999, with no CRS sidecar."""
    import rasterio
    from affine import Affine

    path.parent.mkdir(parents=True, exist_ok=True)
    # AAIGrid is a CreateCopy-only driver; rasterio buffers the write in a MEM dataset
    # and copies on close. No crs is passed: the published LAEI grids carry none.
    with rasterio.open(
        path,
        "w",
        driver="AAIGrid",
        width=_NCOLS,
        height=_NROWS,
        count=1,
        dtype="float32",
        nodata=DEMO_NODATA,
        # Built directly: rasterio's from_origin trips affine 3's PendingDeprecationWarning.
        transform=Affine(DEMO_CELL_SIZE_M, 0.0, _WEST, 0.0, -DEMO_CELL_SIZE_M, _NORTH),
        DECIMAL_PRECISION=3,
    ) as dst:
        dst.write(values, 1)
    for sidecar in (path.with_suffix(".prj"), path.with_name(path.name + ".aux.xml")):
        sidecar.unlink(missing_ok=True)


def _write_grid_csv(path: Path, values: np.ndarray, year: int) -> None:
    """Write one grid as LAEI 2013 CSV points: ``x,y,conct,year``, NODATA cells left out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x, y = _cell_centres()
    keep = values != np.float32(DEMO_NODATA)
    table = np.column_stack([x[keep], y[keep], values[keep].astype(np.float64)])
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("x,y,conct,year\n")
        np.savetxt(fh, table, fmt=["%d", "%d", "%.3f"], delimiter=",", newline=f",{year}\n")


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write a GeoDataFrame as a one-layer GeoPackage with a fixed metadata timestamp."""
    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _marker_text(folder: str) -> str:
    from airq import __version__

    return (
        "SYNTHETIC DEMO DATA - NOT REAL\n"
        "==============================\n\n"
        f"Every file in this folder ({folder}) was generated by airq.demo "
        f"(airq {__version__}).\n\n"
        "The grids imitate only the file layout of the London Atmospheric Emissions\n"
        "Inventory (LAEI 2013 update, and LAEI 2022 in the zip) and of Defra's background\n"
        "maps (defra/). Their values are\n"
        "invented: they are NOT the real LAEI, NOT modelled or measured air quality,\n"
        "and the plots, streets, postcodes,\n"
        "UPRNs and land-use records are NOT real boundaries or records.\n\n"
        "Use them to try airq, never for an assessment, report or decision.\n"
        "manifest.json lists every file with its SHA-256.\n"
    )


def _manifest_text(folder: Path, entries: Iterable[tuple[Path, str]], staging: Path) -> str:
    from airq import __version__

    files = []
    for rel, description in entries:
        staged = staging / rel
        files.append(
            {
                "path": rel.relative_to(folder).as_posix(),
                "sha256": _sha256(staged),
                "size_bytes": staged.stat().st_size,
                "description": description,
            }
        )
    manifest = {
        "synthetic": True,
        "generator": "airq.demo",
        "airq_version": __version__,
        "description": "SYNTHETIC DEMO DATA generated by airq.demo: not the real LAEI, "
        "not real boundaries or land-use records.",
        "crs": "EPSG:27700 (British National Grid); the .asc grids state none, as published",
        "files": sorted(files, key=lambda f: f["path"]),
    }
    if folder == _GRID_DIR:
        manifest["edition"] = DEMO_EDITION
        manifest["model_years"] = list(DEMO_YEARS)
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _write_historic_sheet(path: Path) -> None:
    """Draw the SYNTHETIC 1896 sheet from the demo's geography (before the 1920s roads)."""
    from shapely import LineString, Point

    roads = [(LineString(r.coords), r.half_width_m) for r in _ROADS
             if not r.name.startswith("Eastern Avenue")]  # the arterial opened in the 1920s
    built = [layer for kind, layer in _epoch_layers(1895) if kind == "residential"]
    # farmsteads and the forge, as on a rural sheet of the 1890s
    built += [_box(546820, 187430, 546860, 187460), _box(548150, 188240, 548185, 188265),
              Point(546600, 187160).buffer(8, 4)]
    ponds = [Point(547010, 188110).buffer(22, 8), Point(548320, 188330).buffer(16, 8)]
    index, transform = demo_maps.sheet_index(roads, LineString(_RAILWAY), built, ponds)
    demo_maps.write_sheet(path, index, transform)


def _write_all(staging: Path) -> None:
    """Write every demo file under ``staging`` (same relative layout as the final root)."""
    import pyogrio

    fields = _concentration_fields()
    for year in DEMO_YEARS:
        for pollutant in DEMO_POLLUTANTS:
            _write_asc(staging / _grid_relpath(year, pollutant), fields[(year, pollutant)])
    _write_grid_csv(
        staging / _grid_relpath(_CSV_YEAR, _CSV_POLLUTANT, ".csv"),
        fields[(_CSV_YEAR, _CSV_POLLUTANT)],
        _CSV_YEAR,
    )
    fields_2020 = {p: fields[(2020, p)] for p in DEMO_POLLUTANTS}
    write_laei2022_zip(staging / LAEI2022_ZIP_REL, laei2022_fields(fields_2020, DEMO_NODATA),
                       _write_asc, _cell_centres(), DEMO_NODATA)
    (staging / DEFRA_DIR_REL).mkdir(parents=True, exist_ok=True)
    for name, text in defra_csvs(fields_2020, _cell_centres(), DEMO_NODATA).items():
        (staging / DEFRA_DIR_REL / name).write_text(text, encoding="utf-8", newline="\n")

    plots = _plots_frame()
    _write_gpkg(plots, staging / _PLOTS_REL, "plots")
    wgs84 = staging / _PLOTS_WGS84_REL
    # RFC 7946 GeoJSON: WGS84 lon/lat, 7 decimals (about 1 cm), stable bytes.
    pyogrio.write_dataframe(plots.to_crs("EPSG:4326"), wgs84, driver="GeoJSON", RFC7946="YES")
    _write_gpkg(_landfill_frame(), staging / _LANDFILL_REL, "historic_landfill")
    _write_gpkg(_industry_frame(), staging / _INDUSTRY_REL, "former_industry")
    _write_gpkg(_epochs_frame(), staging / _EPOCHS_REL, "landuse_epochs")
    (staging / _BROWNFIELD_REL).write_text(_brownfield_csv(), encoding="utf-8", newline="\n")
    street = plots.loc[plots["street"] == DEMO_STREET].geometry.union_all()
    (staging / NATIONAL_BROWNFIELD_REL).write_text(national_brownfield_csv(street),
                                                   encoding="utf-8", newline="\n")
    demo_addresses.write_inspire_zip(staging / demo_addresses.INSPIRE_ZIP_REL, plots)
    onsud = staging / demo_addresses.ONSUD_REL
    onsud.parent.mkdir(parents=True, exist_ok=True)
    onsud.write_text(demo_addresses.onsud_csv(plots), encoding="utf-8", newline="\n")
    _write_historic_sheet(staging / demo_maps.SHEET_REL)

    data = _data_files()
    for folder in (_GRID_DIR, _BOUNDARY_DIR):
        marker = folder / MARKER_NAME
        (staging / marker).write_text(_marker_text(folder.as_posix()), encoding="utf-8")
        entries = [(rel, desc) for rel, desc in data if folder in rel.parents]
        entries.append((marker, "marker: this folder holds SYNTHETIC DEMO DATA"))
        (staging / folder / MANIFEST_NAME).write_text(
            _manifest_text(folder, entries, staging), encoding="utf-8"
        )


def write_demo(root: Path, overwrite: bool = False) -> DemoFiles:
    """Write the synthetic demo grids, boundaries and land-use layers under ``root``.

    The files follow the published layouts (LAEI 2013 update folders and names, ESRI
    ASCII float32 grids with NODATA -9999 and no ``.prj``), cover about 4 km x 4 km
    around a fictional Chadwell Heath on the LAEI 20 m lattice, and are byte-identical
    from run to run. Every folder is marked synthetic (see :func:`is_synthetic`).

    Everything is written to a temporary folder inside ``root`` first and then moved
    into place, so an interrupted run leaves no half-written file under a final name.

    Parameters
    ----------
    root
        Folder to write ``grids/demo/`` and ``boundaries/demo/`` under; created if
        missing.
    overwrite
        Replace existing demo files. Without it, any existing file is an error.

    Returns
    -------
    DemoFiles
        Paths of the files written.

    Raises
    ------
    OutputError
        If a demo file already exists and ``overwrite`` is false, or ``root`` cannot
        be written.

    Examples
    --------
    >>> files = write_demo(Path("."))  # doctest: +SKIP
    >>> files.grids[-1].name  # doctest: +SKIP
    'PostLAEI2013_2020_PM10d.asc'
    """
    root = Path(root)
    targets = _all_relpaths()
    existing = [rel for rel in [*targets, *_sidecar_relpaths()] if (root / rel).exists()]
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".airq-demo-", dir=root))
    except OSError as err:
        raise OutputError(f"cannot write demo data under {root}: {err}") from err
    try:
        _write_all(staging)
        if existing and not overwrite:
            # The data is deterministic: byte-identical files are the same demo data, so a
            # second `airq demo` keeps them (and re-registers); anything else is refused.
            changed = [rel for rel in existing if not (staging / rel).exists()
                       or (root / rel).read_bytes() != (staging / rel).read_bytes()]
            if changed:
                raise OutputError(f"{root / changed[0]} already exists and differs from the "
                                  "demo data; pass --overwrite to replace the demo data")
            targets = [rel for rel in targets if rel not in existing]
        # Stale sidecars from an older copy would give the grids a CRS they must not have.
        for rel in _sidecar_relpaths():
            (root / rel).unlink(missing_ok=True)
        for rel in targets:
            final = root / rel
            if final.exists() and not overwrite:  # appeared while the demo was generated
                raise OutputError(f"{final} already exists; pass --overwrite to replace it")
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
        # maps/ is the documented default output folder (`-o maps/woodlands.html`).
        (root / MAPS_DIR).mkdir(exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot write demo data under {root}: {err}") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("wrote %d synthetic demo files under %s", len(targets), root)

    data = [root / rel for rel, _ in _data_files()]
    return DemoFiles(
        root=root,
        grids=tuple(p for p in data if p.suffix == ".asc"),
        boundaries=root / _PLOTS_REL,
        boundaries_wgs84=root / _PLOTS_WGS84_REL,
        layers=tuple(root / rel for rel in (_LANDFILL_REL, _INDUSTRY_REL, _EPOCHS_REL,
                                            _BROWNFIELD_REL)),
        manifest=root / _GRID_DIR / MANIFEST_NAME,
        grid_csv=root / _grid_relpath(_CSV_YEAR, _CSV_POLLUTANT, ".csv"),
        boundaries_manifest=root / _BOUNDARY_DIR / MANIFEST_NAME,
        markers=(root / _GRID_DIR / MARKER_NAME, root / _BOUNDARY_DIR / MARKER_NAME),
        laei2022_zip=root / LAEI2022_ZIP_REL,
        brownfield_national=root / NATIONAL_BROWNFIELD_REL,
        inspire_zip=root / demo_addresses.INSPIRE_ZIP_REL,
        addresses=root / demo_addresses.ONSUD_REL,
        defra=tuple(root / DEFRA_DIR_REL / name for name in DEFRA_FILES),
        historic_map=root / demo_maps.SHEET_REL,
    )  # fmt: skip


# ------------------------------------------------------------------ detection

_MAX_PARENTS = 6  # grids sit four folders below grids/demo/; leave some slack
#: The shipped list of SHA-256 checksums of every file :func:`write_demo` generates.
CHECKSUMS_FILE = "demo_checksums.json"


@functools.cache
def _shipped_checksums() -> frozenset[str]:
    from importlib import resources

    ref = resources.files("airq") / "data" / CHECKSUMS_FILE
    data = json.loads(ref.read_text(encoding="utf-8"))
    return frozenset(data["files"].values())


def is_demo_checksum(sha256: str | None) -> bool:
    """Whether a SHA-256 is that of a file :func:`write_demo` generates (shipped list).

    The demo is deterministic, so its files are recognised by content wherever they
    are copied, renamed or catalogued.
    """
    return bool(sha256) and sha256 in _shipped_checksums()


def demo_checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every data file of a demo written under ``root``, by relative path.

    Zip archives also list each member (``archive.zip!member``).
    """
    out = {}
    for rel, _ in _data_files():
        path = Path(root) / rel
        out[rel.as_posix()] = _sha256(path)
        if path.suffix == ".zip":  # a member unzipped anywhere is still demo data
            import zipfile

            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    out[f"{rel.as_posix()}!{name}"] = hashlib.sha256(zf.read(name)).hexdigest()
    return out


def write_checksums_file(path: Path | None = None) -> Path:
    """Regenerate the demo in a temporary folder and write its checksum list.

    Run after changing the generator: ``python -c "from airq.demo import
    write_checksums_file; write_checksums_file()"`` (the test suite checks the list
    is current).
    """
    path = Path(path) if path else Path(__file__).parent / "data" / CHECKSUMS_FILE
    with tempfile.TemporaryDirectory() as tmp:
        files = demo_checksums(write_demo(Path(tmp)).root)
    doc = {"about": "SHA-256 of every file `airq demo` generates (airq/demo.py); a file with "
                    "one of these checksums is SYNTHETIC DEMO DATA wherever it lies",
           "files": files}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def is_synthetic(path: Path, sha256: str | None = None) -> bool:
    """Tell whether a file is airq's synthetic demo data.

    A file is synthetic if its SHA-256 is one of the demo's (the list shipped in
    ``airq/data/demo_checksums.json``: a copy anywhere, renamed, is still demo data),
    or if a ``SYNTHETIC-DEMO-DATA.txt`` marker lies in its folder or one of the next
    folders up (six folders in all), or if its SHA-256 is listed in a
    ``manifest.json`` marked ``"synthetic": true`` found in those same folders.

    Parameters
    ----------
    path
        A file (or folder) to check. A missing path is not synthetic.
    sha256
        The file's SHA-256 if already known (saves reading it again).

    Returns
    -------
    bool
        True for demo data.

    Examples
    --------
    >>> is_synthetic(Path("grids/demo/SYNTHETIC-DEMO-DATA.txt"))  # doctest: +SKIP
    True
    """
    path = Path(path).absolute()
    if not path.exists():
        return False
    digest = None
    if path.is_file():
        digest = sha256 or _sha256(path)
        if is_demo_checksum(digest):
            return True
    start = path if path.is_dir() else path.parent
    folders = [start, *start.parents][:_MAX_PARENTS]
    if any((folder / MARKER_NAME).is_file() for folder in folders):
        return True
    manifests = [f / MANIFEST_NAME for f in folders if (f / MANIFEST_NAME).is_file()]
    if not manifests or digest is None:
        return False
    for manifest in manifests:
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # someone else's manifest.json, or a damaged one: not ours
        if not isinstance(content, dict) or content.get("synthetic") is not True:
            continue
        entries = content.get("files", [])
        if any(isinstance(e, dict) and e.get("sha256") == digest for e in entries):
            return True
    return False


#: Field mappings for registering the demo land-use layers (layer file stem -> kind, mapping);
#: layers not listed are recognised by their schema (EA landfill, brownfield, epochs).
DEMO_LAYER_MAPPINGS: dict[str, tuple[str, dict[str, str]]] = {
    "former_industry": ("industry", {"category": "use", "name": "site_name",
                                     "start": "start_year", "end": "end_year"}),
}
