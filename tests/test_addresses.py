"""Readers of INSPIRE polygons and address points, the join and the selection."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from address_layouts import (
    inspire_gml,
    onspd_csv,
    onsud_csv,
    open_uprn_csv,
    write_code_point_zip,
    write_inspire_zip,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from airq.analyse.addresses import (
    NO_PARCEL,
    OUTSIDE,
    AddressCriteria,
    AddressWarning,
    group_parcels,
    join_addresses,
    parcel_summary,
    select_addresses,
)
from airq.errors import InputError
from airq.read.addresses import (
    normalise_postcode,
    read_addresses,
    read_postcode_directory,
)
from airq.read.boundaries import read_boundaries
from airq.read.inspire import read_gml_frame

BOXES = [shapely.box(530000 + 15 * i, 180000, 530015 + 15 * i, 180030) for i in range(4)]
IDS = [23456781, 23456782, 23456783, 23456784]


# --------------------------------------------------------------------------- postcodes


@pytest.mark.parametrize("text, expected", [
    ("RM6 6EA", "RM6 6EA"), ("rm66ea", "RM6 6EA"), (" RM6 6EA ", "RM6 6EA"),
    ("rm6  6ea", "RM6 6EA"), ("SW1A1AA", "SW1A 1AA"), ("W1A 0AX", "W1A 0AX"),
    ("EC1A 1BB", "EC1A 1BB"), ("M1 1AE", "M1 1AE"), ("gir0aa", "GIR 0AA"),
    ("RM6", None), ("RM6 6E", None), ("6EA RM6", None), ("RM6 6EAA", None), ("", None),
])
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


# --------------------------------------------------------------------------- INSPIRE GML


def _listing(folder):
    return sorted(os.listdir(folder))


def test_inspire_zip_with_second_file_reads_and_writes_nothing(tmp_path):
    z = write_inspire_zip(tmp_path / "Barking_and_Dagenham.zip", BOXES, IDS)
    before = _listing(tmp_path)
    b = read_boundaries(z)
    assert _listing(tmp_path) == before  # no .gfs, no extracted copy
    assert b.n_features == 4 and b.member == "Land_Registry_Cadastral_Parcels.gml"
    assert b.crs == "EPSG:27700" and b.id_column == "INSPIREID"
    assert b.gdf["airq_id"].tolist() == [str(i) for i in IDS]
    for got, want in zip(b.gdf.geometry, BOXES, strict=True):
        assert got.equals(want)
    assert b.to_dict()["member"] == "Land_Registry_Cadastral_Parcels.gml"


def test_bare_gml_writes_no_gfs(tmp_path):
    gml = tmp_path / "Land_Registry_Cadastral_Parcels.gml"
    gml.write_text(inspire_gml(BOXES, IDS))
    before = _listing(tmp_path)
    gdf = read_gml_frame(gml)
    assert _listing(tmp_path) == before
    assert len(gdf) == 4 and str(gdf["INSPIREID"].dtype) == "string"
    assert set(gdf.columns) >= {"INSPIREID", "LABEL", "NATIONALCADASTRALREFERENCE",
                                "VALIDFROM", "BEGINLIFESPANVERSION", "geometry"}


def test_polygon_with_hole(tmp_path):
    holed = shapely.Polygon(BOXES[0].exterior.coords,
                            [shapely.box(530005, 180010, 530010, 180020).exterior.coords])
    gml = tmp_path / "p.gml"
    gml.write_text(inspire_gml([holed], [1]))
    gdf = read_gml_frame(gml)
    assert gdf.geometry.iloc[0].area == pytest.approx(holed.area)


def test_truncated_gml_is_an_error(tmp_path):
    text = inspire_gml(BOXES, IDS)
    gml = tmp_path / "Land_Registry_Cadastral_Parcels.gml"
    gml.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match="incomplete.*truncated"):
        read_gml_frame(gml)


@pytest.mark.parametrize("ids, message", [
    ([IDS[0], IDS[0], IDS[2], IDS[3]], "INSPIREID 23456781 is held by features 1, 2"),
    ([IDS[0], IDS[1], "", IDS[3]], "feature 3 has no INSPIREID"),
])
def test_blank_or_repeated_inspireid_is_an_error(tmp_path, ids, message):
    # a repeated id counted one title twice (n_boundaries); a blank one made every
    # output name the boundaries by row number instead of INSPIREID
    gml = tmp_path / "Land_Registry_Cadastral_Parcels.gml"
    gml.write_text(inspire_gml(BOXES, ids))
    with pytest.raises(InputError, match=message) as err:
        read_gml_frame(gml)
    assert "Land_Registry_Cadastral_Parcels.gml" in str(err.value)


def test_member_gdal_cannot_read_is_an_error(tmp_path):
    text = inspire_gml(BOXES, IDS).replace("<LR:PREDEFINED", "<LR:OTHER", 1).replace(
        "</LR:PREDEFINED>", "</LR:OTHER>", 1)
    gml = tmp_path / "x.gml"
    gml.write_text(text)
    with pytest.raises(InputError, match=r"several layers \(PREDEFINED, OTHER\)|OTHER"):
        read_gml_frame(gml)


def test_zip_without_gml_or_with_two(tmp_path):
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(InputError, match="holds no GML file"):
        read_boundaries(z)
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("one.gml", inspire_gml(BOXES[:1], IDS[:1]))
        zf.writestr("two.gml", inspire_gml(BOXES[1:], IDS[1:]))
    with pytest.raises(InputError, match=r"several GML files.*a\.zip!one\.gml"):
        read_boundaries(z)
    assert read_boundaries(f"{z}!two.gml").n_features == 3


def test_not_a_zip(tmp_path):
    z = tmp_path / "a.zip"
    z.write_text("not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        read_boundaries(z)


# --------------------------------------------------------------------------- addresses


ROWS = [(100023456781, 530007, 180015, "RM6 6EA"), (100023456782, 530022, 180015, "RM6 6EA"),
        (100023456783, 530037, 180015, "RM6 6EB"), (100023456784, 530052, 180015, "RM6 6EB")]


def test_onsud(tmp_path):
    p = tmp_path / "ONSUD_MAY_2025_LN.csv"
    p.write_text(onsud_csv(ROWS))
    a = read_addresses(p)
    assert a.layout == "onsud" and a.has_postcodes and not a.has_streets
    assert a.frame["uprn"].tolist() == [r[0] for r in ROWS]
    assert a.frame["x"].tolist() == [r[1] for r in ROWS]
    assert a.frame["postcode"].tolist() == [r[3] for r in ROWS]
    d = a.to_dict()
    assert d["layout"] == "onsud" and len(d["sha256"]) == 64 and d["n_addresses"] == 4


def test_onsud_in_a_zip(tmp_path):
    z = tmp_path / "ONSUD_MAY_2025.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("Data/ONSUD_MAY_2025_LN.csv", onsud_csv(ROWS))
        zf.writestr("Data/ONSUD_MAY_2025_EE.csv", onsud_csv(ROWS[:1]))
        zf.writestr("Documents/ONSUD User Guide.txt", "guide")
    with pytest.raises(InputError, match=r"holds 2 CSV files.*!MEMBER"):
        read_addresses(z)
    a = read_addresses(f"{z}!Data/ONSUD_MAY_2025_LN.csv")
    assert len(a.frame) == 4 and a.name == "ONSUD_MAY_2025.zip!Data/ONSUD_MAY_2025_LN.csv"


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("GRIDGB1E", "EASTING_X"), "cannot tell the address layout"),
    (lambda t: t.replace("100023456782", "100023456781"),
     "UPRN 100023456781 appears on rows 2, 3"),
    (lambda t: t.replace("100023456782", "1.00023E+11"), "row 3: UPRN '1.00023E\\+11'.*"
                                                          "scientific notation"),
    (lambda t: t.replace("100023456782", ""), "row 3: UPRN '' is empty"),
    (lambda t: t.replace("530022,180015", "51.5,-0.12"), "row 3: GRIDGB1N '-0.12' lies outside"),
    (lambda t: t.replace("530022,180015", "0.1246,51.566"),
     "row 3: GRIDGB1E,GRIDGB1N '0.1246,51.566' looks like longitude/latitude"),
    (lambda t: t.replace("530022,180015", "0,0"), "row 3: .*missing position written as 0"),
    (lambda t: t.replace("530022,180015", "180015,530022"), None),
    (lambda t: t.replace("530022,180015", "5300220,180015"), "row 3: GRIDGB1E '5300220' lies"),
    (lambda t: t.replace("530022,180015", "x,180015"), "row 3: GRIDGB1E 'x' is not a number"),
    (lambda t: t.replace(",RM6 6EB,", ",RM6 6E,", 1), "row 4: PCDS 'RM6 6E' is not a "
                                                      "well-formed UK postcode"),
])
def test_damaged_onsud(tmp_path, change, message):
    p = tmp_path / "ONSUD.csv"
    p.write_text(change(onsud_csv(ROWS)))
    if message is None:  # swapped easting/northing still lie inside GB: plausible, read
        read_addresses(p)
        return
    with pytest.raises(InputError, match=message) as err:
        read_addresses(p)
    assert "\n" not in str(err.value) and "ONSUD.csv" in str(err.value)


def test_empty_and_header_only(tmp_path):
    p = tmp_path / "ONSUD.csv"
    p.write_text("")
    with pytest.raises(InputError, match="is empty"):
        read_addresses(p)
    p.write_text(onsud_csv([]))
    with pytest.raises(InputError, match="no address"):
        read_addresses(p)
    with pytest.raises(InputError, match="not found"):
        read_addresses(tmp_path / "missing.csv")


def test_os_open_uprn_has_no_postcodes(tmp_path):
    p = tmp_path / "osopenuprn_202501.csv"
    p.write_text(open_uprn_csv(ROWS))
    a = read_addresses(p)
    assert a.layout == "os-open-uprn" and not a.has_postcodes
    assert a.frame["postcode"].isna().all()


def test_gazetteer_by_named_columns_and_by_common_names(tmp_path):
    p = tmp_path / "llpg.csv"
    lines = ["UPRN_NO,STREET_DESCRIPTOR,PAO_START_NUMBER,POSTCODE_LOCATOR,EAST,NORTH"]
    lines += [f"{u},Acacia  Road ,{i + 1},{pc.lower().replace(' ', '')},{x},{y}"
              for i, (u, x, y, pc) in enumerate(ROWS)]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="cannot tell the address layout"):
        read_addresses(p)
    a = read_addresses(p, columns={"uprn": "UPRN_NO", "street": "STREET_DESCRIPTOR",
                                   "number": "PAO_START_NUMBER", "postcode": "POSTCODE_LOCATOR",
                                   "x": "EAST", "y": "NORTH"})
    assert a.layout == "gazetteer" and a.has_streets
    assert set(a.frame["street"]) == {"Acacia Road"}
    assert a.frame["postcode"].tolist() == [r[3] for r in ROWS]
    assert a.frame["number"].tolist() == ["1", "2", "3", "4"]
    with pytest.raises(InputError, match="no column 'STREET' .for street."):
        read_addresses(p, columns={"street": "STREET", "uprn": "UPRN_NO", "x": "EAST",
                                   "y": "NORTH"})
    with pytest.raises(InputError, match="say which column holds x"):
        read_addresses(p, columns={"uprn": "UPRN_NO", "y": "NORTH"})
    q = tmp_path / "gaz.csv"
    q.write_text(p.read_text().replace("EAST,NORTH", "Easting,Northing").replace(
        "UPRN_NO", "uprn").replace("STREET_DESCRIPTOR", "Street_Name").replace(
        "POSTCODE_LOCATOR", "Postcode"))
    b = read_addresses(q)
    assert b.columns == {"uprn": "uprn", "x": "Easting", "y": "Northing",
                         "postcode": "Postcode", "street": "Street_Name",
                         "number": "PAO_START_NUMBER"}


# --------------------------------------------------------------------------- directories


PCS = [("RM6 6EA", 530020, 180020, ""), ("RM6 6EB", 530040, 180020, ""),
       ("RM6 6EX", 530060, 180020, "201904")]


@pytest.mark.parametrize("naming", ["old", "2025"])
def test_onspd_both_namings(tmp_path, naming):
    p = tmp_path / "ONSPD.csv"
    p.write_text(onspd_csv(PCS, naming))
    d = read_postcode_directory(p)
    assert d.layout == ("onspd" if naming == "old" else "onspd-2025")
    assert d.centroid("RM6 6EA") == (530020.0, 180020.0, False)
    assert d.centroid("RM6 6EX")[2] is True
    assert d.centroid("RM6 6ZZ") is None


def test_code_point_open_zip_and_extracted_file(tmp_path):
    z = write_code_point_zip(tmp_path / "codepo_gb.zip", [r[:3] for r in PCS])
    d = read_postcode_directory(z)
    assert d.layout == "code-point-open" and d.centroid("RM6 6EB") == (530040.0, 180020.0,
                                                                        False)
    with zipfile.ZipFile(z) as zf:
        zf.extractall(tmp_path / "codepo")
    e = read_postcode_directory(tmp_path / "codepo" / "Data" / "CSV" / "rm.csv")
    assert len(e.frame) == 3
    lone = tmp_path / "rm.csv"
    lone.write_bytes((tmp_path / "codepo" / "Data" / "CSV" / "rm.csv").read_bytes())
    with pytest.raises(InputError, match="give the Code-Point Open zip"):
        read_postcode_directory(lone)


# --------------------------------------------------------------------------- join


def _frame(rows):
    return pd.DataFrame({"uprn": [r[0] for r in rows], "x": [float(r[1]) for r in rows],
                         "y": [float(r[2]) for r in rows],
                         "postcode": pd.array([r[3] for r in rows], dtype="string")})


def test_join_edges_overlaps_unmatched_outside():
    over = shapely.box(530040, 180020, 530070, 180040)  # overlaps boxes 2 and 3
    geoms = [*BOXES, over]
    rows = [(1, 530007, 180015, "A1 1AA"),   # box 0
            (2, 530015, 180015, "A1 1AA"),   # on the edge shared by boxes 0 and 1
            (3, 530050, 180025, "A1 1AB"),   # box 3 and the overlapping title
            (4, 530005, 180035, "A1 1AB"),   # inside the extent, on no polygon
            (5, 540000, 190000, "A1 1AC")]   # outside the extent
    j = join_addresses(geoms, _frame(rows))
    got = {(u, p) for u, p in zip(j.links["uprn"], j.links["parcel"], strict=True)}
    assert got == {(1, 0), (2, 0), (2, 1), (3, 3), (3, 4), (4, NO_PARCEL), (5, OUTSIDE)}
    assert (j.n_addresses, j.n_unmatched, j.n_outside, j.n_shared) == (5, 1, 1, 2)
    assert j.counts.tolist() == [2, 1, 0, 1, 1]
    s = parcel_summary(j.links, len(geoms))
    assert s["n_addresses"].tolist() == [2, 1, 0, 1, 1]
    assert s["postcodes"].tolist() == ["A1 1AA", "A1 1AA", "", "A1 1AB", "A1 1AB"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(529990, 530080), st.floats(179990, 180040)),
                min_size=1, max_size=40))
def test_join_matches_brute_force_covers(points):
    rows = [(i + 1, x, y, "A1 1AA") for i, (x, y) in enumerate(points)]
    j = join_addresses(BOXES, _frame(rows))
    want = {(i + 1, k) for i, (x, y) in enumerate(points) for k, b in enumerate(BOXES)
            if b.covers(shapely.Point(x, y))}
    got = {(u, p) for u, p in zip(j.links["uprn"], j.links["parcel"], strict=True) if p >= 0}
    assert got == want
    # every address appears: held, or once with a negative parcel
    assert set(j.links["uprn"]) == {r[0] for r in rows}
    assert j.counts.sum() == len(want)


# --------------------------------------------------------------------------- selection


@pytest.fixture
def links():
    rows = [(1, 530007, 180015, "RM6 6EA"), (2, 530022, 180015, "RM6 6EA"),
            (3, 530037, 180015, "RM6 6EB"), (4, 530052, 180015, "RM6 6EB"),
            (5, 530053, 180016, "RM6 6ED"), (6, 530054, 180017, "RM6 6ED"),
            (7, 530100, 180100, "RM6 6EA")]
    j = join_addresses(BOXES, _frame(rows))
    return j.links


def test_select_postcode(links):
    with pytest.warns(AddressWarning, match="1 of the 3 addresses of postcode RM6 6EA lies on "
                                            "no boundary.*UPRN 7"):
        sel = select_addresses(links, AddressCriteria(postcodes=("RM6 6EA",)), source="f.csv")
    assert sel.parcels.tolist() == [0, 1] and sel.n_addresses == 3 and sel.unmatched == (7,)
    assert sel.summary() == ("boundaries holding the addresses of postcode RM6 6EA: "
                             "2 boundaries, 3 addresses")


def test_select_flats_counted_once(links):
    sel = select_addresses(links, AddressCriteria(postcodes=("RM6 6ED", "RM6 6EB")),
                           source="f.csv")
    assert sel.parcels.tolist() == [2, 3] and sel.n_addresses == 4
    one = select_addresses(links, AddressCriteria(uprns=(5, 6, 4)), source="f.csv")
    assert one.parcels.tolist() == [3] and one.n_boundaries == 1 and one.n_addresses == 3
    assert one.summary().endswith("1 boundary, 3 addresses")


def test_select_unknown_postcode_names_it_and_its_sector(links):
    with pytest.raises(InputError) as err:
        select_addresses(links, AddressCriteria(postcodes=("RM6 6EZ",)), source="ONSUD.csv")
    assert str(err.value) == ("no address in ONSUD.csv has postcode RM6 6EZ; postcodes of "
                              "sector RM6 6 in it: RM6 6EA, RM6 6EB, RM6 6ED")
    with pytest.raises(InputError, match="it has no postcode of sector RM7 1"):
        select_addresses(links, AddressCriteria(postcodes=("RM7 1AA",)), source="ONSUD.csv")


def test_select_other_failures(links):
    with pytest.raises(InputError, match="no address in f.csv has UPRN 99"):
        select_addresses(links, AddressCriteria(uprns=(99,)), source="f.csv")
    with pytest.raises(InputError, match="gives no postcodes.*ONSUD"):
        select_addresses(links, AddressCriteria(postcodes=("RM6 6EA",)), source="o.csv",
                         has_postcodes=False, layout_name="OS Open UPRN")
    with pytest.raises(InputError, match="gives no street names"):
        select_addresses(links, AddressCriteria(streets=("X",)), source="o.csv",
                         has_streets=False)
    with pytest.raises(InputError, match="matches postcode RM6 6EA and UPRN 3 together"):
        select_addresses(links, AddressCriteria(postcodes=("RM6 6EA",), uprns=(3,)),
                         source="f.csv")
    with pytest.raises(InputError, match=r"the 1 address of UPRN 7 lies outside the extent"):
        select_addresses(links, AddressCriteria(uprns=(7,)), source="f.csv")
    with pytest.raises(InputError, match=r"within 5 m of 0,0; the nearest is UPRN"):
        select_addresses(links, AddressCriteria(near=(0.0, 0.0), radius_m=5), source="f.csv")
    with pytest.raises(InputError, match="say which addresses"):
        select_addresses(links, AddressCriteria(), source="f.csv")


def test_select_near_and_street():
    rows = [(1, 530007, 180015, "RM6 6EA"), (2, 530022, 180015, "RM6 6EA")]
    df = _frame(rows).assign(street=pd.array(["Acacia Road", "Birch Close"], dtype="string"))
    links = join_addresses(BOXES, df).links
    sel = select_addresses(links, AddressCriteria(near=(530007.0, 180015.0), radius_m=10),
                           source="f.csv")
    assert sel.parcels.tolist() == [0]
    sel = select_addresses(links, AddressCriteria(streets=("acacia  road",)), source="f.csv")
    assert sel.parcels.tolist() == [0]
    with pytest.raises(InputError, match="closest: Acacia Road"):
        select_addresses(links, AddressCriteria(streets=("Acacia Rd",)), source="f.csv")


def test_group_parcels_block_in_two_postcodes():
    rows = [(1, 530007, 180015, "RM6 6EA"), (2, 530008, 180016, "RM6 6EB"),
            (3, 530022, 180015, "RM6 6EB")]
    pairs = group_parcels(join_addresses(BOXES, _frame(rows)).links, "postcode")
    assert list(map(tuple, pairs.to_numpy())) == [("RM6 6EA", 0), ("RM6 6EB", 0),
                                                  ("RM6 6EB", 1)]


def test_criteria_words():
    c = AddressCriteria(postcodes=("RM6 6EA", "RM6 6EB"))
    assert c.describe() == "boundaries holding the addresses of postcodes RM6 6EA, RM6 6EB"
    assert c.label() == "postcodes RM6 6EA, RM6 6EB"
    c = AddressCriteria(uprns=(1,), streets=("Acacia Road",), near=(530000.0, 180000.0),
                        radius_m=50)
    assert c.describe() == ("boundaries holding the addresses with UPRN 1 and on Acacia Road "
                            "and within 50 m of 530000,180000")
    assert np.isclose(c.to_dict()["radius_m"], 50)
