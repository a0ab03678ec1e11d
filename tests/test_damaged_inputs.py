"""Damaged and ambiguous inputs (issue 10): each gives an error naming the file and the line,
row or cell, or a result whose warning reaches every output; never a plausible number.

Files are written in the published layouts (tests/conftest.py) and then damaged as a
hostile tester would. The scene: a 12 x 10 grid of 20 m cells and "Orchard Close",
four plots holding 12 cell centres (rows 4-6, columns 3-6); its damaged cell is row 5,
column 4 (centre x=530090, y=180090; line 12, value 5 of the .asc, line 66 of a point CSV).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from airq.cli import cli
from tests.conftest import write_asc, write_points_csv

XLL, YLL, CS = 530000.0, 180000.0, 20.0
NROWS, NCOLS = 10, 12
BAD = (5, 4)  # row, col of the damaged cell inside the area
BAD_XY = "x=530090, y=180090"
AREA = [(r, c) for r in (4, 5, 6) for c in (3, 4, 5, 6)]
NAME = "PostLAEI2013_2020_NO2"


def clean_values(seed=1):
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(20, 36, size=(NROWS, NCOLS)), 3)


def true_mean(values, skip=()):
    return float(np.mean([values[rc] for rc in AREA if rc not in skip]))


@pytest.fixture
def scene(tmp_path):
    """Clean grid (.asc), its values, and the boundaries file."""
    values = clean_values()
    asc = write_asc(tmp_path / f"{NAME}.asc", values, XLL, YLL)
    plots = [shapely.box(530060 + 20 * i, 180060, 530080 + 20 * i, 180120) for i in range(4)]
    plots.append(shapely.box(530190, 180150, 530230, 180190))
    gdf = gpd.GeoDataFrame({"plot_id": [f"OC-{i}" for i in range(4)] + ["FL-1"],
                            "street": ["Orchard Close"] * 4 + ["Far Lane"]},
                           geometry=plots, crs="EPSG:27700")
    gdf.to_file(tmp_path / "plots.gpkg", engine="pyogrio")
    return tmp_path, values, asc


def query(runner, folder, grid, *extra, fmt="json", spec="no2:2020"):
    args = ["query", str(folder / "plots.gpkg"), "--where", "street=Orchard Close",
            "--grid", f"{spec}={grid}", "--no-layers", "-f", fmt, *extra]
    return runner.invoke(cli, args)


def assert_one_line_error(res, *patterns):
    assert res.exit_code == 1, (res.exit_code, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr and "\n" not in err, err
    assert err.startswith("Error: ")
    for p in patterns:
        assert re.search(p, err), (p, err)
    return err


def damage_line(path, line_no, fn):
    lines = path.read_text().split("\n")
    lines[line_no - 1] = fn(lines[line_no - 1])
    path.write_text("\n".join(lines))


def set_token(line, index, token):
    toks = line.split(" ")
    toks[index] = token
    return " ".join(toks)


# ---------------------------------------------------------------- the table


def test_clean_scene_gives_the_true_mean(runner, scene):
    folder, values, asc = scene
    res = query(runner, folder, asc)
    assert res.exit_code == 0, res.stderr
    (row,) = json.loads(res.stdout)["results"]
    assert row["n_points"] == 12 and row["mean"] == pytest.approx(true_mean(values), abs=1e-6)
    assert row["n_implausible"] == 0


def test_asc_abc_in_a_cell(runner, scene):
    folder, _, asc = scene
    damage_line(asc, 12, lambda s: set_token(s, 4, "abc"))
    assert_one_line_error(query(runner, folder, asc), r"PostLAEI2013_2020_NO2\.asc line 12, "
                          r"value 5 \(cell centre x=530090, y=180090\): 'abc' is not a number")


def test_asc_row_one_value_short(runner, scene):
    folder, _, asc = scene
    damage_line(asc, 12, lambda s: " ".join(s.split(" ")[:-1]))
    assert_one_line_error(query(runner, folder, asc),
                          r"\.asc line 12: row 6 holds 11 values, the header's ncols is 12")


def test_asc_ncols_one_more_than_the_rows_hold(runner, scene):
    folder, _, asc = scene
    asc.write_text(asc.read_text().replace("ncols        12", "ncols        13"))
    assert_one_line_error(query(runner, folder, asc),
                          r"\.asc line 7: row 1 holds 12 values, the header's ncols is 13")


@pytest.mark.parametrize("token, shown", [("-999", "-999 µg/m³"), ("1e30", "1e\\+30 µg/m³"),
                                          ("nan", "NaN \\(not the declared NODATA\\)"),
                                          ("inf", "inf µg/m³"), ("-9998", "-9998 µg/m³"),
                                          ("1500", "1500 µg/m³")])
def test_asc_implausible_value_in_the_area(runner, scene, token, shown):
    folder, values, asc = scene
    damage_line(asc, 12, lambda s: set_token(s, 4, token))
    assert_one_line_error(
        query(runner, folder, asc),
        rf"PostLAEI2013_2020_NO2\.asc: the NO2 2020 \(LAEI 2013 \(update\)\) grid value at "
        rf"{BAD_XY}: {shown} inside Orchard Close cannot be a modelled annual mean "
        r"\(plausible: 0 to 1000 µg/m³\); check the file, or pass --drop-implausible")
    # --drop-implausible: left out, counted, and warned in JSON, text and CSV
    res = query(runner, folder, asc, "--drop-implausible")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    (row,) = doc["results"]
    assert row["n_points"] == 11 and row["n_implausible"] == 1 and row["n_nodata"] == 0
    assert row["mean"] == pytest.approx(true_mean(values, skip=[BAD]), abs=1e-6)
    warned = [w for w in doc["warnings"] if "left out (--drop-implausible)" in w]
    assert len(warned) == 1 and BAD_XY in warned[0]
    assert doc["provenance"]["settings"]["drop_implausible"] is True
    text = query(runner, folder, asc, "--drop-implausible", fmt="text").stdout
    assert warned[0] in text and "1 implausible value(s) left out (--drop-implausible)" in text
    csv = query(runner, folder, asc, "--drop-implausible", fmt="csv").stdout
    assert "left out (--drop-implausible)" in csv.splitlines()[1]
    md = query(runner, folder, asc, "--drop-implausible", fmt="markdown").stdout
    assert warned[0] in md


def test_implausible_value_outside_the_area_is_not_used(runner, scene):
    folder, values, asc = scene
    damage_line(asc, 7, lambda s: set_token(s, 0, "-999"))  # far corner
    res = query(runner, folder, asc)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["mean"] == pytest.approx(true_mean(values))


def test_csv_duplicate_point_of_another_value(runner, scene):
    folder, values, _ = scene
    csv = write_points_csv(folder / f"{NAME}.csv", values, XLL, YLL,
                           columns=("x", "y", "conct", "year"), year=2020)
    with csv.open("a") as fh:
        fh.write("530090.0,180090.0,99.0000,2020\n")
    assert_one_line_error(query(runner, folder, csv),
                          r"PostLAEI2013_2020_NO2\.csv: lines 66 and 122 both hold the point "
                          r"x=530090, y=180090 \(values \d+\.?\d* and 99\); each cell centre "
                          "may appear once")


@pytest.mark.parametrize("columns, header", [
    (("y", "x", "conc"), None), (("conct", "x", "y"), None), (("year", "y", "conct", "x"), None),
    (("x", "y", "conc"), "Easting,Northing,NO2"), (("y", "x", "year", "conc"), "y,x,year,no2")])
def test_csv_columns_by_name_not_position(runner, scene, columns, header):
    folder, values, _ = scene
    csv = write_points_csv(folder / f"{NAME}.csv", values, XLL, YLL, columns=columns, year=2020)
    if header:
        csv.write_text(header + csv.read_text()[csv.read_text().index("\n"):])
    res = query(runner, folder, csv)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["mean"] == pytest.approx(true_mean(values))


def test_csv_two_years_in_the_year_column(runner, scene):
    folder, values, _ = scene
    csv = write_points_csv(folder / "points.csv", values, XLL, YLL,
                           columns=("x", "y", "conct", "year"), year=2020)
    lines = csv.read_text().split("\n")
    lines[40] = lines[40].replace(",2020", ",2013")
    csv.write_text("\n".join(lines))
    assert_one_line_error(query(runner, folder, csv),
                          r"points\.csv: the year column holds 2 model years \(2020 on line 2, "
                          r"2013 on line 41\); one file must hold one model year")


def test_csv_year_column_contradicts_the_year_given(runner, scene):
    folder, values, _ = scene
    csv = write_points_csv(folder / "points.csv", values, XLL, YLL,
                           columns=("x", "y", "conct", "year"), year=2020)
    assert_one_line_error(query(runner, folder, csv, "--grid-crs", "EPSG:27700", spec="no2:2013"),
                          r"you gave model year 2013 but the file's year column says 2020")
    # the year comes from the column
    res = query(runner, folder, csv, "--grid-crs", "EPSG:27700", spec="no2")
    assert res.exit_code == 0 and json.loads(res.stdout)["results"][0]["year"] == 2020


def test_grid_year_contradicts_the_file_name(runner, scene):
    folder, _, asc = scene
    assert_one_line_error(query(runner, folder, asc, spec="no2:2013"),
                          r"PostLAEI2013_2020_NO2\.asc: you gave model year 2013 but the file "
                          r"name PostLAEI2013_2020_NO2\.asc says 2020")
    assert_one_line_error(query(runner, folder, asc, spec="pm25:2020"),
                          r"you gave pollutant pm25 but the file name PostLAEI2013_2020_NO2\.asc "
                          r"says no2")


def test_grid_catalogued_with_units_ppb_is_converted(runner, scene):
    folder, values, asc = scene
    res = runner.invoke(cli, ["grids", "add", str(asc), "--units", "ppb"])
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["query", str(folder / "plots.gpkg"), "--where",
                              "street=Orchard Close", "--no-layers", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    (row,) = json.loads(res.stdout)["results"]
    assert row["units"] == "µg/m³" and row["mean"] == pytest.approx(1.91 * true_mean(values),
                                                                    abs=1e-4)
    assert row["units_note"] == ("values in ppb converted to µg/m³ (x 1.91, NO2 at 20 °C and "
                                 "1013 hPa)")
    assert row["exceeds"] == (1.91 * true_mean(values) > 40)
    text = runner.invoke(cli, ["query", str(folder / "plots.gpkg"), "--where",
                               "street=Orchard Close", "--no-layers"]).stdout
    assert "x 1.91, NO2 at 20 °C and 1013 hPa" in text


def test_grid_given_with_units_ppb_is_converted(runner, scene):
    folder, values, asc = scene
    res = query(runner, folder, asc, "--units", "ppb")
    assert res.exit_code == 0, res.stderr
    row = json.loads(res.stdout)["results"][0]
    assert row["mean"] == pytest.approx(1.91 * true_mean(values), abs=1e-4)


@pytest.mark.parametrize("units", ["ppb", "furlongs"])
def test_pm_in_ppb_or_unknown_units_gets_no_verdict(runner, scene, units):
    folder, values, _ = scene
    pm = write_asc(folder / "PostLAEI2013_2020_PM10.asc", values, XLL, YLL)
    res = query(runner, folder, pm, "--units", units, spec="pm10:2020")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    (row,) = doc["results"]
    assert row["exceeds"] is None and row["objective"] is None and row["comparisons"] == []
    assert row["no_verdict"].startswith(f"units {units} cannot be compared with the objective "
                                        "in µg/m³")
    assert any("no verdict: units" in w for w in doc["warnings"])
    text = query(runner, folder, pm, "--units", units, spec="pm10:2020", fmt="text").stdout
    assert f"no verdict: units {units} cannot be compared" in text
    strict = query(runner, folder, pm, "--units", units, "--strict", "--grid-crs",
                   "EPSG:27700", spec="pm10:2020")
    assert_one_line_error(strict, "no verdict")


def test_a_copy_of_a_demo_grid_is_still_synthetic(runner, tmp_path, scene):
    folder, _, _ = scene
    from airq.demo import write_demo

    files = write_demo(tmp_path / "demo")
    copy = folder / "council_grids" / "my_no2_2020.asc"
    copy.parent.mkdir()
    shutil.copy(files.grids[4], copy)  # PostLAEI2013_2020_NO2.asc, renamed, no marker near
    res = runner.invoke(cli, ["query", str(files.boundaries), "--where",
                              "street=Woodlands Avenue", "--grid", f"no2:2020={copy}",
                              "--grid-crs", "EPSG:27700", "--no-layers"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("*** SYNTHETIC DEMO DATA")
    # catalogued from the copy: still marked in the catalogue and in the outputs
    res = runner.invoke(cli, ["grids", "add", str(copy), "--pollutant", "no2", "--year", "2020",
                              "--grid-crs", "EPSG:27700"])
    assert res.exit_code == 0, res.stderr
    assert "[SYNTHETIC DEMO DATA]" in runner.invoke(cli, ["grids", "list"]).stdout


def test_null_geometries_are_counted_and_strict_fails(runner, tmp_path):
    values = clean_values()
    write_asc(tmp_path / f"{NAME}.asc", values, XLL, YLL)
    plots = [shapely.box(530000 + 4 * i, 180050, 530004 + 4 * i, 180130) for i in range(54)]
    plots = [None if i in (3, 9, 20, 33, 50) else p for i, p in enumerate(plots)]
    gdf = gpd.GeoDataFrame({"plot_id": [f"OC-{i:02d}" for i in range(54)],
                            "street": ["Orchard Close"] * 54}, geometry=plots, crs="EPSG:27700")
    gdf.to_file(tmp_path / "plots.gpkg", engine="pyogrio")
    res = query(runner, tmp_path, tmp_path / f"{NAME}.asc")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    note = ("plots.gpkg: 5 of the 54 selected features dropped (5 with no geometry); 49 used")
    assert note in doc["warnings"] and f"Warning: {note}" in res.stderr
    assert doc["area"]["n_boundaries"] == 49 and doc["area"]["boundaries"]["n_selected"] == 54
    text = query(runner, tmp_path, tmp_path / f"{NAME}.asc", fmt="text").stdout
    assert ("Area: 49 boundaries of plots.gpkg (street=Orchard Close: 54 of its 54 features; "
            "5 dropped: 5 with no or empty geometry)") in text and note in text
    assert_one_line_error(query(runner, tmp_path, tmp_path / f"{NAME}.asc", "--strict",
                                "--grid-crs", "EPSG:27700"), re.escape(note))


# ---------------------------------------------------------------- the class: ESRI ASCII


@pytest.mark.parametrize("edit, pattern", [
    (lambda t: t.replace("cellsize     20.0", "cellsize     0"),
     r"line 5: cellsize must be above 0"),
    (lambda t: t.replace("cellsize     20.0", "cellsize     -20"), "cellsize must be above 0"),
    (lambda t: t.replace("ncols        12", "ncols        twelve"),
     "line 1: ncols must be a whole number above 0"),
    (lambda t: t.replace("nrows        10", "nrows        0"), "nrows must be a whole number"),
    (lambda t: t.replace("nrows        10", "nrows        10.5"), "nrows must be a whole number"),
    (lambda t: t.replace("xllcorner    530000.0\n", ""), "the ESRI ASCII header lacks xllcorner"),
    (lambda t: t.replace("yllcorner    180000.0", "yllcorner    north"),
     "yllcorner must be a number"),
    (lambda t: t.replace("nrows        10\n", "nrows        10\nnrows        10\n"),
     "line 3: header key 'nrows' repeats"),
    (lambda t: t.replace("xllcorner    530000.0\n", "xllcorner    530000.0\nxllcenter 530010\n"),
     "header key 'xllcenter' repeats \\(or contradicts\\)"),
    (lambda t: t.replace("cellsize     20.0\n", "cellsize     20.0\nrotation 0\n"),
     "line 6: unknown header key 'rotation'"),
    (lambda t: t.replace("cellsize     20.0\n", "dx 20\ndy 25\n"), "cells are not square"),
    (lambda t: t.replace("ncols        12", "ncols 12 13"), "must be one key and one value"),
    (lambda t: t.replace("nrows        10", "nrows        9"),
     "line 16: more rows than the header's nrows 9"),
    (lambda t: t.replace("nrows        10", "nrows        11"),
     "10 rows of values, the header's nrows is 11"),
    (lambda t: t.rstrip("\n").rsplit("\n", 3)[0] + "\n", "7 rows of values"),
    (lambda t: t.replace("nrows        10", "nrows        100000"),
     "the header says 100000 rows x 12 columns, but the file holds only"),
    # a cell size that cannot place cells: was a TransformNotInvertibleError traceback
    (lambda t: t.replace("cellsize     20.0", "cellsize     1e-300"),
     r"cell size \(1e-300 x 1e-300\) cannot place cells"),
    # old Mac line ends (CR only) and binary files: the quoted header line is cut short
    (lambda t: t.replace("\n", "\r"),
     r"line 1: header line 'ncols        12\\rnrows.{20,60}\.\.\.' must"),
    (lambda t: "\x00\x01" * 50_000, r"line 1: unknown header key '(\\x00\\x01)+\.\.\.'; an ESRI"),
])
def test_asc_header_and_shape_damage(runner, scene, edit, pattern):
    folder, _, asc = scene
    asc.write_text(edit(asc.read_text()))
    assert_one_line_error(query(runner, folder, asc), r"PostLAEI2013_2020_NO2\.asc", pattern)


@pytest.mark.parametrize("token", ["1,5", "12.5.1", "--3", "0x1A", "NULL", '"25.1"', "2 5e", "#"])
def test_asc_tokens_that_are_not_numbers(runner, scene, token):
    folder, _, asc = scene
    damage_line(asc, 9, lambda s: set_token(s, 0, token))  # far from the area
    assert_one_line_error(query(runner, folder, asc), r"\.asc line 9")


def test_asc_extra_value_in_a_row(runner, scene):
    folder, _, asc = scene
    damage_line(asc, 10, lambda s: s + " 25.0")
    assert_one_line_error(query(runner, folder, asc), "line 10: row 4 holds 13 values")


def test_asc_xllcenter_crlf_bom_and_blank_lines_read_the_same(runner, scene):
    folder, values, asc = scene
    text = asc.read_text().replace("xllcorner    530000.0", "xllcenter 530010") \
        .replace("yllcorner    180000.0", "yllcenter 180010")
    asc.write_bytes(b"\xef\xbb\xbf" + (text.replace("\n", "\r\n") + "\r\n\r\n").encode())
    res = query(runner, folder, asc)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["mean"] == pytest.approx(true_mean(values))


def test_asc_declared_nodata_other_than_9999(runner, scene):
    folder, values, asc = scene
    text = asc.read_text().replace("NODATA_value -9999", "NODATA_value -1")
    asc.write_text(text)
    damage_line(asc, 12, lambda s: set_token(s, 4, "-1"))
    res = query(runner, folder, asc)
    assert res.exit_code == 0, res.stderr
    row = json.loads(res.stdout)["results"][0]
    assert row["n_nodata"] == 1 and row["n_points"] == 11
    damage_line(asc, 12, lambda s: set_token(s, 4, "-9999"))  # now an undeclared sentinel
    assert_one_line_error(query(runner, folder, asc), f"{BAD_XY}: -9999 µg/m³")


def test_asc_without_nodata_line_uses_the_esri_default(runner, scene):
    folder, values, asc = scene
    asc.write_text(asc.read_text().replace("NODATA_value -9999\n", ""))
    damage_line(asc, 11, lambda s: set_token(s, 4, "-9999"))
    res = query(runner, folder, asc)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["n_nodata"] == 1


def test_damaged_asc_inside_a_zip_names_the_member(runner, scene):
    folder, _, asc = scene
    damage_line(asc, 12, lambda s: set_token(s, 4, "abc"))
    z = folder / "LAEI-ASCII.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(asc, f"2020/ASCII/{asc.name}")
    assert_one_line_error(query(runner, folder, z),
                          rf"LAEI-ASCII\.zip!2020/ASCII/{NAME}\.asc line 12, value 5")


@pytest.mark.parametrize("cut, pattern", [
    (1, None),  # the line break lost, the value whole: read
    (3, r"line 16: the last value \(\d+\.\d{2}\) has fewer decimals"),
    (6, r"line 16: the last value \(\d+\) has fewer decimals"),
])
def test_asc_cut_inside_its_last_value(runner, scene, cut, pattern):
    # a download cut inside the last value still holds nrows x ncols numbers: 27.3412
    # cut to 2 was read as a plausible 2 µg/m³
    folder, values, asc = scene
    asc.write_bytes(asc.read_bytes()[:-cut])
    res = query(runner, folder, asc)
    if pattern is None:
        assert res.exit_code == 0, res.stderr
        return
    assert_one_line_error(res, rf"{NAME}\.asc", pattern, "truncated download")


# ---------------------------------------------------------------- the class: point CSVs


def write_csv(folder, values, columns=("x", "y", "conc"), name=f"{NAME}.csv", year=None):
    return write_points_csv(folder / name, values, XLL, YLL, columns=columns, year=year)


@pytest.mark.parametrize("edit, pattern", [
    (lambda t: t.replace("x,y,conc", "east,y,conc"), r"no x \(easting\) column"),
    (lambda t: t.replace("x,y,conc", "x,y,value"), None),
    (lambda t: t.replace("x,y,conc", "x,y,conc,value"), "could all be|cannot tell the value"),
    (lambda t: t.replace("x,y,conc", "x,x,conc"), "column 'x' appears twice"),
    (lambda t: t.replace("x,y,conc", "x,y,level"), "no value column"),
    (lambda t: t.replace("530090.0,180090.0,", "530090.0,180090.0,n/a,", 1).replace(
        "x,y,conc", "x,y,conc"), r"line \d+: .*"),
    (lambda t: t.replace("530090.0,180090.0,", "530090.0,abc,", 1),
     r"line 66: column y holds 'abc', not a number"),
    (lambda t: re.sub(r"530090\.0,180090\.0,[0-9.]+", "530090.0,180090.0,", t),
     r"line 66: column conc is empty"),
    (lambda t: t.replace("530090.0,180090.0,", "530090.001,180090.0,", 1),
     r"line 66: the point x=530090.001, y=180090 is off the lattice"),
    (lambda t: t.replace("530090.0,180090.0,", "1530090.0,180090.0,", 1),
     r"span a lattice of .* cells per point\); they are not one regular grid"),
    (lambda t: "x,y,conc\n530010.0,180010.0,25.0\n", "holds a single point"),
    (lambda t: "x,y,conc\n", "has no data rows"),
    (lambda t: t.replace("x,y,conc\n", "x,y,conc\n530010.0,inf,25.0\n"), "line 2: y is inf"),
    # a decimal comma: pandas read the first three fields (25) and dropped the fourth
    (lambda t: re.sub(r"530090\.0,180090\.0,[0-9.]+", "530090.0,180090.0,25,5", t),
     r"line 66: 4 fields \('530090.0,180090.0,25,5'\) but the header names 3"),
    (lambda t: re.sub(r"530090\.0,180090\.0,[0-9.]+", '"530090.0","180090.0","25",5', t),
     r"line 66: 4 fields"),
    # every row one field longer than the header (a column name missing)
    (lambda t: t.replace("\n", ",2020\n").replace("x,y,conc,2020", "x,y,conc"),
     r"line 2: 4 fields .* but the header names 3 \(x,y,conc\)"),
    (lambda t: t.replace("x,y,conc\n", "x,y,conc\n\n   \n"), None),
    # a download cut inside the last row: its value was read as a plausible number
    (lambda t: t[:-4], r"line 121: the last row \('530230\.0,180010\.0,\d+\.\d'\) looks cut short"),
    (lambda t: t.rstrip("\n").rsplit(",", 1)[0], r"line 121: the last row .* looks cut short"),
    (lambda t: t.rstrip("\n"), None),
])
def test_csv_damage(runner, scene, edit, pattern):
    folder, values, _ = scene
    csv = write_csv(folder, values)
    csv.write_text(edit(csv.read_text()))
    res = query(runner, folder, csv)
    if pattern is None:
        assert res.exit_code == 0, res.stderr
        return
    assert_one_line_error(res, rf"{NAME}\.csv", pattern)


def test_csv_not_utf8_is_named(runner, scene):
    """A point CSV saved as Latin-1 (a 'µg/m³' units column): one line naming the file,
    the byte and what to do, not the codec's message."""
    folder, values, _ = scene
    csv = write_csv(folder, values)
    lines = csv.read_text().splitlines()
    text = "\n".join([lines[0] + ",units", *(ln + ",µg/m³" for ln in lines[1:])]) + "\n"
    csv.write_bytes(text.encode("latin-1"))
    assert_one_line_error(query(runner, folder, csv), rf"{NAME}\.csv is not UTF-8 text "
                          r"\(byte 0xb5 at offset \d+\); save it as CSV UTF-8")


