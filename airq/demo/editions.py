"""SYNTHETIC demo files in newer published layouts: LAEI 2022, Defra maps, national brownfield.

:mod:`airq.demo` writes the main demo (LAEI 2013 update grids, plots, land-use
layers) and calls in here for the layouts added later. The files are written but not
catalogued by ``airq demo``, so the demo's main example keeps its model years and
layers; ``airq grids add`` and ``airq layers add`` (or ``--layer FILE``) use them.

The LAEI 2022 zip holds ``ASCII/LAEI2022_V1_<P>.asc`` (P = NO2, PM10m, PM10d, PM25) and
``CSV/LAEI2022_V1_NO2.csv`` (``x,y,conc``), the names the GLA publishes; no ``.prj``
ships in it. Values are the demo's 2020 fields scaled down a little: invented, like
every other demo value.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: The LAEI 2022 zip, relative to the demo root.
LAEI2022_ZIP_REL = Path("grids", "demo", "LAEI2022-Concentrations-Data.zip")
#: Model year of the LAEI 2022 demo grids (its base year).
LAEI2022_YEAR = 2022
#: Pollutants as spelt in the LAEI 2022 file names, with the demo field each comes from.
LAEI2022_POLLUTANTS = {"NO2": "NO2", "PM10m": "PM10", "PM10d": "PM10d", "PM25": "PM25"}
# 2022 against 2020: NO2 down about 10% (ULEZ, fleet turnover), PM a few per cent.
_SCALE_2022 = {"NO2": 0.90, "PM10": 0.97, "PM25": 0.96, "PM10d": 0.85}
# Fixed member timestamp so that two runs give byte-identical archives.
_ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def laei2022_fields(fields_2020: dict[str, np.ndarray], nodata: float) -> dict[str, np.ndarray]:
    """Return the LAEI 2022 demo grids, keyed by the pollutant spelling in the file names.

    Parameters
    ----------
    fields_2020
        The demo's 2020 grids (``NO2``, ``PM10``, ``PM25``, ``PM10d``), float32 with
        NODATA cells set to ``nodata``.
    nodata
        The NODATA value; those cells stay NODATA.
    """
    out = {}
    for spelt, field in LAEI2022_POLLUTANTS.items():
        src = fields_2020[field].astype(np.float64)
        arr = np.round(src * _SCALE_2022[field], 3).astype(np.float32)
        arr[src == nodata] = np.float32(nodata)
        out[spelt] = arr
    return out


def laei2022_description() -> str:
    """Return the manifest description of the LAEI 2022 demo zip."""
    members = ", ".join(f"ASCII/LAEI2022_V1_{p}.asc" for p in LAEI2022_POLLUTANTS)
    return (f"SYNTHETIC LAEI 2022 layout, model year {LAEI2022_YEAR}: zip holding {members} "
            "(ESRI ASCII, float32, NODATA -9999, 20 m cells, no .prj) and "
            "CSV/LAEI2022_V1_NO2.csv (x,y,conc); not catalogued by `airq demo`")


def _write_points_csv(path: Path, values: np.ndarray, centres, nodata: float) -> None:
    """Write one grid as ``x,y,conc`` points at cell centres, NODATA cells left out."""
    x, y = centres
    keep = values != np.float32(nodata)
    table = np.column_stack([x[keep], y[keep], values[keep].astype(np.float64)])
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("x,y,conc\n")
        np.savetxt(fh, table, fmt=["%d", "%d", "%.3f"], delimiter=",")


def write_laei2022_zip(path: Path, fields: dict[str, np.ndarray],
                       write_asc: Callable[[Path, np.ndarray], None], centres,
                       nodata: float) -> None:
    """Write the LAEI 2022 demo zip at ``path`` (byte-identical from run to run).

    Parameters
    ----------
    path
        The zip to write; its folder is created.
    fields
        Grids from :func:`laei2022_fields`.
    write_asc
        The demo's writer of one grid as ESRI ASCII (no ``.prj``).
    centres
        Cell-centre coordinates (x, y) as 2-D arrays, north row first.
    nodata
        The NODATA value (cells left out of the CSV).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.parts")
    scratch.mkdir(exist_ok=True)
    members = [(f"ASCII/LAEI2022_V1_{p}.asc", v) for p, v in fields.items()]
    members.append(("CSV/LAEI2022_V1_NO2.csv", fields["NO2"]))
    try:
        with zipfile.ZipFile(path, "w") as zf:
            for name, values in members:
                part = scratch / Path(name).name
                if name.endswith(".asc"):
                    write_asc(part, values)
                else:
                    _write_points_csv(part, values, centres, nodata)
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, part.read_bytes(), compresslevel=9)
                part.unlink()
    finally:
        for left in scratch.glob("*"):
            left.unlink()
        scratch.rmdir()


