"""Brownfield land registers in all three published layouts, and damaged copies of them.

Files are written here exactly as published (column names and order, WKT points in
WGS84, empty geometry cells), at positions chosen in British National Grid metres and
converted to longitude/latitude with pyproj; distances are checked against shapely on
the BNG positions, independently of the reader.
"""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box

from airq.analyse.landuse import screen_landuse
from airq.cli import cli
from airq.demo.editions import NATIONAL_BROWNFIELD_COLUMNS
from airq.errors import CRSError, InputError
from airq.read.layers import LandUseWarning, detect_schema, read_layer

BNG = "EPSG:27700"
SITE = box(547000, 188000, 547100, 188060)  # a street's plots, 100 m x 60 m
TO_WGS84 = Transformer.from_crs(BNG, "EPSG:4326", always_xy=True)

# The national dataset's columns as the planning data platform publishes them.
NATIONAL_COLUMNS = NATIONAL_BROWNFIELD_COLUMNS
# The 2017 data standard, in published order (abridged after Hectares).
STANDARD_2017 = (
    "OrganisationURI", "OrganisationLabel", "SiteReference", "PreviouslyPartOf",
    "SiteNameAddress", "SiteplanURL", "CoordinateReferenceSystem", "GeoX", "GeoY", "Hectares",
    "OwnershipStatus", "PlanningStatus", "HazardousSubstances", "FirstAddedDate",
    "LastUpdatedDate", "EndDate",
)  # fmt: skip
GUIDANCE = tuple("Longitude" if c == "GeoX" else "Latitude" if c == "GeoY" else c
                 for c in STANDARD_2017 if c != "CoordinateReferenceSystem")


def lonlat(x, y):
    lon, lat = TO_WGS84.transform(x, y)
    return round(lon, 8), round(lat, 8)


def wkt_point(x, y):
    lon, lat = lonlat(x, y)
    return f"POINT({lon} {lat})"


def wkt_polygon(poly):
    ring = ", ".join("{} {}".format(*lonlat(x, y)) for x, y in poly.exterior.coords)
    return f"MULTIPOLYGON((({ring})))"