def test_csv_irregular_spacing_is_refused(runner, tmp_path):
    pts = ["x,y,conc"] + [f"{530010 + 20 * c},{180010 + 25 * r},30" for r in range(4)
                          for c in range(4)]
    (tmp_path / "points.csv").write_text("\n".join(pts) + "\n")
    from airq.errors import InputError
    from airq.read.grids import read_grid

    with pytest.raises(InputError, match="20 apart in x but 25 in y; airq reads square cells"):
        read_grid(tmp_path / "points.csv", pollutant="no2", year=2020, grid_crs="EPSG:27700")


def test_csv_nan_value_in_the_area_is_implausible(runner, scene):
    folder, values, _ = scene
    csv = write_csv(folder, values)
    csv.write_text(re.sub(r"530090\.0,180090\.0,[0-9.]+", "530090.0,180090.0,nan",
                          csv.read_text()))
    assert_one_line_error(query(runner, folder, csv, "--grid-crs", "EPSG:27700"),
                          f"{BAD_XY}: NaN \\(not the declared NODATA\\)")


def test_csv_minus_9999_is_nodata(runner, scene):
    folder, values, _ = scene
    values = values.copy()
    values[BAD] = -9999
    csv = write_csv(folder, values)
    res = query(runner, folder, csv, "--grid-crs", "EPSG:27700")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["n_nodata"] == 1


