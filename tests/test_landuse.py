"""Land-use readers, schema detection, dates and the screening analysis (issue 3).

Every layer is made here under tmp_path, at known positions around a made-up site
near Chadwell Heath, and checked against distances and directions computed
independently with shapely (and by hand where the geometry is simple).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box
from shapely.ops import nearest_points

from airq.analyse.landuse import (
    DEFAULT_BANDS_M,
    area_from_boundaries,
    band_index,
    band_labels,
    check_bands,
    compass_direction,
    landuse_timeline,
    screen_landuse,
)
from airq.errors import CRSError, InputError
from airq.read.layers import (
    KINDS,
    LandUseWarning,
    detect_schema,
    layer_from_frame,
    parse_date,
    read_layer,
)
from airq.read.layers.landfill import EA_SCHEMA

BNG = "EPSG:27700"
# Two adjoining back gardens: an L-shaped site whose union is tested, not a plain box.
PLOT_A = box(547000, 188000, 547100, 188060)
PLOT_B = box(547000, 187960, 547040, 188000)
SITE = shapely.union_all([PLOT_A, PLOT_B])
CENTROID = SITE.centroid

EA_FIELDS = [
    "hld_ref", "site_name", "site_add", "lic_hold", "licholdadd", "siteopname", "siteopadd",
    "easting", "northing", "ea_region", "ea_area", "lic_issue", "lic_surren", "firstinput",
    "lastinput", "inert", "industrial", "commercial", "household", "special", "liqsludge",
    "wasteunk", "gascontrol", "leachatcnt", "exempt", "licenced", "nolicreq", "buff_point",
]  # fmt: skip


# --------------------------------------------------------------------------- helpers


def expected_distance(geom) -> float:
    """Independent distance: the site's boundary to the feature's nearest edge."""
    return 0.0 if SITE.intersects(geom) else SITE.exterior.distance(geom)


def expected_direction(geom) -> str | None:
    """Independent 8-point direction from the site's centroid to the feature's nearest point."""
    _, p = nearest_points(CENTROID, geom)
    dx, dy = p.x - CENTROID.x, p.y - CENTROID.y
    if math.hypot(dx, dy) < 1e-6:
        return None
    bearing = math.degrees(math.atan2(dx, dy)) % 360
    names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    return names[int(((bearing + 22.5) % 360) // 45)]


def ea_row(ref, name, first, last, **flags):
    row = {f: "" for f in EA_FIELDS}
    row.update(hld_ref=ref, site_name=name, firstinput=first, lastinput=last)
    row.update({k: v for k, v in flags.items()})
    return row


def ea_landfill_frame():
    """EA Historic Landfill Sites layout: polygons with the published field names."""
    rows = [
        ea_row("EAHLD00575", "Former Clay Lane Pit", "01/05/1931", "31/12/1948",
               inert="Yes", household="Yes", gascontrol="Yes", lic_hold="Barking Corporation",
               site_add="Clay Lane, Chadwell Heath", lic_issue="1931-01-01"),
        ea_row("EAHLD00576", "Whalebone Lane Tip", "c. 1950", "1962",
               industrial="Yes", leachatcnt="Yes"),
        ea_row("EAHLD00577", "Beyond The Search", "1960", "1970", wasteunk="Yes"),
    ]  # fmt: skip
    geoms = [
        box(547040, 188164, 547080, 188200),  # 104 m north of the site
        box(546700, 187700, 546760, 187760),  # south-west, about 312 m
        box(548200, 188000, 548300, 188100),  # 1,100 m east: outside 500 m
    ]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=BNG)


def industry_frame():
    """Council former-industrial polygons with its own field names."""
    return gpd.GeoDataFrame(
        {
            "USE_DESC": ["gasworks", "tannery", "works", "chemical works", "smithy"],
            "SITE": ["Chadwell Gasworks", "Old Tannery", "Far Works", "Acid Works", "Forge"],
            "FROM_YR": ["1890", "1870", "1900", "1910", "not known"],
            "TO_YR": ["1935", "1920", "1950", "1920", ""],
        },
        geometry=[
            box(547130, 188010, 547160, 188040),  # 30 m east
            box(547300, 188300, 547350, 188350),  # north-east, about 312 m
            box(547000, 189000, 547100, 189100),  # 940 m north: not reported
            box(547000, 187860, 547040, 187910),  # exactly 50 m south of plot B
            box(547010, 188010, 547030, 188030),  # on the site
        ],
        crs=BNG,
    )


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1931", "1931"),
        ("1931-05-01", "1931-05-01"),
        ("1931-05-01T00:00:00", "1931-05-01"),
        ("01/05/1931", "1931-05-01"),
        ("1/5/1931", "1931-05-01"),
        ("31.12.1948", "1948-12-31"),
        ("31/12/1975 00:00:00", "1975-12-31"),
        ("1931-05", "1931-05"),
        ("05/1931", "1931-05"),
        ("May 1931", "1931-05"),
        ("1 May 1931", "1931-05-01"),
        ("1st Sept 1931", "1931-09-01"),
        (1931, "1931"),
        (1931.0, "1931"),
        (np.int64(1938), "1938"),
    ],
)
def test_parse_date_understood(text, iso):
    parsed = parse_date(text)
    assert parsed.value == iso
    assert parsed.flag is None
    assert parsed.raw is not None


@pytest.mark.parametrize(
    "text", ["c. 1930", "1930s", "unknown", "31/02/1950", "13/13/1950", "pre-war"]
)
def test_parse_date_not_understood_is_kept_and_flagged(text):
    parsed = parse_date(text)
    assert parsed.value is None
    assert parsed.raw == text
    assert text in parsed.flag and "kept as written" in parsed.flag


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_parse_date_blank_is_not_flagged(blank):
    assert parse_date(blank) == parse_date(None)
    assert parse_date(blank).flag is None


def test_parse_date_objects():
    import datetime as dt

    import pandas as pd

    assert parse_date(dt.date(1931, 5, 1)).value == "1931-05-01"
    assert parse_date(pd.Timestamp("1948-12-31")).value == "1948-12-31"
    assert parse_date(pd.NaT).value is None
    assert parse_date("2999").flag is not None  # in the future: kept, flagged


# --------------------------------------------------------------------------- bands


def test_band_labels_and_edges():
    assert band_labels(DEFAULT_BANDS_M) == ("on site", "0-50 m", "50-250 m", "250-500 m")
    assert check_bands([50, 250]) == (0.0, 50.0, 250.0)  # on site is always a band
    assert band_index(0, DEFAULT_BANDS_M) == 0
    assert band_index(0.01, DEFAULT_BANDS_M) == 1
    assert band_index(50, DEFAULT_BANDS_M) == 1  # upper edges are inclusive
    assert band_index(50.001, DEFAULT_BANDS_M) == 2
    assert band_index(500, DEFAULT_BANDS_M) == 3
    assert band_index(500.001, DEFAULT_BANDS_M) is None


@pytest.mark.parametrize("bad", [[0, 250, 50], [-1, 50], [0, 0, 50], ["x"]])
def test_bad_bands_rejected(bad):
    with pytest.raises(InputError, match="band"):
        check_bands(bad)


@pytest.mark.parametrize(
    ("bearing", "label"),
    [(0, "N"), (22.4, "N"), (22.6, "NE"), (90, "E"), (180, "S"), (225, "SW"), (337.6, "N"),
     (300, "NW")],
)  # fmt: skip
def test_compass_direction(bearing, label):
    assert compass_direction(bearing) == label


# --------------------------------------------------------------------------- readers


def test_ea_schema_recognised_without_mapping(tmp_path):
    path = tmp_path / "historic_landfill.gpkg"
    ea_landfill_frame().to_file(path, driver="GPKG")
    layer = read_layer(path)
    assert layer.kind == "landfill"
    assert layer.schema == EA_SCHEMA
    assert layer.mapping == {
        "name": "site_name",
        "reference": "hld_ref",
        "start": "firstinput",
        "end": "lastinput",
    }
    result = screen_landuse(SITE, [layer])
    (clay,) = [r for r in result.records if r.reference == "EAHLD00575"]
    assert clay.name == "Former Clay Lane Pit"
    assert clay.category == "historic landfill"
    assert (clay.start, clay.end) == ("1931-05-01", "1948-12-31")
    assert (clay.start_raw, clay.end_raw) == ("01/05/1931", "31/12/1948")
    assert clay.details["waste_types"] == ["inert", "household"]
    assert clay.details["gas_control"] == "yes"
    assert clay.details["leachate_control"] == "not recorded"
    assert clay.details["licence_holder"] == "Barking Corporation"
    assert clay.details["site_address"] == "Clay Lane, Chadwell Heath"
    assert clay.details["licence_issued"] == "1931-01-01"
    (tip,) = [r for r in result.records if r.reference == "EAHLD00576"]
    assert tip.details["waste_types"] == ["industrial"]
    assert tip.details["leachate_control"] == "yes"


def test_ea_schema_upper_case_shapefile(tmp_path):
    frame = ea_landfill_frame()
    frame.columns = [c.upper() if c != "geometry" else c for c in frame.columns]
    frame = frame.set_geometry("geometry")
    path = tmp_path / "HLD.shp"
    frame.to_file(path)
    layer = read_layer(path)
    assert layer.kind == "landfill" and layer.schema == EA_SCHEMA
    assert layer.mapping["start"] == "FIRSTINPUT"
    rec = screen_landuse(SITE, [layer]).records[0]
    assert rec.details["waste_types"] == ["inert", "household"]


def test_unparseable_dates_kept_and_flagged_in_records(tmp_path):
    path = tmp_path / "lf.gpkg"
    ea_landfill_frame().to_file(path)
    result = screen_landuse(SITE, [read_layer(path)])
    (tip,) = [r for r in result.records if r.reference == "EAHLD00576"]
    assert tip.start is None and tip.start_raw == "c. 1950"
    assert tip.end == "1962"
    assert "c. 1950" in tip.date_flag
    assert tip.to_dict()["start_raw"] == "c. 1950"


def test_detect_schema():
    assert detect_schema(EA_FIELDS) == EA_SCHEMA
    assert detect_schema(["SiteReference", "GeoX", "GeoY"]) == "brownfield-register"
    assert detect_schema(["name", "use"]) is None


def test_geojson_wgs84_points_are_reprojected(tmp_path):
    pts_bng = [Point(547050, 188130), Point(546900, 188030), Point(547050, 188650)]
    frame = gpd.GeoDataFrame({"label": ["well", "pump", "far"]}, geometry=pts_bng, crs=BNG)
    path = tmp_path / "points.geojson"
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    layer = read_layer(path)
    assert layer.provenance.source_crs == "EPSG:4326"
    assert layer.gdf.crs.to_epsg() == 27700
    assert layer.kind == "generic" and layer.mapping == {}
    result = screen_landuse(SITE, [layer])
    got = {r.details["label"]: r for r in result.records}
    assert set(got) == {"well", "pump"}  # "far" is 590 m away
    assert got["well"].distance_m == pytest.approx(expected_distance(pts_bng[0]), abs=0.1)
    assert got["well"].distance_m == pytest.approx(70.0, abs=0.1)
    assert got["well"].direction == "N"
    assert got["pump"].distance_m == pytest.approx(100.0, abs=0.1)
    assert got["pump"].direction == "W"
    assert got["pump"].band == "50-250 m"
    # unmapped: attributes shown as they are, no name or category invented
    assert got["well"].name is None and got["well"].category is None
    assert result.verdicts[0].text.startswith("2 records in layer 'points' within 500 m")


def test_shapefile_lines_with_mapping(tmp_path):
    lines = [
        LineString([(546800, 187500), (546800, 188500)]),  # disused railway, 200 m west
        LineString([(547000, 188080), (547200, 188080)]),  # culvert 20 m north
        LineString([(546000, 187000), (546000, 189000)]),  # 1 km west
    ]
    frame = gpd.GeoDataFrame(
        {"KIND": ["railway", "culvert", "canal"], "OPENED": ["1854", "1902", "1800"]},
        geometry=lines,
        crs=BNG,
    )
    path = tmp_path / "lines.shp"
    frame.to_file(path)
    layer = read_layer(path, kind="industry", mapping={"category": "KIND", "start": "OPENED"})
    result = screen_landuse(SITE, [layer])
    got = {r.category: r for r in result.records}
    assert set(got) == {"railway", "culvert"}
    for i, cat in ((0, "railway"), (1, "culvert")):
        assert got[cat].distance_m == pytest.approx(expected_distance(lines[i]), abs=0.1)
        assert got[cat].direction == expected_direction(lines[i])
    assert got["railway"].distance_m == pytest.approx(200.0, abs=0.1)
    assert got["railway"].direction == "W"
    assert got["culvert"].distance_m == pytest.approx(20.0, abs=0.1)
    assert got["culvert"].band == "0-50 m"
    assert got["railway"].start == "1854"


def test_polygons_distances_bands_directions_against_shapely(tmp_path):
    frame = industry_frame()
    path = tmp_path / "industry.gpkg"
    frame.to_file(path)
    layer = read_layer(
        path,
        kind="industry",
        mapping={"category": "USE_DESC", "name": "SITE", "start": "FROM_YR", "end": "TO_YR"},
    )
    result = screen_landuse(SITE, [layer])
    by_name = {r.name: r for r in result.records}
    assert "Far Works" not in by_name  # beyond the largest band
    assert set(by_name) == {"Chadwell Gasworks", "Old Tannery", "Acid Works", "Forge"}
    geoms = dict(zip(frame["SITE"], frame.geometry, strict=True))
    for name, rec in by_name.items():
        assert rec.distance_m == pytest.approx(expected_distance(geoms[name]), abs=0.1)
        assert rec.direction == expected_direction(geoms[name])
        assert rec.distance_m >= 0
    # by hand
    assert by_name["Chadwell Gasworks"].distance_m == pytest.approx(30.0, abs=0.1)
    assert by_name["Chadwell Gasworks"].direction == "E"
    assert by_name["Chadwell Gasworks"].band == "0-50 m"
    assert by_name["Old Tannery"].distance_m == pytest.approx(math.hypot(200, 240), abs=0.1)
    assert by_name["Old Tannery"].direction == "NE"
    assert by_name["Old Tannery"].band == "250-500 m"
    # exactly 50 m: upper band edges are inclusive
    assert by_name["Acid Works"].distance_m == pytest.approx(50.0, abs=0.1)
    assert by_name["Acid Works"].band == "0-50 m"
    assert by_name["Acid Works"].direction == "S"
    assert by_name["Forge"].distance_m == 0.0
    assert by_name["Forge"].band == "on site"
    assert "not known" in by_name["Forge"].date_flag
    # records of a layer are nearest first
    dists = [r.distance_m for r in result.records]
    assert dists == sorted(dists)
    verdict = result.verdicts[0]
    assert verdict.count == 4 and verdict.on_site == 1
    assert dict(verdict.counts_by_band) == {
        "on site": 1, "0-50 m": 2, "50-250 m": 0, "250-500 m": 1,
    }  # fmt: skip


def test_feature_outside_largest_band_not_reported_custom_bands():
    frame = industry_frame()
    layer = layer_from_frame(frame, name="industry", mapping={"name": "SITE"})
    result = screen_landuse(SITE, [layer], bands_m=(0, 40))
    assert {r.name for r in result.records} == {"Chadwell Gasworks", "Forge"}
    assert result.bands_m == (0.0, 40.0)
    assert result.verdicts[0].search_m == 40


def test_brownfield_csv_recognised(tmp_path):
    path = tmp_path / "brownfield-land.csv"
    path.write_text(
        "OrganisationURI,SiteReference,SiteNameAddress,GeoX,GeoY,CoordinateReferenceSystem,"
        "Hectares,HazardousSubstances,FirstAddedDate\n"
        "http://opendatacommunities.org/id/london-borough-council/barking-and-dagenham,"
        'BD001,"Former Depot, High Road",547050,188200,OSGB36,0.42,yes,31/12/2017\n'
        "x,BD002,Far Yard,549000,188000,OSGB36,1.1,,2018-06-30\n"
        "x,BD003,No Coordinates,,,OSGB36,0.1,,2018-06-30\n",
        encoding="utf-8",
    )
    with pytest.warns(LandUseWarning, match=r"1 row\(s\) without a usable location .*row 4"):
        layer = read_layer(path)
    assert layer.kind == "brownfield"
    assert layer.provenance.dropped_features == 1
    assert layer.mapping["name"] == "SiteNameAddress"
    result = screen_landuse(SITE, [layer])
    (rec,) = result.records
    assert rec.reference == "BD001" and rec.name == "Former Depot, High Road"
    assert rec.distance_m == pytest.approx(140.0, abs=0.1)
    assert rec.direction == "N"
    assert rec.start == "2017-12-31"
    assert rec.details["Hectares"] == "0.42"
    assert rec.details["HazardousSubstances"] == "yes"
    assert result.verdicts[0].text == (
        "1 brownfield site 140 m to the north (Former Depot, High Road, on the register from 2017)."
    )


def test_brownfield_etrs89_rows(tmp_path):
    lonlat = gpd.GeoSeries([Point(547050, 188200)], crs=BNG).to_crs("EPSG:4258").iloc[0]
    path = tmp_path / "bf.csv"
    path.write_text(
        "SiteReference,SiteNameAddress,GeoX,GeoY,CoordinateReferenceSystem\n"
        f"A,Yard,{lonlat.x:.8f},{lonlat.y:.8f},ETRS89\n"
        "B,Depot,547050,188130,OSGB36\n"
    )
    layer = read_layer(path)
    assert layer.provenance.source_crs == "EPSG:27700, EPSG:4258"
    got = {r.reference: r.distance_m for r in screen_landuse(SITE, [layer]).records}
    assert got["A"] == pytest.approx(140.0, abs=0.1)
    assert got["B"] == pytest.approx(70.0, abs=0.1)


def test_brownfield_without_crs_column_needs_crs(tmp_path):
    path = tmp_path / "bf.csv"
    path.write_text("SiteReference,GeoX,GeoY\nA,547050,188200\n")
    with pytest.raises(CRSError, match="--crs"):
        read_layer(path)
    layer = read_layer(path, crs="EPSG:27700")
    assert layer.feature_count == 1


def test_epoch_layer_timeline_shares(tmp_path):
    site_plus = SITE.buffer(30)
    residential = shapely.intersection(site_plus, box(546900, 187900, 547096, 188200))
    allotments = shapely.difference(site_plus, box(546900, 187900, 547096, 188200))
    frame = gpd.GeoDataFrame(
        {
            "MAP_YR": ["1895", "1920", "1938", "1938", "1938", "c.1960"],
            "LU_CLASS": ["fields", "fields", "residential", "allotments", "gasworks", "houses"],
        },
        geometry=[
            site_plus,
            site_plus,
            residential,
            allotments,
            box(547300, 188000, 547400, 188100),  # 200 m east, off the site
            SITE,
        ],
        crs=BNG,
    )
    path = tmp_path / "epochs.gpkg"
    frame.to_file(path)
    layer = read_layer(path, mapping={"epoch": "MAP_YR", "category": "LU_CLASS"})
    assert layer.kind == "epochs"
    timeline = landuse_timeline(SITE, layer)
    assert [t.epoch for t in timeline] == [1895, 1920, 1938, "c.1960"]
    for t in timeline:
        total = sum(c.share_pct for c in t.classes) + t.unmapped_pct
        assert total == pytest.approx(100.0, abs=0.01)
    assert [(c.category, round(c.share_pct, 6)) for c in timeline[0].classes] == [("fields", 100.0)]
    t1938 = timeline[2]
    expected_res = 100 * SITE.intersection(residential).area / SITE.area
    assert t1938.classes[0].category == "residential"
    assert t1938.classes[0].share_pct == pytest.approx(expected_res, abs=1e-6)
    assert t1938.classes[1].category == "allotments"
    assert "gasworks" not in [c.category for c in t1938.classes]
    assert timeline[3].epoch_flag is not None
    result = screen_landuse(SITE, [layer])
    assert result.timeline == timeline
    text = result.verdicts[0].text
    assert text.startswith("Land use on the site by map epoch: 1895 fields; 1920 fields; 1938 ")
    assert "gasworks, on the 1938 map" in text
    gas = [r for r in result.records if r.category == "gasworks"][0]
    assert gas.epoch == 1938 and gas.direction == "E"
    assert gas.distance_m == pytest.approx(200.0, abs=0.1)


def test_epoch_layer_detected_by_field_names(tmp_path):
    frame = gpd.GeoDataFrame(
        {"epoch": [1895, 1938], "landuse": ["fields", "residential"]},
        geometry=[SITE.buffer(5), box(547000, 188000, 547050, 188060)],
        crs=BNG,
    )
    layer = layer_from_frame(frame, name="epochs")
    assert layer.kind == "epochs"
    assert layer.mapping == {"epoch": "epoch", "category": "landuse"}
    timeline = landuse_timeline(SITE, layer)
    assert timeline[1].classes[0].share_pct == pytest.approx(100 * 3000 / SITE.area)
    assert timeline[1].unmapped_pct == pytest.approx(100 - 100 * 3000 / SITE.area)


def test_timeline_needs_epoch_field():
    layer = layer_from_frame(industry_frame(), name="x")
    with pytest.raises(InputError, match="--epoch-field"):
        landuse_timeline(SITE, layer)


# --------------------------------------------------------------------------- verdicts


def test_verdict_single_record_sentence():
    frame = ea_landfill_frame().iloc[[0]]
    layer = layer_from_frame(frame, name="ea")
    result = screen_landuse(SITE, [layer])
    assert result.verdicts[0].text == (
        "1 historic landfill site 104 m to the north "
        "(Former Clay Lane Pit, waste accepted 1931-1948)."
    )
    assert result.verdicts[0].nearest_m == pytest.approx(104.0)


def test_verdict_empty_result_says_nothing_found_and_how_far():
    far = ea_landfill_frame().iloc[[2]]
    layer = layer_from_frame(far, name="ea")
    result = screen_landuse(SITE, [layer])
    assert result.records == ()
    assert result.verdicts[0].text == "No records of historic landfill within 500 m."
    assert result.verdicts[0].count == 0 and result.verdicts[0].nearest_m is None
    other = screen_landuse(SITE, [layer], bands_m=(0, 100, 250))
    assert other.verdicts[0].text == "No records of historic landfill within 250 m."
    generic = layer_from_frame(far[["geometry"]], name="council-uses")
    assert screen_landuse(SITE, [generic]).verdicts[0].text == (
        "No records in layer 'council-uses' within 500 m."
    )


def test_verdict_several_with_on_site():
    layer = layer_from_frame(industry_frame(), name="uses", kind="industry",
                             mapping={"name": "SITE"})  # fmt: skip
    text = screen_landuse(SITE, [layer]).verdicts[0].text
    assert text.startswith("4 former industrial sites within 500 m, 1 of them on the site (Forge")


def test_verdict_several_nearest_off_site():
    frame = ea_landfill_frame().iloc[[0, 1]]
    text = screen_landuse(SITE, [layer_from_frame(frame, name="ea")]).verdicts[0].text
    assert text == (
        "2 historic landfill sites within 500 m; the nearest is 104 m to the north "
        "(Former Clay Lane Pit, waste accepted 1931-1948)."
    )


# --------------------------------------------------------------------------- results


def test_to_dict_shape_and_json():
    layer = layer_from_frame(ea_landfill_frame(), name="ea")
    result = screen_landuse(SITE, [layer])
    d = result.to_dict()
    assert list(d) == ["records", "timeline", "verdicts", "bands_m", "layers",
                       "synthetic_demo_data"]
    assert d["synthetic_demo_data"] is False
    assert d["bands_m"] == [0.0, 50.0, 250.0, 500.0]
    assert d["layers"][0]["name"] == "ea" and d["layers"][0]["feature_count"] == 3
    rec = d["records"][0]
    for key in ("layer", "name", "category", "distance_m", "direction", "band", "start", "end",
                "start_raw", "end_raw", "date_flag", "details"):  # fmt: skip
        assert key in rec
    json.dumps(d)  # JSON-ready


def test_results_are_frozen():
    layer = layer_from_frame(ea_landfill_frame(), name="ea")
    result = screen_landuse(SITE, [layer])
    with pytest.raises(AttributeError):
        result.records = ()
    with pytest.raises(AttributeError):
        result.records[0].distance_m = 1.0


def test_area_from_boundaries_reprojects_and_unions():
    plots = gpd.GeoDataFrame(geometry=[PLOT_A, PLOT_B], crs=BNG).to_crs("EPSG:4326")
    area = area_from_boundaries(plots)
    assert area.area == pytest.approx(SITE.area, rel=1e-6)
    with pytest.raises(CRSError):
        area_from_boundaries(gpd.GeoDataFrame(geometry=[PLOT_A]))


def test_area_in_degrees_rejected():
    layer = layer_from_frame(ea_landfill_frame(), name="ea")
    with pytest.raises(CRSError, match="longitude/latitude"):
        screen_landuse(box(0.14, 51.57, 0.15, 51.58), [layer])
    with pytest.raises(InputError):
        screen_landuse(shapely.Polygon(), [layer])


def test_invalid_layer_geometry_repaired():
    bowtie = shapely.Polygon([(547000, 188100), (547100, 188200), (547100, 188100),
                              (547000, 188200)])  # fmt: skip
    frame = gpd.GeoDataFrame({"epoch": [1900], "use": ["pit"]}, geometry=[bowtie], crs=BNG)
    layer = layer_from_frame(frame, name="bow")
    assert layer.gdf.geometry.is_valid.all()
    assert screen_landuse(SITE, [layer]).records[0].distance_m == pytest.approx(40.0)


def test_kinds_match_cli_choices():
    from airq.cli.layers import KIND_CHOICES

    assert KIND_CHOICES == KINDS


def test_analysis_modules_do_not_import_click_or_folium():
    code = (
        "import sys, airq.analyse.landuse, airq.read.catalogue.layers, airq.render.tiles, "
        "airq.render.landuse_text; "
        "print('click' in sys.modules, 'folium' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_many_features_vectorised():
    rng = np.random.default_rng(3)
    n = 25_000
    xs = rng.uniform(537000, 557000, n)
    ys = rng.uniform(178000, 198000, n)
    frame = gpd.GeoDataFrame(
        {"ref": np.arange(n).astype(str)}, geometry=gpd.points_from_xy(xs, ys), crs=BNG
    )
    layer = layer_from_frame(frame, name="many", mapping={"reference": "ref"})
    result = screen_landuse(SITE, [layer])
    expected = shapely.distance(SITE, frame.geometry.to_numpy())
    inside = np.flatnonzero(expected <= 500)
    assert len(result.records) == len(inside)
    got = {int(r.reference): r.distance_m for r in result.records}
    assert all(abs(got[i] - expected[i]) < 0.1 for i in inside)


# --------------------------------------------------------------------------- properties

OFFSET_M = 900.0  # features are placed up to this far from the site's corner


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-OFFSET_M, OFFSET_M), st.floats(-OFFSET_M, OFFSET_M)),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.floats(1, 800), min_size=1, max_size=4, unique=True),
)
def test_property_distances_bands_directions(offsets, edges):
    pts = [Point(547000 + dx, 188000 + dy) for dx, dy in offsets]
    frame = gpd.GeoDataFrame({"i": range(len(pts))}, geometry=pts, crs=BNG)
    bands = sorted(edges)
    result = screen_landuse(SITE, [layer_from_frame(frame, name="p")], bands_m=bands)
    reported = {r.details["i"]: r for r in result.records}
    for i, p in enumerate(pts):
        d = expected_distance(p)
        assert (i in reported) == (d <= bands[-1])
        if i in reported:
            r = reported[i]
            assert r.distance_m >= 0
            assert r.distance_m == pytest.approx(d, abs=1e-6)
            assert r.band == result.band_labels[band_index(r.distance_m, bands)]
            assert r.direction == expected_direction(p)
    # band assignment is monotone in distance
    ordered = sorted(result.records, key=lambda r: r.distance_m)
    idx = [result.band_labels.index(r.band) for r in ordered]
    assert idx == sorted(idx)
    assert sum(n for _, n in result.verdicts[0].counts_by_band) == len(result.records)


def test_multi_layer_geopackage_first_layer_or_named(tmp_path):
    path = tmp_path / "council.gpkg"
    ea_landfill_frame().to_file(path, layer="landfill")
    industry_frame().to_file(path, layer="industry")
    first = read_layer(path)
    assert first.provenance.source_layer == "landfill" and first.kind == "landfill"
    named = read_layer(path, layer="industry", mapping={"name": "SITE"})
    assert named.provenance.source_layer == "industry" and named.kind == "generic"
    with pytest.raises(InputError, match="its layers are: landfill, industry"):
        read_layer(path, layer="nope")


def test_missing_and_folder_inputs(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_layer(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="folder"):
        read_layer(tmp_path)


def test_csv_without_coordinates_lists_columns(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("site,use\nA,works\n")
    with pytest.raises(InputError, match="its columns are: site, use"):
        read_layer(path)


def test_generic_csv_with_eastings_needs_crs(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("name,easting,northing\nWell,547050,188130\n")
    with pytest.raises(CRSError, match="--crs"):
        read_layer(path)
    layer = read_layer(path, crs="EPSG:27700", mapping={"name": "name"})
    rec = screen_landuse(SITE, [layer]).records[0]
    assert rec.name == "Well" and rec.distance_m == pytest.approx(70.0)