def write_csv(path, columns, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow({c: row.get(c, "") for c in columns})
    return path


def national_row(ref, name, point="", geometry="", **extra):
    return {"dataset": "brownfield-land", "entity": str(1_700_000 + int(ref[-3:])),
            "entry-date": "2023-05-02", "organisation-entity": "16", "prefix": "brownfield-land",
            "reference": ref, "name": name, "point": point, "geometry": geometry,
            "site-address": f"{name}, Chadwell Heath", "start-date": "2018-12-14",
            "hectares": "0.42", **extra}


# 107 m north of the site's north edge, 3.8 km east of it, and a site whose boundary lies
# 20 m west of the street while its point (the centroid) is 60 m away.
NEAR = Point(547050, 188060 + 107)
FAR = Point(547100 + 3800, 188030)
POLY = box(546900, 188000, 546980, 188060)


@pytest.fixture
def national(tmp_path):
    rows = [
        national_row("BF-001", "Land at Clay Lane", wkt_point(NEAR.x, NEAR.y)),
        national_row("BF-002", "Eastern Works", wkt_point(FAR.x, FAR.y)),
        national_row("BF-003", "Marsh Yard", wkt_point(*POLY.centroid.coords[0]),
                     wkt_polygon(POLY), **{"end-date": "2021-03-31"}),
        national_row("BF-004", "Nowhere Yet"),
        national_row("BF-005", "Swapped", "POINT({1} {0})".format(*lonlat(547050, 188100))),
        national_row("BF-006", "Typo", "POINT(0.12 fifty-one)"),
    ]
    return write_csv(tmp_path / "brownfield-land.csv", NATIONAL_COLUMNS, rows)


def test_layouts_detected():
    assert detect_schema(STANDARD_2017) == "brownfield-register"
    assert detect_schema(GUIDANCE) == "brownfield-register-lonlat"
    assert detect_schema(NATIONAL_COLUMNS) == "brownfield-land"
    assert detect_schema(["reference", "point"]) is None  # too little to say


def test_national_dataset_distances(national):
    """The issue's show: a site 107 m from the street is reported at that distance, one
    3.8 km away is not; a site with a boundary is measured to its boundary."""
    with pytest.warns(LandUseWarning) as caught:
        layer = read_layer(national)
    (w,) = [str(x.message) for x in caught]
    assert "3 row(s) without a usable location were left out" in w
    assert "no coordinates: 1" in w and "longitude and latitude swapped: 1" in w
    assert "point is not readable: 1" in w and "rows 5, 6, 7" in w
    assert (layer.kind, layer.schema) == ("brownfield", "brownfield-land")
    assert layer.provenance.dropped_features == 3 and layer.feature_count == 3
    assert layer.provenance.source_crs == "EPSG:4326"
    assert layer.mapping == {"name": "name", "reference": "reference", "start": "start-date",
                             "end": "end-date"}
    result = screen_landuse(SITE, [layer])
    got = {r.reference: r for r in result.records}
    assert set(got) == {"BF-001", "BF-003"}  # BF-002 is 3.8 km away
    assert got["BF-001"].distance_m == pytest.approx(SITE.distance(NEAR), abs=0.05)
    assert round(got["BF-001"].distance_m) == 107 and got["BF-001"].direction == "N"
    assert got["BF-003"].distance_m == pytest.approx(SITE.distance(POLY), abs=0.05)
    assert got["BF-003"].distance_m == pytest.approx(20.0, abs=0.05)
    assert (got["BF-003"].start, got["BF-003"].end) == ("2018-12-14", "2021-03-31")
    assert got["BF-001"].category == "brownfield land"
    details = got["BF-001"].details
    assert details["site-address"] == "Land at Clay Lane, Chadwell Heath"
    assert not {"point", "geometry", "dataset", "entity", "prefix"} & set(details)
    assert result.verdicts[0].text.startswith("2 brownfield sites within 500 m; the nearest "
                                              "is 20 m to the west (Marsh Yard")


def test_national_dataset_on_the_command_line(runner, national, tmp_path):
    plots = tmp_path / "plots.gpkg"
    gpd.GeoDataFrame({"street": ["Test Road"]}, geometry=[SITE], crs=BNG).to_file(plots)
    r = runner.invoke(cli, ["layers", "add", str(national), "--name", "national"])
    assert r.exit_code == 0, r.output
    assert "brownfield-land schema recognised): 3 features from EPSG:4326" in r.stderr
    info = json.loads(runner.invoke(cli, ["layers", "info", "national", "-f", "json"]).stdout)
    assert info["dropped_features"] == 3
    r = runner.invoke(cli, ["screen", str(plots), "--layer", "national", "-f", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    near = [x for x in doc["records"] if x["reference"] == "BF-001"]
    assert round(near[0]["distance_m"]) == 107
    assert "BF-002" not in r.stdout
    r = runner.invoke(cli, ["screen", str(plots), "--layer", "national"])
    assert "107.0 m  N    50-250 m  national  brownfield land" in r.stdout
    assert "(Marsh Yard, on the register 2018-2021)" in r.stdout
    assert ("national (brownfield, national brownfield land dataset schema): 3 features (3 rows "
            "without a usable location left out) from") in r.stdout


def test_2017_standard_every_crs(tmp_path):
    near = Point(547050, 188100)  # 40 m north
    rows = []
    for i, (crs_text, use_lonlat) in enumerate([("OSGB36", False), ("WGS84", True),
                                                ("WGS 1984", True), ("EPSG:4326", True),
                                                ("ETRS89", True), ("British National Grid",
                                                                   False)]):
        x, y = lonlat(near.x, near.y + i) if use_lonlat else (near.x, near.y + i)
        rows.append({"SiteReference": f"S{i}", "SiteNameAddress": f"Site {i}",
                     "CoordinateReferenceSystem": crs_text, "GeoX": x, "GeoY": y})
    rows.append({"SiteReference": "BAD1", "CoordinateReferenceSystem": "Irish Grid",
                 "GeoX": "547050", "GeoY": "188100"})
    rows.append({"SiteReference": "BAD2", "CoordinateReferenceSystem": "OSGB36",
                 "GeoX": "0.1235", "GeoY": "51.57"})
    rows.append({"SiteReference": "BAD3", "CoordinateReferenceSystem": "WGS84",
                 "GeoX": "547050", "GeoY": "188100"})
    path = write_csv(tmp_path / "register.csv", STANDARD_2017, rows)
    with pytest.warns(LandUseWarning, match="3 row.* left out") as caught:
        layer = read_layer(path)
    text = str(caught[0].message)
    assert "unknown CoordinateReferenceSystem 'Irish Grid'" in text
    assert "OSGB36 named but the coordinates look like degrees" in text
    assert "longitude/latitude outside Great Britain" in text
    assert layer.provenance.source_crs == "EPSG:27700, EPSG:4258, EPSG:4326"
    got = {r.reference: r.distance_m for r in screen_landuse(SITE, [layer]).records}
    assert set(got) == {f"S{i}" for i in range(6)}
    for i in range(6):
        assert got[f"S{i}"] == pytest.approx(40.0 + i, abs=0.05)


def test_current_guidance_longitude_latitude(tmp_path):
    rows = [{"SiteReference": "G1", "SiteNameAddress": "Depot",
             "Longitude": lonlat(547050, 188167)[0], "Latitude": lonlat(547050, 188167)[1],
             "FirstAddedDate": "2023-12-31", "EndDate": ""}]
    layer = read_layer(write_csv(tmp_path / "register.csv", GUIDANCE, rows))
    assert layer.schema == "brownfield-register-lonlat" and layer.kind == "brownfield"
    (rec,) = screen_landuse(SITE, [layer]).records
    assert rec.distance_m == pytest.approx(107.0, abs=0.05)
    assert rec.name == "Depot" and rec.start == "2023-12-31"
    assert "Longitude" not in rec.details and "Latitude" not in rec.details


def test_national_name_column_empty_uses_site_address(tmp_path):
    rows = [national_row("BF-001", "", wkt_point(NEAR.x, NEAR.y))]
    rows[0]["site-address"] = "Land at Clay Lane"
    layer = read_layer(write_csv(tmp_path / "brownfield-land.csv", NATIONAL_COLUMNS, rows))
    assert layer.mapping["name"] == "site-address"
    (rec,) = screen_landuse(SITE, [layer]).records
    assert rec.name == "Land at Clay Lane"


def test_damaged_registers_are_errors_not_tracebacks(runner, tmp_path):
    none = write_csv(tmp_path / "brownfield-land.csv", NATIONAL_COLUMNS,
                     [national_row("BF-001", "A"), national_row("BF-002", "B", "POINT(x y)")])
    with pytest.raises(InputError, match="none of its 2 rows has a usable location"):
        read_layer(none)
    r = runner.invoke(cli, ["layers", "add", str(none)])
    assert r.exit_code == 1 and r.stderr.startswith("Error: ")
    assert "row 2: no coordinates" in r.stderr and "Traceback" not in r.output
    ok = write_csv(tmp_path / "ok.csv", NATIONAL_COLUMNS,
                   [national_row("BF-001", "A", wkt_point(NEAR.x, NEAR.y))])
    with pytest.raises(CRSError, match="drop --crs EPSG:27700"):
        read_layer(ok, crs="EPSG:27700")
    assert read_layer(ok, crs="EPSG:4326").feature_count == 1
    blank = write_csv(tmp_path / "blank.csv", STANDARD_2017,
                      [{"SiteReference": "A", "GeoX": "547050", "GeoY": "188100"}])
    with pytest.raises(CRSError, match="pass --crs"):
        read_layer(blank)


def test_polygon_geometry_wins_over_point(tmp_path):
    poly = box(547040, 188090, 547060, 188110)
    rows = [national_row("BF-010", "Yard", wkt_point(547050, 188500), wkt_polygon(poly))]
    layer = read_layer(write_csv(tmp_path / "brownfield-land.csv", NATIONAL_COLUMNS, rows))
    assert layer.provenance.geometry_types == ("MultiPolygon",)
    assert shapely.hausdorff_distance(layer.gdf.geometry.iloc[0], poly) < 0.01