# ---------------------------------------------------------------- GeoTIFF, NetCDF


def write_tif(path, values, nodata=-9999.0, dtype="float32"):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=NCOLS, height=NROWS, count=1,
                       dtype=dtype, crs="EPSG:27700", nodata=nodata,
                       transform=from_origin(XLL, YLL + NROWS * CS, CS, CS)) as ds:
        ds.write(np.asarray(values, dtype=dtype), 1)
        ds.update_tags(1, units="ug/m3")
    return path


@pytest.mark.parametrize("value, nodata, shown", [
    (np.nan, -9999.0, "NaN \\(not the declared NODATA\\)"),
    (-9999.0, None, "-9999 µg/m³"),
    (-999.0, -9999.0, "-999 µg/m³"),
    (3.0e38, -9999.0, "3e\\+38 µg/m³"),
])
def test_geotiff_implausible_values(runner, scene, value, nodata, shown):
    folder, values, _ = scene
    v = values.copy()
    v[BAD] = value
    tif = write_tif(folder / "model_no2.tif", v, nodata=nodata)
    assert_one_line_error(query(runner, folder, tif), rf"model_no2\.tif: .*{BAD_XY}: {shown}")


def test_geotiff_nan_declared_nodata_is_nodata(runner, scene):
    folder, values, _ = scene
    v = values.copy()
    v[BAD] = np.nan
    tif = write_tif(folder / "model_no2.tif", v, nodata=np.nan)
    res = query(runner, folder, tif)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["n_nodata"] == 1