#: The national brownfield land dataset (planning data platform layout), relative to the
#: demo root.
NATIONAL_BROWNFIELD_REL = Path("boundaries", "demo", "landuse", "brownfield-land.csv")
#: Columns of ``brownfield-land.csv`` as the planning data platform publishes them.
NATIONAL_BROWNFIELD_COLUMNS = (
    "dataset", "end-date", "entity", "entry-date", "geojson", "geometry", "name",
    "organisation-entity", "point", "prefix", "reference", "start-date", "typology",
    "deliverable", "hazardous-substances", "hectares", "minimum-net-dwellings",
    "maximum-net-dwellings", "notes", "organisation", "ownership-status",
    "planning-permission-date", "planning-permission-status", "planning-permission-type",
    "site-address", "site-plan-url",
)  # fmt: skip
#: Distances (m) of the two point sites from the demo street's plots.
NATIONAL_BROWNFIELD_NEAR_M, NATIONAL_BROWNFIELD_FAR_M = 107.0, 3800.0


def national_brownfield_description() -> str:
    """Return the manifest description of the national brownfield demo file."""
    return ("SYNTHETIC rows in the national brownfield-land.csv layout (planning data "
            "platform): WKT points and one WKT boundary in WGS84, one row without a location; "
            "not catalogued by `airq demo`")


def _east_of(street, distance_m: float):
    """Return a point due east of the street's plots, ``distance_m`` from them (to 1 mm)."""
    from shapely import Point

    xmin, ymin, xmax, ymax = street.bounds
    y = (ymin + ymax) / 2
    x = xmax + distance_m
    for _ in range(20):  # the plots' east edge is not quite north-south
        gap = distance_m - street.distance(Point(x, y))
        if abs(gap) < 1e-4:
            break
        x += gap
    return x, y


def national_brownfield_csv(street) -> str:
    """Rows of a national ``brownfield-land.csv`` around the demo street, as published.

    Parameters
    ----------
    street
        The union of the demo street's plots, EPSG:27700.

    Returns
    -------
    str
        CSV text: a site 107 m east of the plots, one 3.8 km east, one with a site
        boundary near Station Parade, and one whose location was never entered.
    """
    from pyproj import Transformer
    from shapely import box

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

    def lonlat(x, y):
        lon, lat = to_wgs84.transform(x, y)
        return f"{lon:.8f} {lat:.8f}"

    near = _east_of(street, NATIONAL_BROWNFIELD_NEAR_M)
    far = _east_of(street, NATIONAL_BROWNFIELD_FAR_M)
    depot = box(548700.0, 186760.0, 548790.0, 186830.0)
    ring = ", ".join(lonlat(x, y) for x, y in depot.exterior.coords)
    org = "Demo Borough Council (SYNTHETIC DEMO DATA)"
    rows = [
        ("DEMO-NBL-001", "Former Heath Lane Coal Yard", f"POINT({lonlat(*near)})", "",
         "2018-12-14", "", "0.31"),
        ("DEMO-NBL-002", "Land at Marsh Farm", f"POINT({lonlat(*far)})", "", "2019-12-18", "",
         "2.40"),
        ("DEMO-NBL-003", "Station Parade Depot", f"POINT({lonlat(*depot.centroid.coords[0])})",
         f"MULTIPOLYGON((({ring})))", "2017-12-20", "2021-03-31", "0.63"),
        ("DEMO-NBL-004", "Land off Rose Lane", "", "", "2023-12-19", "", "0.20"),
    ]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=NATIONAL_BROWNFIELD_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for i, (ref, name, point, geometry, start, end, hectares) in enumerate(rows, start=1):
        writer.writerow({c: "" for c in NATIONAL_BROWNFIELD_COLUMNS} | {
            "dataset": "brownfield-land", "entity": str(1_990_000 + i), "end-date": end,
            "entry-date": start, "geometry": geometry, "name": name,
            "organisation-entity": "9999", "organisation": org, "point": point,
            "prefix": "brownfield-land", "reference": ref, "start-date": start,
            "hectares": hectares, "site-address": f"{name}, Demo Borough (SYNTHETIC)"})
    return buf.getvalue()


