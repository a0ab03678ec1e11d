"""`airq verify`: outputs re-run from the inputs they name, every figure compared."""

from __future__ import annotations

import json
import shutil
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from airq.analyse.compare import TOLERANCE, diff, same_value
from airq.cli import cli
from tests.conftest import write_asc

XLL, YLL, CS = 547010.0, 187010.0, 20.0
NROWS, NCOLS = 30, 40
GRID = "PostLAEI2013_2020_NO2.asc"


def make_inputs(folder, seed=5, name="Test Road"):
    """A NO2 grid in the published .asc layout and eight plots in a GeoPackage."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.gamma(20, 1.3, size=(NROWS, NCOLS)), 3)
    write_asc(folder / GRID, values, XLL, YLL)
    polys = [shapely.box(XLL + 200 + 30 * i, YLL + 200, XLL + 200 + 30 * i + 25, YLL + 260)
             for i in range(8)]
    gdf = gpd.GeoDataFrame({"plot_id": [f"P{i}" for i in range(8)], "street": [name] * 8,
                            "ward": ["A"] * 4 + ["B"] * 4}, geometry=polys, crs="EPSG:27700")
    gdf.to_file(folder / "plots.gpkg", engine="pyogrio")
    return values, gdf


def centre_mean(values, gdf):
    """Mean of the cell centres inside the plots, by brute force (independent of airq)."""
    union = shapely.union_all(gdf.geometry.values)
    picked = [np.float32(values[r, c]) for r in range(NROWS) for c in range(NCOLS)
              if union.covers(shapely.Point(XLL + (c + 0.5) * CS, YLL + (NROWS - r - 0.5) * CS))]
    return float(np.mean(np.array(picked, dtype=float)))


def a_cell_inside(gdf):
    union = shapely.union_all(gdf.geometry.values)
    for r in range(NROWS):
        for c in range(NCOLS):
            if union.covers(shapely.Point(XLL + (c + 0.5) * CS, YLL + (NROWS - r - 0.5) * CS)):
                return r, c
    raise AssertionError("no cell inside")


def query(runner, *args):
    res = runner.invoke(cli, ["query", "plots.gpkg", "--where", "street=Test Road",
                              "--grid", f"no2:2020={GRID}", "--no-layers", *args],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return res


@pytest.fixture
def case(tmp_path, monkeypatch, runner):
    """A query result written as JSON in tmp_path (the working folder)."""
    monkeypatch.chdir(tmp_path)
    values, gdf = make_inputs(tmp_path)
    query(runner, "-f", "json", "-o", "result.json")
    return tmp_path, values, gdf


def verify(runner, *args):
    return runner.invoke(cli, ["verify", *args], catch_exceptions=False)


def lines_of(res, status):
    return [x for x in res.stdout.splitlines() if x.startswith(status + " ")]


def test_unchanged_json_verifies(case, runner):
    res = verify(runner, "result.json")
    assert res.exit_code == 0, res.stdout
    out = res.stdout
    assert "same     boundaries" in out and "plots.gpkg" in out
    assert "same     grid NO2 2020" in out and GRID in out
    assert "same     NO2 2020" in out
    assert "same     area" in out
    assert out.strip().splitlines()[-1].startswith("Verified: every input and figure is the same")
    assert "1e-6" in out  # the tolerance is said
    assert not lines_of(res, "changed") and not lines_of(res, "missing")


def test_one_grid_value_changed_names_the_grid_and_the_figure(case, runner):
    tmp_path, values, gdf = case
    before = centre_mean(values, gdf)
    r, c = a_cell_inside(gdf)
    changed = values.copy()
    changed[r, c] += 50.0
    write_asc(tmp_path / GRID, changed, XLL, YLL)  # the same file, one cell rewritten
    after = centre_mean(changed, gdf)
    res = verify(runner, "result.json")
    assert res.exit_code == 1
    grid_line = next(x for x in lines_of(res, "changed") if "grid NO2 2020" in x)
    assert GRID in grid_line and "SHA-256" in grid_line
    result_line = next(x for x in lines_of(res, "changed") if x.split()[1:3] == ["NO2", "2020"])
    assert f"mean {before:.1f} -> {after:.1f}" in result_line
    assert "same     boundaries" in res.stdout
    assert res.stdout.strip().splitlines()[-1].startswith("Not verified: ")


def test_json_verdict_for_machines(case, runner):
    tmp_path, values, gdf = case
    r, c = a_cell_inside(gdf)
    changed = values.copy()
    changed[r, c] += 50.0
    write_asc(tmp_path / GRID, changed, XLL, YLL)
    res = verify(runner, "result.json", "-f", "json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["ok"] is False and doc["kind"] == "query" and "1e-6" in doc["tolerance"]
    grid = next(c for c in doc["checks"] if c["subject"] == "grid NO2 2020")
    assert grid["status"] == "changed" and grid["kind"] == "input"
    no2 = next(c for c in doc["checks"] if c["subject"] == "NO2 2020")
    mean = next(x for x in no2["changes"] if x["figure"] == "mean")
    assert mean["recorded"] == pytest.approx(centre_mean(values, gdf), abs=1e-6)
    assert mean["recomputed"] == pytest.approx(centre_mean(changed, gdf), abs=1e-6)
    assert doc["counts"]["changed"] >= 2


def test_tampered_figure_in_the_output_is_changed(case, runner):
    tmp_path, values, gdf = case
    doc = json.loads((tmp_path / "result.json").read_text())
    true_mean = doc["results"][0]["mean"]
    doc["results"][0]["mean"] = 19.5
    doc["results"][0]["exceeds"] = True
    (tmp_path / "result.json").write_text(json.dumps(doc))
    res = verify(runner, "result.json")
    assert res.exit_code == 1
    line = next(x for x in lines_of(res, "changed") if x.split()[1:3] == ["NO2", "2020"])
    assert f"mean 19.5 -> {true_mean:.1f}" in line and "exceeds true -> false" in line.lower()
    assert all(x.startswith("same") for x in res.stdout.splitlines() if " grid " in x)


def test_moved_input_is_found_with_search(case, runner):
    tmp_path, *_ = case
    archive = tmp_path / "archive" / "laei"
    archive.mkdir(parents=True)
    shutil.move(tmp_path / GRID, archive / "renamed.asc")
    res = verify(runner, "result.json")
    assert res.exit_code == 1
    missing = lines_of(res, "missing")
    assert any("grid NO2 2020" in x and "not found" in x for x in missing)
    assert any(x.split()[1:3] == ["NO2", "2020"] for x in missing)
    res = verify(runner, "result.json", "--search", str(tmp_path / "archive"))
    assert res.exit_code == 0, res.stdout
    line = next(x for x in res.stdout.splitlines() if "grid NO2 2020" in x)
    assert line.startswith("same") and "found by checksum at" in line and "renamed.asc" in line


def test_missing_boundaries_are_missing(case, runner):
    tmp_path, *_ = case
    (tmp_path / "plots.gpkg").unlink()
    res = verify(runner, "result.json")
    assert res.exit_code == 1
    missing = lines_of(res, "missing")
    assert any(x.split()[1] == "boundaries" and "not found" in x for x in missing)
    assert any(x.split()[1:3] == ["NO2", "2020"] for x in missing)
    assert "same     grid NO2 2020" in res.stdout


def test_pdf_report_and_html_map_carry_provenance_and_verify(tmp_path, monkeypatch, runner):
    from pypdf import PdfReader

    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path, name="</script><script>alert(1)</script> Road")
    res = runner.invoke(cli, ["query", "plots.gpkg", "--grid", f"no2:2020={GRID}",
                              "--no-layers", "-o", "out.json", "-f", "json",
                              "--report", "report.pdf", "--map", "map.html"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    attached = PdfReader(tmp_path / "report.pdf").attachments["airq-result.json"][0]
    assert json.loads(attached)["results"] == json.loads((tmp_path / "out.json").read_text())[
        "results"]
    page = (tmp_path / "map.html").read_text()
    assert page.count('id="airq-provenance"') == 1
    assert "<script>alert(1)" not in page.split('id="airq-provenance"')[1].split("</script>")[0]
    for out in ("report.pdf", "map.html"):
        res = verify(runner, out)
        assert res.exit_code == 0, res.stdout
        assert "same     NO2 2020" in res.stdout


def test_html_report_verifies_and_edited_embedded_figure_is_changed(case, runner):
    tmp_path, *_ = case
    res = runner.invoke(cli, ["report", "plots.gpkg", "--where", "street=Test Road", "--grid",
                              f"no2:2020={GRID}", "--no-layers", "-o", "report.html"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert verify(runner, "report.html").exit_code == 0
    page = (tmp_path / "report.html").read_text()
    doc = json.loads((tmp_path / "result.json").read_text())
    n = doc["results"][0]["n_points"]
    page = page.replace(f'"n_points": {n},', f'"n_points": {n + 1},', 1)
    (tmp_path / "report.html").write_text(page)
    res = verify(runner, "report.html")
    assert res.exit_code == 1
    assert f"n_points {n + 1} -> {n}" in res.stdout


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".parquet"])
def test_batch_outputs_verify(tmp_path, monkeypatch, runner, suffix):
    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path)
    res = runner.invoke(cli, ["batch", "plots.gpkg", "--group-by", "ward", "--grid",
                              f"no2:2020={GRID}", "-o", f"wards{suffix}"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = verify(runner, f"wards{suffix}")
    assert res.exit_code == 0, res.stdout
    assert "same     output file" in res.stdout
    assert "same     NO2 2020" in res.stdout and "2 groups" in res.stdout
    if suffix != ".csv":  # GeoPackage and GeoParquet carry it in their metadata too
        (tmp_path / f"wards{suffix}.provenance.json").unlink()
        res = verify(runner, f"wards{suffix}")
        assert res.exit_code == 0, res.stdout
        assert f"provenance from wards{suffix} (metadata)" in res.stdout


def test_batch_csv_tampered_and_grid_changed(tmp_path, monkeypatch, runner):
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    values, gdf = make_inputs(tmp_path)
    res = runner.invoke(cli, ["batch", "plots.gpkg", "--group-by", "ward", "--grid",
                              f"no2:2020={GRID}", "-o", "wards.csv", "--per-boundary"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert verify(runner, "wards.csv").exit_code == 0
    rows = pd.read_csv(tmp_path / "wards.csv")
    rows.loc[rows["airq_id"] == "P3", "mean"] = 99.75
    rows.to_csv(tmp_path / "wards.csv", index=False)
    res = verify(runner, "wards.csv")
    assert res.exit_code == 1
    assert any("output file" in x for x in lines_of(res, "changed"))
    assert any("A P3 mean 99.8 -> " in x for x in lines_of(res, "changed"))


def test_catalogued_grid_source_and_copy(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    values, gdf = make_inputs(tmp_path)
    assert runner.invoke(cli, ["grids", "add", GRID], catch_exceptions=False).exit_code == 0
    res = runner.invoke(cli, ["query", "plots.gpkg", "--no-layers", "-f", "json",
                              "-o", "cat.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    grid = next(i for i in json.loads((tmp_path / "cat.json").read_text())["provenance"]["inputs"]
                if i["role"] == "grid")
    assert grid["catalogue_id"] == "laei-2013-update/no2-2020"
    assert len(grid["catalogue_sha256"]) == 64
    res = verify(runner, "cat.json")
    assert res.exit_code == 0, res.stdout
    assert "catalogue copy laei-2013-update/no2-2020 same" in res.stdout
    # The downloaded file is gone: the catalogue copy it was converted into still checks out.
    (tmp_path / GRID).unlink()
    res = verify(runner, "cat.json")
    assert res.exit_code == 0, res.stdout
    assert "the source file is not at hand" in res.stdout
    # The source file named in the output now holds other values: changed.
    changed = values.copy()
    changed[a_cell_inside(gdf)] += 10
    write_asc(tmp_path / GRID, changed, XLL, YLL)
    res = verify(runner, "cat.json")
    assert res.exit_code == 1
    assert any("grid NO2 2020" in x for x in lines_of(res, "changed"))


def test_grid_in_zip_and_boundaries_crs_given(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    values, gdf = make_inputs(tmp_path)
    with zipfile.ZipFile(tmp_path / "laei.zip", "w") as zf:
        zf.write(tmp_path / GRID, f"ASCII/{GRID}")
    gdf.to_file(tmp_path / "nocrs.shp", engine="pyogrio")
    (tmp_path / "nocrs.prj").unlink()  # a shapefile whose .prj was lost
    res = runner.invoke(cli, ["query", "nocrs.shp", "--boundaries-crs", "EPSG:27700",
                              "--grid", "no2:2020=laei.zip", "--no-layers", "-f", "json",
                              "-o", "zip.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = verify(runner, "zip.json")
    assert res.exit_code == 0, res.stdout
    assert f"laei.zip!ASCII/{GRID}" in res.stdout


def test_unknown_input_role_is_checked_by_checksum_only(case, runner):
    from airq.read.grids import sha256_file

    tmp_path, *_ = case
    (tmp_path / "addresses.csv").write_text("uprn,x,y\n1,547300,187300\n")
    doc = json.loads((tmp_path / "result.json").read_text())
    doc["provenance"]["inputs"].append({"role": "addresses", "source": "addresses.csv",
                                        "sha256": sha256_file(tmp_path / "addresses.csv")})
    (tmp_path / "result.json").write_text(json.dumps(doc))
    res = verify(runner, "result.json")
    assert res.exit_code == 0, res.stdout
    line = next(x for x in res.stdout.splitlines() if x.split()[1] == "addresses")
    assert line.startswith("same") and "checked checksum only" in line
    (tmp_path / "addresses.csv").write_text("uprn,x,y\n1,547300,187301\n")
    res = verify(runner, "result.json")
    assert res.exit_code == 1
    assert any(x.split()[1] == "addresses" for x in lines_of(res, "changed"))


def test_bad_outputs_and_options(tmp_path, monkeypatch, runner, case):
    res = runner.invoke(cli, ["verify", "nothing.json"])
    assert res.exit_code == 1 and "Error: nothing.json not found" in res.stderr
    (tmp_path / "notes.txt").write_text("NO2 26.4\n")
    res = runner.invoke(cli, ["verify", "notes.txt"])
    assert res.exit_code == 1 and "cannot read notes.txt" in res.stderr
    assert "Traceback" not in res.stderr
    (tmp_path / "other.json").write_text('{"a": 1}')
    res = runner.invoke(cli, ["verify", "other.json"])
    assert res.exit_code == 1 and "not an airq query result" in res.stderr
    (tmp_path / "broken.json").write_text('{"a": ')
    res = runner.invoke(cli, ["verify", "broken.json"])
    assert res.exit_code == 1 and "not valid JSON" in res.stderr
    res = runner.invoke(cli, ["verify", "result.json", "--search", "no-such-dir"])
    assert res.exit_code == 2 and "--search" in res.stderr
    (tmp_path / "page.html").write_text("<html><body>NO2 26.4</body></html>")
    res = runner.invoke(cli, ["verify", "page.html"])
    assert res.exit_code == 1 and "carries no airq provenance" in res.stderr
    res = runner.invoke(cli, ["verify", "result.json", "-o", "result.json"])
    assert res.exit_code == 2 and "is an input of this command" in res.stderr


def test_synthetic_demo_outputs_say_so(case, runner):
    tmp_path, *_ = case
    doc = json.loads((tmp_path / "result.json").read_text())
    doc["provenance"]["synthetic"] = True
    (tmp_path / "result.json").write_text(json.dumps(doc))
    res = verify(runner, "result.json")
    assert res.stdout.startswith("*** SYNTHETIC DEMO DATA")


# --------------------------------------------------------------------------- comparison

def test_tolerance_is_one_unit_in_the_sixth_decimal():
    assert same_value(26.401234, 26.401235)
    assert same_value(26.401234, 26.401234 + TOLERANCE)
    assert not same_value(26.401234, 26.401236)
    assert not same_value(True, 1) and not same_value(0, False)
    assert same_value(49, 49.0) and not same_value("49", 49)
    assert same_value(None, None) and not same_value(None, 0.0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(-1e6, 1e6, allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["mean", "sd", "n", "name", "x"]), children, max_size=4),
    max_leaves=20)


@given(json_values)
def test_a_document_is_the_same_as_itself(doc):
    assert diff(doc, doc) == []
    assert diff(json.loads(json.dumps(doc)), doc) == []


@given(st.floats(-1e4, 1e4, allow_nan=False), st.floats(2e-6, 100))
def test_a_moved_number_is_a_change(value, shift):
    changes = diff({"results": [{"mean": value}]}, {"results": [{"mean": value + shift}]})
    assert [c.figure for c in changes] == ["results[0].mean"]


def test_paths_and_times_are_not_figures():
    a = {"provenance": {"run_at": "2026-01-01", "working_dir": "/a"}, "source": "x.asc"}
    b = {"provenance": {"run_at": "2027-01-01", "working_dir": "/b"}, "source": "y/x.asc"}
    assert diff(a, b) == []
    assert [c.figure for c in diff({"n": 1}, {})] == ["n"]


def test_change_text_shows_the_digits_that_differ():
    from airq.analyse.compare import Change
    from airq.render.verify_text import change_text

    assert change_text(Change("mean", 26.4, 27.1)) == "mean 26.4 -> 27.1"
    assert change_text(Change("mean", 26.401234, 26.401934)) == "mean 26.401 -> 26.402"
    assert change_text(Change("n_points", 49, 50)) == "n_points 49 -> 50"
    assert change_text(Change("exceeds", False, True)) == "exceeds False -> True"


def test_batch_table_from_demo_grids_says_synthetic_and_verifies(tmp_path, monkeypatch, runner):
    import pandas as pd

    from airq.demo import MARKER_NAME

    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path)
    (tmp_path / "demo").mkdir()
    shutil.move(tmp_path / GRID, tmp_path / "demo" / GRID)
    (tmp_path / "demo" / MARKER_NAME).write_text("synthetic\n")
    res = runner.invoke(cli, ["batch", "plots.gpkg", "--group-by", "ward", "--grid",
                              f"no2:2020=demo/{GRID}", "-o", "wards.csv"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    rows = pd.read_csv(tmp_path / "wards.csv")
    assert (rows["notice"] == "SYNTHETIC DEMO DATA").all()
    res = verify(runner, "wards.csv")
    assert res.exit_code == 0, res.stdout
    assert res.stdout.startswith("*** SYNTHETIC DEMO DATA")


def write_layer(folder):
    """A small former-industry layer: one site on the plots, one 100 m away."""
    sites = gpd.GeoDataFrame(
        {"use": ["gas works", "tannery"], "site_name": ["Old Gas Works", "Tan Yard"],
         "start_year": [1890, 1901], "end_year": [1950, 1930]},
        geometry=[shapely.box(XLL + 210, YLL + 210, XLL + 230, YLL + 230),
                  shapely.box(XLL + 300, YLL + 360, XLL + 320, YLL + 380)], crs="EPSG:27700")
    sites.to_file(folder / "industry.gpkg", engine="pyogrio")
    return folder / "industry.gpkg"


def test_land_use_layers_are_inputs_and_verified(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path)
    write_layer(tmp_path)
    res = runner.invoke(cli, ["query", "plots.gpkg", "--grid", f"no2:2020={GRID}",
                              "--layer", "industry.gpkg", "--per-boundary", "-f", "json",
                              "-o", "lu.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "lu.json").read_text())
    layer = next(i for i in doc["provenance"]["inputs"] if i["role"] == "layer")
    assert layer["source"].endswith("industry.gpkg") and len(layer["sha256"]) == 64
    res = verify(runner, "lu.json")
    assert res.exit_code == 0, res.stdout
    assert "same     layer industry" in res.stdout and "same     land use industry" in res.stdout
    assert "same     per-boundary values" in res.stdout
    # One site moved 50 m: the layer file and its distances are changed.
    sites = gpd.read_file(tmp_path / "industry.gpkg")
    sites.geometry = sites.geometry.translate(0, 50)
    sites.to_file(tmp_path / "industry.gpkg", engine="pyogrio")
    res = verify(runner, "lu.json")
    assert res.exit_code == 1
    assert any(x.split()[1:3] == ["layer", "industry"] for x in lines_of(res, "changed"))
    line = next(x for x in lines_of(res, "changed") if "land use industry" in x)
    assert "distance_m" in line
    assert "same     NO2 2020" in res.stdout


def test_catalogued_layer_and_screen_json(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path)
    write_layer(tmp_path)
    res = runner.invoke(cli, ["layers", "add", "industry.gpkg", "--kind", "industry",
                              "--category-field", "use", "--name-field", "site_name"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["screen", "plots.gpkg", "-f", "json", "-o", "screen.json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "screen.json").read_text())
    assert doc["provenance"]["settings"]["bands_m"] == [0.0, 50.0, 250.0, 500.0]
    assert {i["role"] for i in doc["provenance"]["inputs"]} == {"boundaries", "layer"}
    res = verify(runner, "screen.json")
    assert res.exit_code == 0, res.stdout
    assert "same     land use industry" in res.stdout and "2 records" in res.stdout
    # The source file is gone: the catalogued copy of it still reproduces the screening.
    (tmp_path / "industry.gpkg").unlink()
    res = verify(runner, "screen.json")
    assert res.exit_code == 0, res.stdout
    assert "used the catalogued copy" in res.stdout
    doc["records"][0]["distance_m"] += 5
    (tmp_path / "screen.json").write_text(json.dumps(doc))
    res = verify(runner, "screen.json")
    assert res.exit_code == 1
    assert any("land use industry" in x and "distance_m" in x for x in lines_of(res, "changed"))


RATES_CSV = """area,cases,person_years
Street,18,4300
Borough,1840,420000
"""


def test_rates_json_verifies(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cancers.csv").write_text(RATES_CSV)
    res = runner.invoke(cli, ["rates", "cancers.csv", "--reference", "Borough", "-f", "json",
                              "-o", "rates.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = verify(runner, "rates.json")
    assert res.exit_code == 0, res.stdout
    assert "same     table" in res.stdout and "same     rates Street" in res.stdout
    assert "packaged with airq" in res.stdout
    (tmp_path / "cancers.csv").write_text(RATES_CSV.replace("Street,18,", "Street,28,"))
    res = verify(runner, "rates.json")
    assert res.exit_code == 1
    assert any(x.split()[1] == "table" for x in lines_of(res, "changed"))
    line = next(x for x in lines_of(res, "changed") if "rates Street" in x)
    assert "cases 18 -> 28" in line and "crude_rate" in line
    res = runner.invoke(cli, ["rates", "--cases", "79", "--person-years", "21507", "--area",
                              "LSOA of interest", "-f", "json", "-o", "one.json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "one.json").read_text())
    assert verify(runner, "one.json").exit_code == 0
    doc[0]["crude_rate"] = 400.0
    (tmp_path / "one.json").write_text(json.dumps(doc))
    res = verify(runner, "one.json")
    assert res.exit_code == 1
    assert "crude_rate 400.0 -> 367.3" in res.stdout


def test_report_with_a_rate_table_verifies_both_tracks(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    make_inputs(tmp_path)
    (tmp_path / "cancers.csv").write_text(RATES_CSV)
    res = runner.invoke(cli, ["rates", "cancers.csv", "--reference", "Borough", "-f", "json",
                              "-o", "rates.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["report", "plots.gpkg", "--grid", f"no2:2020={GRID}",
                              "--no-layers", "--rates", "rates.json", "-o", "report.pdf"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    res = verify(runner, "report.pdf")
    assert res.exit_code == 0, res.stdout
    assert "same     rate table" in res.stdout and "rates.json" in res.stdout
    assert "same     rates Street" in res.stdout and "same     NO2 2020" in res.stdout
    # The registry extract behind the rate table is edited: the report no longer reproduces.
    (tmp_path / "cancers.csv").write_text(RATES_CSV.replace("Street,18,", "Street,28,"))
    res = verify(runner, "report.pdf")
    assert res.exit_code == 1
    assert any("rates Street" in x and "cases 18 -> 28" in x for x in lines_of(res, "changed"))
    assert "same     NO2 2020" in res.stdout