@pytest.mark.parametrize("pollutant, stored_as, scale, offset", [
    ("pm25", "uint16", 0.1, 0.0),   # stored x 10: 150 would pass as a plausible PM2.5 mean
    ("no2", "int16", 0.01, 0.0),
    ("no2", "float32", 1.0, 10.0),  # an offset alone
])
def test_geotiff_scale_and_offset_are_applied(runner, scene, pollutant, stored_as, scale,
                                               offset):
    import rasterio

    folder, values, _ = scene
    v = values / 2 if pollutant == "pm25" else values
    stored = np.round((v - offset) / scale)
    tif = write_tif(folder / f"model_{pollutant}.tif", stored, nodata=None, dtype=stored_as)
    with rasterio.open(tif, "r+") as ds:
        ds.scales, ds.offsets = [scale], [offset]
    res = query(runner, folder, tif, spec=f"{pollutant}:2020")
    assert res.exit_code == 0, res.stderr
    want = np.mean([stored[rc] * scale + offset for rc in AREA])
    assert json.loads(res.stdout)["results"][0]["mean"] == pytest.approx(want, abs=1e-6)


def test_geotiff_with_several_bands_is_refused(runner, scene):
    import rasterio
    from rasterio.transform import from_origin

    folder, values, _ = scene
    tif = folder / "model_no2.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=NCOLS, height=NROWS, count=2,
                       dtype="float32", crs="EPSG:27700", nodata=-9999.0,
                       transform=from_origin(XLL, YLL + NROWS * CS, CS, CS)) as ds:
        ds.write(np.stack([values, values * 2]).astype("float32"))
    assert_one_line_error(query(runner, folder, tif), r"model_no2\.tif holds 2 bands")


