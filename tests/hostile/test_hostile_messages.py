"""Issue 11.5: a user's mistake is one line (exit 1 for data, exit 2 for usage), never a
traceback. One regression test per case; read-only folders, a full disk and signals are
in test_hostile_outputs.py, damaged catalogue indexes in tests/test_catalogue.py."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from airq.cli import cli
from tests.conftest import write_asc
from tests.hostile.conftest import XLL, YLL, one_error_line, query_args

# --- grids ---------------------------------------------------------------------------------

def test_cellsize_zero(runner, world):
    _grid, plots, out = world
    asc = out / "PostLAEI2013_2020_NO2.asc"
    asc.write_text("ncols 2\nnrows 2\nxllcorner 530000\nyllcorner 180000\ncellsize 0\n"
                   "NODATA_value -9999\n1 2\n3 4\n")
    res = runner.invoke(cli, query_args(asc, plots))
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "PostLAEI2013_2020_NO2.asc" in line and "cellsize" in line


def test_csv_point_a_millimetre_off_the_lattice(runner, world):
    _grid, plots, out = world
    rows = ["x,y,conc"]
    for i in range(10):
        for j in range(10):
            x, y = XLL + 10 + 20 * i, YLL + 10 + 20 * j
            rows.append(f"{x + (0.001 if (i, j) == (4, 4) else 0):.3f},{y:.3f},30.0")
    csv = out / "PostLAEI2013_2020_NO2.csv"
    csv.write_text("\n".join(rows) + "\n")
    res = runner.invoke(cli, query_args(csv, plots))
    assert res.exit_code == 1
    assert "PostLAEI2013_2020_NO2.csv" in one_error_line(res)


def test_geographic_grid_is_in_degrees_project_it(runner, world):
    import rasterio
    from rasterio.transform import from_origin

    _grid, _plots, out = world
    plots = out / "plots_wgs84.gpkg"
    gpd.read_file(world[1]).to_crs("EPSG:4326").to_file(plots)
    b = gpd.read_file(plots).total_bounds
    for name, dx, dy in (("square.tif", 0.0003, 0.0003), ("oblong.tif", 0.0003, 0.0002)):
        with rasterio.open(out / name, "w", driver="GTiff", width=40, height=40, count=1,
                           dtype="float32", crs="EPSG:4326",
                           transform=from_origin(b[0] - 0.002, b[3] + 0.002, dx, dy)) as ds:
            ds.write(np.full((40, 40), 30, "float32"), 1)
        res = runner.invoke(cli, ["query", str(plots), "--grid", f"no2:2020={out / name}",
                                  "--no-layers", "--units", "ug/m3"])
        assert res.exit_code == 1, res.stderr
        line = one_error_line(res)
        assert "is in degrees" in line and "project it" in line
        assert "not square" not in line


# --- settings -------------------------------------------------------------------------------

@pytest.mark.parametrize("content, says", [
    (b'method = "centre"\n\xff\n', "is not UTF-8 text"),
    (b"airq = 5\n", "'airq' must be a table"),
])
def test_bad_settings_file(runner, world, tmp_path, content, says):
    grid, plots, _out = world
    config = tmp_path / "settings.toml"
    config.write_bytes(content)
    res = runner.invoke(cli, query_args(grid, plots, "--config", str(config)))
    assert res.exit_code == 1
    line = one_error_line(res)
    assert says in line and "settings.toml" in line


# --- options --------------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--boundaries-crs", "--grid-crs"])
def test_unknown_crs_is_a_usage_error(runner, world, option):
    grid, plots, _out = world
    res = runner.invoke(cli, query_args(grid, plots, option, "foo"))
    assert res.exit_code == 2
    line = one_error_line(res)
    assert option in line and "'foo' is not a coordinate reference system" in line
    assert "Internal Proj Error" not in line


@pytest.mark.parametrize("args", [
    ["--bands", "inf"], ["--bands", "0,50,nan"], ["--bands", "0,-inf"],
])
def test_inf_and_nan_bands_are_usage_errors(runner, world, args):
    grid, plots, _out = world
    res = runner.invoke(cli, query_args(grid, plots, *args))
    assert res.exit_code == 2 and "--bands" in one_error_line(res)


@pytest.mark.parametrize("args, option", [
    (["--cases", "5", "--person-years", "inf"], "--person-years"),
    (["--cases", "5", "--person-years", "nan"], "--person-years"),
    (["--cases", "5", "--person-years", "100", "--multiplier", "nan"], "--multiplier"),
    (["--cases", "5", "--person-years", "100", "--multiplier", "inf"], "--multiplier"),
    (["--cases", "5", "--person-years", "100", "--reference-rate", "inf"], "--reference-rate"),
    (["--cases", "5", "--person-years", "100", "--reference-rate", "nan"], "--reference-rate"),
])
def test_inf_and_nan_rates_options_are_usage_errors(runner, args, option):
    res = runner.invoke(cli, ["rates", *args])
    assert res.exit_code == 2
    line = one_error_line(res)
    assert option in line and "not a finite number" in line


@pytest.mark.parametrize("args, option", [
    (["--where", "garbage"], "--where"), (["--where", "=x"], "--where"),
])
def test_malformed_where_is_a_usage_error(runner, world, args, option):
    grid, plots, _out = world
    res = runner.invoke(cli, query_args(grid, plots, *args))
    assert res.exit_code == 2 and option in one_error_line(res)
    res = runner.invoke(cli, ["screen", str(plots), *args])
    assert res.exit_code == 2 and option in one_error_line(res)


def test_unknown_pollutant_is_a_usage_error(runner, world):
    _grid, plots, _out = world
    res = runner.invoke(cli, ["query", str(plots), "--pollutant", "xyz", "--no-layers"])
    assert res.exit_code == 2
    line = one_error_line(res)
    assert "--pollutant" in line and "unknown pollutant 'xyz'" in line


def test_inf_radius_is_a_usage_error(runner, world):
    grid, plots, _out = world
    res = runner.invoke(cli, query_args(grid, plots, "--near", "530100,180100", "--radius",
                                        "nan"))
    assert res.exit_code == 2 and "--radius" in one_error_line(res)


@pytest.mark.slow
def test_unreachable_dask_scheduler(runner, world):
    grid, plots, out = world
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(out / "b.csv"), "--dask",
                              "tcp://127.0.0.1:1"])
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in line
    assert "--workers" in line
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_dask_log_lines_only_with_verbose(world):
    """A real process (logging is configured once per process): Dask's INFO lines need -v."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    grid, plots, out = world
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    base = [sys.executable, "-m", "airq"]
    args = ["batch", str(plots), "--group-by", "street", "--grid", f"no2:2020={grid}",
            "--workers", "1"]
    quiet = subprocess.run([*base, *args, "-o", str(out / "a.csv")], capture_output=True,
                           text=True, env=env, timeout=300, check=False)
    assert quiet.returncode == 0, quiet.stderr
    assert "distributed" not in quiet.stderr, quiet.stderr
    loud = subprocess.run([*base, "-v", *args, "-o", str(out / "b.csv")], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert loud.returncode == 0, loud.stderr
    assert "INFO distributed." in loud.stderr


# --- boundaries -----------------------------------------------------------------------------

def _bng_geojson_without_crs(path, plots):
    doc = json.loads(gpd.read_file(plots).to_json())
    doc.pop("crs", None)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("command", ["screen", "query"])
def test_bng_geojson_without_crs(runner, world, command):
    """A GeoJSON file without a crs member is WGS84 by RFC 7946: BNG numbers in it are an
    error that names the fix, and the fix works."""
    grid, plots, out = world
    gj = _bng_geojson_without_crs(out / "plots.geojson", plots)
    args = ["screen", str(gj), "--layer", str(plots)] if command == "screen" else \
        query_args(grid, gj)
    res = runner.invoke(cli, args)
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "RFC 7946" in line and "--boundaries-crs EPSG:27700" in line
    res = runner.invoke(cli, [*args, "--boundaries-crs", "EPSG:27700"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    if command == "query":
        res = runner.invoke(cli, [*args, "--boundaries-crs", "EPSG:27700", "-f", "json"])
        prov = json.loads(res.stdout)["provenance"]["inputs"]
        note = next(i for i in prov if i["role"] == "boundaries")["crs_note"]
        assert "stated by the user (EPSG:27700)" in note and "no 'crs' member" in note


def test_wgs84_geojson_without_crs_still_reads(runner, world):
    grid, plots, out = world
    gj = out / "wgs84.geojson"
    doc = json.loads(gpd.read_file(plots).to_crs("EPSG:4326").to_json())
    doc.pop("crs", None)
    gj.write_text(json.dumps(doc))
    res = runner.invoke(cli, query_args(grid, gj, "-f", "json"), catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"][0]["n_points"] > 0


def test_a_table_without_geometry_as_boundaries(runner, world):
    grid, _plots, out = world
    table = out / "plots.csv"
    table.write_text("plot_id,street\nP-1,A Street\n")
    for args in (query_args(grid, table), ["screen", str(table)],
                 ["batch", str(table), "--group-by", "street", "-o", str(out / "b.csv")]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 1
        assert "has no geometry column" in one_error_line(res)


def test_messages_name_the_users_columns_not_airqs(runner, world):
    grid, plots, _out = world
    for args in (query_args(grid, plots, "--where", "nope=1"),
                 ["batch", str(plots), "--group-by", "nope", "-o", "x.csv"]):
        res = runner.invoke(cli, args)
        line = one_error_line(res)
        assert "plot_id, street" in line
        assert "airq_id" not in line and "geometry" not in line and "_key" not in line


# --- land-use layers ------------------------------------------------------------------------

def test_brownfield_csv_naming_wgs84(runner, world, tmp_path):
    """A brownfield register (2017 layout) whose rows say 'WGS84' reads and screens."""
    _grid, plots, _out = world
    lon, lat = gpd.GeoSeries([shapely.Point(XLL + 120, YLL + 75)],
                             crs="EPSG:27700").to_crs("EPSG:4326").iloc[0].coords[0]
    bf = tmp_path / "brownfield.csv"
    bf.write_text("OrganisationURI,OrganisationLabel,SiteReference,SiteNameAddress,GeoX,GeoY,"
                  "CoordinateReferenceSystem,Hectares,OwnershipStatus\n"
                  f"x,Council,BF1,Old Works,{lon:.6f},{lat:.6f},WGS84,0.5,not owned\n")
    res = runner.invoke(cli, ["screen", str(plots), "--layer", str(bf)])
    assert res.exit_code == 0, res.stderr
    assert "Old Works" in res.stdout and "Traceback" not in res.stderr
    res = runner.invoke(cli, ["layers", "add", str(bf)])
    assert res.exit_code == 0, res.stderr


def test_wkt_csv_with_a_blank_geometry(runner, world, tmp_path):
    """Under pandas 3 a blank WKT cell is NaN: the row is left out and said, no traceback."""
    _grid, plots, _out = world
    layer = tmp_path / "sites.csv"
    layer.write_text(f'name,WKT\nA,"POINT ({XLL + 100} {YLL + 75})"\nB,\n')
    res = runner.invoke(cli, ["layers", "add", str(layer), "--crs", "EPSG:27700"])
    assert res.exit_code == 0, res.stderr
    assert "1 feature(s) without geometry or coordinates were left out" in res.stderr
    res = runner.invoke(cli, ["screen", str(plots), "--layer", "sites"])
    assert res.exit_code == 0, res.stderr


# --- the catalogue on a read-only disk --------------------------------------------------------

def test_read_only_airq_home_reads_but_does_not_add(runner, world, freezable_dir, monkeypatch):
    grid, plots, out = world
    monkeypatch.setenv("AIRQ_HOME", str(freezable_dir[0]))
    res = runner.invoke(cli, ["grids", "add", str(grid)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    freezable_dir[1]()  # now read-only
    res = runner.invoke(cli, ["query", str(plots), "--no-layers", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    other = write_asc(out / "PostLAEI2013_2013_NO2.asc", np.ones((10, 10)) * 30, XLL, YLL)
    res = runner.invoke(cli, ["grids", "add", str(other)])
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "AIRQ_HOME" in line


def test_unwritable_airq_home_for_demo_and_layers(runner, world, readonly_dir, monkeypatch,
                                                  tmp_path):
    _grid, plots, _out = world
    monkeypatch.setenv("AIRQ_HOME", str(readonly_dir / "airq"))
    for args in (["layers", "add", str(plots)], ["demo", "--dir", str(tmp_path / "demo")]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 1, res.stderr
        assert "AIRQ_HOME" in one_error_line(res)



# --- arguments that are not UTF-8 ----------------------------------------------------------

@pytest.mark.parametrize("where", ["value", "layer file", "case reference"])
def test_an_argument_that_is_not_utf8_is_a_usage_error(runner, world, where):
    # bytes of another encoding reach Python as lone surrogates, which no output can
    # hold: printing or recording them ended in a UnicodeEncodeError traceback
    import os

    grid, plots, out = world
    bad = os.fsdecode(b"caf\xe9")
    args = {"value": ["rates", "--cases", "3", "--person-years", "100", "--area", bad],
            "layer file": ["screen", str(plots), "--layer", str(out / f"{bad}.gpkg")],
            "case reference": ["case", "show", bad]}[where]
    res = runner.invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "caf\\xe9" in one_error_line(res) and "is not valid UTF-8" in one_error_line(res)


# --- a layer file's warnings reach every output --------------------------------------------

def test_features_a_layer_file_leaves_out_are_said_in_every_output(runner, world):
    # `--layer FILE` was read before the run collected warnings: the note that features
    # were left out printed as a raw Python warning and reached no output
    grid, plots, out = world
    layer = out / "sites.gpkg"
    gpd.GeoDataFrame({"use": ["tip", "no place", "empty"]},
                     geometry=[shapely.box(XLL + 100, YLL + 120, XLL + 160, YLL + 180), None,
                               shapely.Polygon()], crs="EPSG:27700").to_file(layer)
    said = "2 feature(s) without geometry or coordinates were left out"
    args = ["--grid", f"no2:2020={grid}", "--grid-crs", "EPSG:27700", "--layer", str(layer)]
    res = runner.invoke(cli, ["query", str(plots), *args, "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert any(said in w for w in json.loads(res.stdout)["warnings"])
    assert "LandUseWarning" not in res.stderr and res.stderr.count(said) == 1
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *args, "-o",
                              str(out / "b.csv")])
    assert res.exit_code == 0, res.stderr
    assert said in (out / "b.csv.provenance.json").read_text()
    res = runner.invoke(cli, ["query", str(plots), *args, "--strict"])
    assert res.exit_code == 1 and said in one_error_line(res)
    # airq screen: in its provenance (JSON) and a closing Warnings section (text, Markdown)
    res = runner.invoke(cli, ["screen", str(plots), "--layer", str(layer), "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert any(said in w for w in json.loads(res.stdout)["provenance"]["warnings"])
    for fmt, head in (("text", "\nWarnings\n  - "), ("markdown", "\n### Warnings\n\n- ")):
        res = runner.invoke(cli, ["screen", str(plots), "--layer", str(layer), "-f", fmt])
        assert res.exit_code == 0 and head in res.stdout, res.stdout
        assert said in res.stdout.split(head, 1)[1]


def test_huge_working_days_is_a_usage_error(runner, tmp_path):
    # counting 10^20 working days on from a date ended in an OverflowError traceback
    res = runner.invoke(cli, ["case", "--database", f"sqlite:///{tmp_path / 'r.sqlite'}",
                              "list", "--working-days", "99999999999999999999"])
    assert res.exit_code == 2 and "--working-days" in one_error_line(res)