#: The Defra background map demo files (two fictional authorities), relative to the demo root.
DEFRA_DIR_REL = Path("grids", "demo", "defra")
DEFRA_FILES = ("demo_west_background_2021.csv", "demo_east_background_2021.csv")
#: The columns, as Defra publishes them (Total_<P>_<YY>, then sector contributions).
DEFRA_COLUMNS = (
    "Local_Auth_Code", "x", "y", "geo_area", "EU_zone_agglom_01", "Total_NO2_21",
    "Total_NOx_21", "Total_PM10_21", "Total_PM2.5_21", "Motorway_in", "Motorway_out",
    "Trunk_A_Rd_in", "Trunk_A_Rd_out", "Primary_A_Rd_in", "Primary_A_Rd_out", "Minor_Rd_in",
    "Minor_Rd_out", "Industry_in", "Industry_out", "Domestic_in", "Domestic_out",
    "Other_in", "Other_out", "Point_Sources", "Rural", "Secondary_PM",
)  # fmt: skip
# 2021 backgrounds against the demo's 2020 20 m fields averaged over each 1 km square.
_SCALE_2021 = {"NO2": 0.95, "PM10": 0.98, "PM25": 0.98}
_NOX_PER_NO2 = 1.55  # background NOx/NO2 ratio of outer London, roughly


def defra_description(name: str) -> str:
    """Return the manifest description of one Defra demo file."""
    side = "west" if "west" in name else "east"
    return (f"SYNTHETIC Defra background map layout, model year 2021, the {side} half of the demo "
            "area as a fictional local authority: preamble lines, then Local_Auth_Code,x,y,... "
            "with Total_NO2_21, Total_NOx_21, Total_PM10_21, Total_PM2.5_21 at 1 km cell "
            "centres (µg/m³); not catalogued by `airq demo`")


def defra_csvs(fields_2020: dict[str, np.ndarray], centres, nodata: float) -> dict[str, str]:
    """Two Defra background map CSVs (west and east authorities) from the demo's 2020 fields.

    Each 1 km square's value is the mean of the demo's 20 m cells inside it, scaled to
    2021: an imitation of the layout, not of Defra's method.

    Returns
    -------
    dict
        File name -> CSV text.
    """
    x, y = centres
    out = {}
    for name, code, west_side in ((DEFRA_FILES[0], "9901", True), (DEFRA_FILES[1], "9902",
                                                                    False)):
        lines = ["SYNTHETIC DEMO DATA: imitation of a Defra background map (invented values)",
                 "Background concentrations for 2021 (ug/m3), 1 km x 1 km grid squares",
                 f"Local authority: Demo Borough {'West' if west_side else 'East'} (SYNTHETIC)",
                 ",".join(DEFRA_COLUMNS)]
        for cy in (189500, 188500, 187500, 186500):
            for cx in (546500, 547500, 548500, 549500):
                if (cx < 548000) != west_side:
                    continue
                inside = (np.abs(x - cx) < 500) & (np.abs(y - cy) < 500)
                means = {}
                for p in ("NO2", "PM10", "PM25"):
                    v = fields_2020[p][inside]
                    means[p] = float(v[v != nodata].mean()) * _SCALE_2021[p]
                total = {"Total_NO2_21": means["NO2"], "Total_NOx_21": means["NO2"] * _NOX_PER_NO2,
                         "Total_PM10_21": means["PM10"], "Total_PM2.5_21": means["PM25"]}
                sectors = [f"{means['NO2'] * share:.5f}" for share in
                           (0.0, 0.02, 0.04, 0.05, 0.09, 0.06, 0.05, 0.05, 0.01, 0.02, 0.06,
                            0.05, 0.04, 0.03, 0.01)]
                row = [code, str(cx), str(cy), f"Demo Borough {'West' if west_side else 'East'}",
                       "Greater London Urban Area",
                       *(f"{total[c]:.5f}" for c in DEFRA_COLUMNS[5:9]), *sectors, "NA", "NA"]
                lines.append(",".join(row))
        out[name] = "\n".join(lines) + "\n"
    return out