@pytest.mark.parametrize("transform, pattern", [
    ((CS, 0, XLL, 0, -2 * CS, YLL + NROWS * 2 * CS), r"model_no2\.tif: grid cells are not "
                                                      r"square \(20 x 40 m\)"),
    ((CS, 0, XLL, 0, CS, YLL), r"model_no2\.tif: rows run south to north"),
])
def test_geotiff_cells_not_square_or_not_north_up_are_named(runner, scene, transform, pattern):
    import rasterio
    from affine import Affine

    folder, values, _ = scene
    tif = folder / "model_no2.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=NCOLS, height=NROWS, count=1,
                       dtype="float32", crs="EPSG:27700", transform=Affine(*transform)) as ds:
        ds.write(values.astype("float32"), 1)
    assert_one_line_error(query(runner, folder, tif), pattern)


def test_geotiff_with_an_alpha_band_reads_its_one_data_band(runner, scene):
    import rasterio
    from rasterio.enums import ColorInterp
    from rasterio.transform import from_origin

    folder, values, _ = scene
    tif = folder / "model_no2.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=NCOLS, height=NROWS, count=2,
                       dtype="float32", crs="EPSG:27700", alpha="YES",
                       transform=from_origin(XLL, YLL + NROWS * CS, CS, CS)) as ds:
        ds.write(np.stack([values, np.full_like(values, 255)]).astype("float32"))
        ds.colorinterp = [ColorInterp.gray, ColorInterp.alpha]
        ds.update_tags(1, units="ug/m3")
    res = query(runner, folder, tif)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["mean"] == pytest.approx(true_mean(values))


def test_netcdf_nan_is_implausible_but_fill_value_is_nodata(runner, scene):
    import h5netcdf.legacyapi as nc

    folder, values, _ = scene
    v = values.copy()
    v[BAD] = np.nan  # written raw: NaN in the file, the declared fill value is -1
    v[4, 3] = -1.0
    with nc.Dataset(folder / "m.nc", "w") as ds:
        ds.createDimension("y", NROWS)
        ds.createDimension("x", NCOLS)
        ds.createVariable("x", "f8", ("x",))[:] = XLL + CS / 2 + CS * np.arange(NCOLS)
        ds.createVariable("y", "f8", ("y",))[:] = YLL + NROWS * CS - CS / 2 - CS * np.arange(NROWS)
        var = ds.createVariable("no2", "f8", ("y", "x"), fill_value=-1.0)
        var.units = "ug m-3"
        var[:] = v
    args = ("--grid-crs", "EPSG:27700")
    assert_one_line_error(query(runner, folder, folder / "m.nc", *args),
                          f"m.nc: .*{BAD_XY}: NaN \\(not the declared NODATA\\)")
    res = query(runner, folder, folder / "m.nc", "--drop-implausible", *args)
    row = json.loads(res.stdout)["results"][0]
    assert (row["n_points"], row["n_nodata"], row["n_implausible"]) == (10, 1, 1)


def write_netcdf(path, values, var_attrs=(), global_attrs=()):
    import h5netcdf.legacyapi as nc

    with nc.Dataset(path, "w") as ds:
        ds.createDimension("y", NROWS)
        ds.createDimension("x", NCOLS)
        ds.createVariable("x", "f8", ("x",))[:] = XLL + CS / 2 + CS * np.arange(NCOLS)
        ds.createVariable("y", "f8", ("y",))[:] = YLL + NROWS * CS - CS / 2 - CS * np.arange(NROWS)
        var = ds.createVariable("no2", "f8", ("y", "x"))
        var.units = "ug m-3"
        for k, v in dict(var_attrs).items():
            var.setncattr(k, v)
        for k, v in dict(global_attrs).items():
            ds.setncattr(k, v)
        var[:] = values
    return path


@pytest.mark.parametrize("where", ["variable", "global"])
def test_netcdf_year_attribute_contradicting_the_year_given(runner, scene, where):
    folder, values, _ = scene
    attrs = {"year": 2019}
    nc_file = write_netcdf(folder / "m.nc", values, *((attrs, ()) if where == "variable"
                                                     else ((), attrs)))
    args = ("--grid-crs", "EPSG:27700")
    assert_one_line_error(query(runner, folder, nc_file, *args),
                          "m.nc: you gave model year 2020 but the file's year attribute says 2019")
    res = query(runner, folder, nc_file, *args, spec="no2:2019")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["year"] == 2019


@pytest.mark.parametrize("attrs", [{"valid_max": 30.0}, {"valid_range": [0.0, 30.0]},
                                   {"valid_min": 30.0}])
def test_netcdf_values_outside_the_valid_range_are_nodata_and_said(runner, scene, attrs):
    folder, values, _ = scene
    v = values.copy()
    v[BAD] = 31.5 if "valid_min" not in attrs else 29.5
    nc_file = write_netcdf(folder / "m.nc", v, {k: np.asarray(a) for k, a in attrs.items()})
    res = query(runner, folder, nc_file, "--grid-crs", "EPSG:27700")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    invalid = [(r, c) for r, c in AREA if (v[r, c] > 30) == ("valid_min" not in attrs)
               and v[r, c] != 30]
    row = doc["results"][0]
    assert row["n_nodata"] == len(invalid) and row["n_points"] == 12 - len(invalid)
    assert row["mean"] == pytest.approx(true_mean(v, skip=invalid), abs=1e-3)
    assert any("outside the valid range" in w and "treated as NODATA" in w
               for w in doc["warnings"])


@pytest.mark.parametrize("axis, index, shift, shown", [
    ("x", 4, 10.0, r"x\[3\]=530070 to x\[4\]=530100 is 30, the first step is 20"),
    ("y", 3, 20.0, r"y\[2\]=180150 to y\[3\]=180150 is 0, the first step is -20"),
    ("x", NCOLS - 1, 5.0, r"x\[10\]=530210 to x\[11\]=530235 is 25"),
])
def test_netcdf_irregular_coordinates_are_refused(runner, scene, axis, index, shift, shown):
    import h5netcdf.legacyapi as nc

    folder, values, _ = scene
    xs = XLL + CS / 2 + CS * np.arange(NCOLS)
    ys = YLL + NROWS * CS - CS / 2 - CS * np.arange(NROWS)
    (xs if axis == "x" else ys)[index] += shift  # rioxarray spread the cells evenly
    with nc.Dataset(folder / "m.nc", "w") as ds:
        ds.createDimension("y", NROWS)
        ds.createDimension("x", NCOLS)
        ds.createVariable("x", "f8", ("x",))[:] = xs
        ds.createVariable("y", "f8", ("y",))[:] = ys
        var = ds.createVariable("no2", "f8", ("y", "x"))
        var.units = "ug m-3"
        var[:] = values
    res = query(runner, folder, folder / "m.nc", "--grid-crs", "EPSG:27700")
    assert_one_line_error(res, rf"m\.nc: the {axis} coordinates are not equally spaced", shown)


# ---------------------------------------------------------------- precision


def test_float32_cells_are_shown_as_written_in_query_and_batch(runner, scene):
    folder, _, _ = scene
    v = np.full((NROWS, NCOLS), 30.0)
    v[4, 3], v[6, 6] = 43.991, 21.337
    tif = write_tif(folder / "model_no2.tif", v)
    res = query(runner, folder, tif)
    row = json.loads(res.stdout)["results"][0]
    assert (row["min"], row["max"], row["median"]) == (21.337, 43.991, 30.0)
    csv = query(runner, folder, tif, fmt="csv").stdout
    assert ",21.337,43.991,30.0," in csv and "43.991001" not in csv
    out = folder / "streets.csv"
    res = runner.invoke(cli, ["batch", str(folder / "plots.gpkg"), "--group-by", "street",
                              "--grid", f"no2:2020={tif}", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    text = out.read_text()
    assert "43.991," in text and "21.337," in text and "43.991001" not in text


def test_a_one_cell_mean_is_its_cell_as_written_in_query_and_batch(runner, tmp_path):
    """A plot too small to hold a centre gets its containing cell (the fallback): batch
    reports that float32 cell as written (20.935), as query does, not 20.934999."""
    v = np.full((NROWS, NCOLS), 30.0)
    v[4, 5] = 20.935  # the cell holding (530103, 180103)
    tif = write_tif(tmp_path / "model_no2.tif", v)
    gpd.GeoDataFrame({"plot_id": ["TL-1"], "street": ["Tiny Lane"]},
                     geometry=[shapely.box(530101, 180101, 530106, 180106)],
                     crs="EPSG:27700").to_file(tmp_path / "tiny.gpkg", engine="pyogrio")
    res = runner.invoke(cli, ["query", str(tmp_path / "tiny.gpkg"), "--grid", f"no2:2020={tif}",
                              "--no-layers", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["mean"] == 20.935
    for extra in ([], ["--per-boundary"]):
        out = tmp_path / f"tiny{len(extra)}.csv"
        res = runner.invoke(cli, ["batch", str(tmp_path / "tiny.gpkg"), "--group-by", "street",
                                  "--grid", f"no2:2020={tif}", *extra, "-o", str(out)])
        assert res.exit_code == 0, res.stderr
        import pandas as pd

        row = pd.read_csv(out).iloc[0]
        assert row["fallback"] == "containing-cell" and row["mean"] == 20.935, row.to_dict()
        assert row["margin"] == pytest.approx(20.935 - 40, abs=1e-9)


def test_method_text_states_the_real_cell_size(runner, scene):
    folder, values, _ = scene
    fine = write_asc(folder / f"{NAME}_fine.asc", np.repeat(np.repeat(values, 2, 0), 2, 1),
                     XLL, YLL, cellsize=10.0)
    res = query(runner, folder, fine, "--grid-crs", "EPSG:27700", fmt="text")
    assert "grid points (10 m cell centres)" in res.stdout and "20 m" not in res.stdout


# ---------------------------------------------------------------- reprojection at the edges


def test_wgs84_and_bng_boundaries_select_the_same_centres(runner, scene):
    """Edges passing exactly through cell centres (tolerance: 1 cm after reprojection)."""
    folder, values, asc = scene
    # Vertices on cell centres and edges running along rows and columns of centres.
    polys = [shapely.Polygon([(530070, 180070), (530130, 180070), (530130, 180110),
                              (530070, 180110)]),
             shapely.Polygon([(530150, 180030), (530210, 180090), (530150, 180150)]),
             shapely.box(530030, 180130, 530050, 180170)]
    gdf = gpd.GeoDataFrame({"plot_id": ["A", "B", "C"], "street": ["Orchard Close"] * 3},
                           geometry=polys, crs="EPSG:27700")
    gdf.to_file(folder / "plots.gpkg", engine="pyogrio")
    bng = json.loads(query(runner, folder, asc).stdout)["results"][0]
    gdf.to_crs("EPSG:4326").to_file(folder / "plots.gpkg", engine="pyogrio")
    wgs = json.loads(query(runner, folder, asc).stdout)["results"][0]
    # independent: every centre the polygons cover (inside, on an edge or a vertex)
    union = shapely.union_all(polys)
    picked = [values[r, c] for r in range(NROWS) for c in range(NCOLS)
              if union.covers(shapely.Point(XLL + (c + 0.5) * CS, YLL + (NROWS - r - 0.5) * CS))]
    on_edges = sum(union.boundary.distance(shapely.Point(XLL + (c + 0.5) * CS,
                                                         YLL + (NROWS - r - 0.5) * CS)) == 0
                   for r in range(NROWS) for c in range(NCOLS))
    assert on_edges >= 15  # most selected centres lie exactly on an edge
    assert bng["n_points"] == wgs["n_points"] == len(picked)
    assert bng["mean"] == wgs["mean"] == pytest.approx(np.mean(picked), abs=1e-6)


# ---------------------------------------------------------------- batch


def test_batch_group_with_an_implausible_cell_fails_alone(runner, scene):
    folder, values, asc = scene
    damage_line(asc, 12, lambda s: set_token(s, 4, "-999"))
    out = folder / "streets.csv"
    res = runner.invoke(cli, ["batch", str(folder / "plots.gpkg"), "--group-by", "street",
                              "--grid", f"no2:2020={asc}", "-o", str(out)])
    assert res.exit_code == 3, res.stderr
    assert "Far Lane" in out.read_text() and "Orchard Close" not in out.read_text()
    errors = (folder / "streets.csv.errors.csv").read_text()
    assert "Orchard Close" in errors and BAD_XY in errors and "--drop-implausible" in errors
    res = runner.invoke(cli, ["batch", str(folder / "plots.gpkg"), "--group-by", "street",
                              "--grid", f"no2:2020={asc}", "-o", str(out), "--overwrite",
                              "--drop-implausible"])
    assert res.exit_code == 0, res.stderr
    import pandas as pd

    rows = pd.read_csv(out).set_index("group")
    assert rows.loc["Orchard Close", "n_implausible"] == 1
    assert rows.loc["Orchard Close", "mean"] == pytest.approx(true_mean(values, skip=[BAD]),
                                                             abs=1e-6)
    prov = json.loads((folder / "streets.csv.provenance.json").read_text())["provenance"]
    assert any("left out (--drop-implausible)" in w for w in prov["warnings"])


def test_settings_file_drop_implausible(runner, scene):
    folder, _, asc = scene
    damage_line(asc, 12, lambda s: set_token(s, 4, "-999"))
    (folder / "s.toml").write_text("drop_implausible = true\n")
    res = query(runner, folder, asc, "--config", str(folder / "s.toml"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["results"][0]["n_implausible"] == 1


def test_batch_null_geometries_reach_provenance_and_strict(runner, tmp_path):
    values = clean_values()
    asc = write_asc(tmp_path / f"{NAME}.asc", values, XLL, YLL)
    gdf = gpd.GeoDataFrame({"plot_id": ["a", "b", "c"], "street": ["A", "A", "B"]},
                           geometry=[shapely.box(530050, 180050, 530090, 180090), None,
                                     shapely.box(530150, 180050, 530190, 180090)],
                           crs="EPSG:27700")
    gdf.to_file(tmp_path / "plots.gpkg", engine="pyogrio")
    out = tmp_path / "s.csv"
    args = ["batch", str(tmp_path / "plots.gpkg"), "--group-by", "street", "--grid",
            f"no2:2020={asc}", "-o", str(out)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.stderr
    prov = json.loads((tmp_path / "s.csv.provenance.json").read_text())["provenance"]
    assert "plots.gpkg: 1 of the 3 selected features dropped (1 with no geometry); 2 used" in \
        prov["warnings"]
    assert_one_line_error(runner.invoke(cli, [*args, "--overwrite", "--strict", "--grid-crs",
                                              "EPSG:27700"]),
                          "1 with no geometry")


# ---------------------------------------------------------------- demo checksums


def test_demo_checksum_list_is_current(tmp_path):
    """Regenerate the demo: every file's checksum must be in the shipped list."""
    from airq.demo import demo_checksums, is_demo_checksum, write_demo

    found = demo_checksums(write_demo(tmp_path).root)
    stale = [rel for rel, sha in found.items() if not is_demo_checksum(sha)]
    assert not stale, ("the demo generator changed: run `python -c \"from airq.demo import "
                       f"write_checksums_file; write_checksums_file()\"` ({stale})")
