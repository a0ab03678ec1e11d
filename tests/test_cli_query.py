"""`airq query` end to end: numbers against an independent computation, and every error."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from airq.cli import cli
from tests.conftest import write_asc, write_points_csv

XLL, YLL, CS = 547010.0, 187010.0, 20.0
NROWS, NCOLS = 40, 50


def unseen_inputs(tmp_path, seed):
    """A random grid in two published layouts and random boundaries in two CRSs."""
    rng = np.random.default_rng(seed)
    values = rng.gamma(20, 1.3, size=(NROWS, NCOLS))
    values[rng.random(values.shape) < 0.02] = -9999
    asc = write_asc(tmp_path / "PostLAEI2013_2020_NO2.asc", values, XLL, YLL)
    csv = write_points_csv(tmp_path / "laei_LAEI2019v3_CorNOx15_NO2.csv", values, XLL, YLL)
    polys = []
    for _i in range(8):
        cx, cy = rng.uniform(XLL + 100, XLL + NCOLS * CS - 100), rng.uniform(YLL + 100,
                                                                            YLL + NROWS * CS - 100)
        w, h = rng.uniform(8, 60), rng.uniform(20, 90)
        polys.append(shapely.affinity.rotate(shapely.box(cx - w / 2, cy - h / 2, cx + w / 2,
                                                         cy + h / 2), rng.uniform(0, 180)))
    gdf = gpd.GeoDataFrame({"plot_id": [f"P{i}" for i in range(8)], "street": ["Test Road"] * 8},
                           geometry=polys, crs="EPSG:27700")
    gdf.to_file(tmp_path / "plots.gpkg", engine="pyogrio")
    gdf.to_crs("EPSG:4326").to_file(tmp_path / "plots_wgs84.geojson", engine="pyogrio")
    return values, asc, csv, gdf


def independent(values, polys):
    """Centre rule by brute force: every cell centre tested with shapely's covers."""
    union = shapely.union_all(polys)
    picked, nodata = [], 0
    for r in range(NROWS):
        for c in range(NCOLS):
            x = XLL + (c + 0.5) * CS
            y = YLL + (NROWS - r - 0.5) * CS
            if union.covers(shapely.Point(x, y)):
                if values[r, c] == -9999:
                    nodata += 1
                else:
                    picked.append(np.float32(values[r, c]))
    return np.array(picked, dtype=float), nodata


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("grid_kind", ["asc", "csv"])
@pytest.mark.parametrize("bounds_file", ["plots.gpkg", "plots_wgs84.geojson"])
def test_query_json_matches_independent_centre_rule(runner, tmp_path, seed, grid_kind,
                                                    bounds_file):
    values, asc, csv, gdf = unseen_inputs(tmp_path, seed)
    grid = asc if grid_kind == "asc" else csv
    res = runner.invoke(cli, ["query", str(tmp_path / bounds_file), "--where", "street=Test Road",
                              "--grid", f"no2={grid}", "--format", "json", "--no-layers"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    (row,) = doc["results"]
    picked, nodata = independent(values, gdf.geometry.values)
    assert row["n_points"] == len(picked) > 0
    assert row["n_nodata"] == nodata
    assert row["mean"] == pytest.approx(picked.mean(), abs=1e-4)
    assert row["sd"] == pytest.approx(picked.std(), abs=1e-4)
    assert row["min"] == pytest.approx(picked.min(), abs=1e-4)
    assert row["max"] == pytest.approx(picked.max(), abs=1e-4)
    # the model year comes from the LAEI file name
    assert row["pollutant"] == "no2" and row["objective"] == 40
    assert row["year"] == (2020 if grid_kind == "asc" else 2019)
    assert row["exceeds"] == (picked.mean() > 40)
    grid_input = [i for i in doc["provenance"]["inputs"] if i["role"] == "grid"][0]
    assert grid_input["crs_assumed"] is True and len(grid_input["sha256"]) == 64
    assert "assumed EPSG:27700" in " ".join(doc["warnings"])
    assert doc["area"]["name"] == "Test Road"


def test_sample_sd_and_per_boundary_fallback(runner, tmp_path):
    values, asc, _, gdf = unseen_inputs(tmp_path, 5)
    tiny = gpd.GeoDataFrame({"plot_id": ["T1"], "street": ["Tiny"]},
                            geometry=[shapely.box(XLL + 401, YLL + 401, XLL + 409, YLL + 409)],
                            crs="EPSG:27700")
    tiny.to_file(tmp_path / "tiny.gpkg", engine="pyogrio")
    res = runner.invoke(cli, ["query", str(tmp_path / "tiny.gpkg"), "--grid", f"no2:2020={asc}",
                              "--per-boundary", "--sd", "sample", "-f", "json", "--no-layers"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["area"]["no_centre_ids"] == ["T1"]
    assert doc["results"][0]["fallback"] is True
    (b,) = doc["per_boundary"]
    assert b["fallback"] == "containing-cell" and b["n_points"] == 1
    assert b["mean"] == pytest.approx(float(np.float32(values[NROWS - 1 - 20, 20])), abs=1e-4)
    assert "no grid point" in res.stderr


def test_demo_outputs_say_synthetic_and_carry_land_use(runner, tmp_path):
    res = runner.invoke(cli, ["demo", "--dir", str(tmp_path)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    plots = str(tmp_path / "boundaries" / "demo" / "residential_plots.gpkg")
    for fmt in ("text", "markdown", "json", "csv"):
        r = runner.invoke(cli, ["query", plots, "--where", "street=Woodlands Avenue", "-f", fmt],
                          catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        assert "SYNTHETIC DEMO DATA" in r.stdout or (fmt == "csv" and "True" in r.stdout)
        if fmt == "json":
            doc = json.loads(r.stdout)
            assert doc["synthetic_demo_data"] is True
            recs = doc["land_use"]["records"]
            assert {"layer", "name", "category", "distance_m", "direction", "band", "start",
                    "end"} <= set(recs[0])
            assert doc["land_use"]["timeline"]
            assert {r["year"] for r in doc["results"]} == {2013, 2020}
        if fmt in ("text", "markdown"):
            assert "landfill" in r.stdout.lower()
    scr = runner.invoke(cli, ["screen", plots, "--where", "street=Woodlands Avenue"],
                        catch_exceptions=False)
    assert scr.exit_code == 0 and scr.stdout.startswith("*** SYNTHETIC DEMO DATA")


def test_output_file_atomic_and_no_overwrite(runner, tmp_path):
    _, asc, _, _ = unseen_inputs(tmp_path, 1)
    out = tmp_path / "out.json"
    args = ["query", str(tmp_path / "plots.gpkg"), "--grid", f"no2:2020={asc}", "-f", "json",
            "-o", str(out), "--no-layers"]
    assert runner.invoke(cli, args, catch_exceptions=False).exit_code == 0
    first = out.read_text()
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    assert out.read_text() == first
    assert runner.invoke(cli, [*args, "--overwrite"]).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")]


def _err(res, code=1):
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    return res.stderr


def test_error_cases_as_a_new_user_meets_them(runner, tmp_path):
    values, asc, _, gdf = unseen_inputs(tmp_path, 2)
    plots = str(tmp_path / "plots.gpkg")
    grid = f"no2:2020={asc}"
    q = ["query", "--no-layers"]
    assert "boundary file" in _err(runner.invoke(cli, [*q, str(tmp_path / "nope.gpkg"),
                                                       "--grid", grid]))
    assert "not found" in _err(runner.invoke(cli, [*q, plots, "--grid",
                                                   f"no2:2020={tmp_path / 'nope.asc'}"]))
    (tmp_path / "grid.xyz").write_text("1 2 3\n")
    assert "unknown grid layout" in _err(runner.invoke(cli, [*q, plots, "--grid",
                                                             f"no2:2020={tmp_path / 'grid.xyz'}"]))
    # catalogue: empty, then a pollutant and a year it does not hold
    assert "catalogue is empty" in _err(runner.invoke(cli, [*q, plots]))
    assert runner.invoke(cli, ["grids", "add", str(asc)]).exit_code == 0
    msg = _err(runner.invoke(cli, [*q, plots, "--pollutant", "pm25"]))
    assert "no pm25 grid" in msg and "no2:2020" in msg
    msg = _err(runner.invoke(cli, [*q, plots, "--year", "2019"]))
    assert "2019" in msg and "no2:2020" in msg
    # boundaries without a CRS
    import warnings

    nocrs = gdf.set_crs(None, allow_override=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # geopandas notes the missing CRS
        nocrs.to_file(tmp_path / "nocrs.shp", engine="pyogrio")
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    assert "--boundaries-crs" in _err(runner.invoke(cli, [*q, str(tmp_path / "nocrs.shp")]))
    # where matching nothing lists the closest values
    msg = _err(runner.invoke(cli, [*q, plots, "--where", "street=Test Rd"]))
    assert "closest values" in msg and "'Test Road'" in msg
    # boundaries wholly outside the grid
    far = gpd.GeoDataFrame(geometry=[shapely.box(400000, 100000, 400050, 100050)],
                           crs="EPSG:27700")
    far.to_file(tmp_path / "far.gpkg", engine="pyogrio")
    msg = _err(runner.invoke(cli, [*q, str(tmp_path / "far.gpkg")]))
    assert "wholly outside" in msg and "extent x 547010-548010" in msg
    # a PM10d day-count grid offered as a concentration
    d = write_asc(tmp_path / "PostLAEI2013_2020_PM10d.asc", values, XLL, YLL)
    msg = _err(runner.invoke(cli, [*q, plots, "--grid", f"pm10:2020={d}"]))
    assert "not a concentration" in msg
    # usage errors: exit 2 naming the option
    assert "--grid" in _err(runner.invoke(cli, [*q, plots, "--grid", "no2-2020"]), 2)
    assert "--method" in _err(runner.invoke(cli, [*q, plots, "--method", "mean"]), 2)
    assert "--bands" in _err(runner.invoke(cli, [*q, plots, "--bands", "500,50"]), 2)
    err = _err(runner.invoke(cli, [*q, plots, "--objectives", "mars"]), 2)
    assert "--objectives" in err and "unknown objective set 'mars'" in err


def test_partial_overlap_warns_with_share(runner, tmp_path):
    _, asc, _, _ = unseen_inputs(tmp_path, 4)
    half = gpd.GeoDataFrame(geometry=[shapely.box(XLL - 100, YLL + 100, XLL + 100, YLL + 300)],
                            crs="EPSG:27700")
    half.to_file(tmp_path / "half.gpkg", engine="pyogrio")
    res = runner.invoke(cli, ["query", str(tmp_path / "half.gpkg"), "--grid", f"no2:2020={asc}",
                              "--no-layers", "-f", "json"], catch_exceptions=False)
    assert res.exit_code == 0
    assert "50.0% of the area lies outside the grid" in res.stderr
    res = runner.invoke(cli, ["query", str(tmp_path / "half.gpkg"), "--grid", f"no2:2020={asc}",
                              "--no-layers", "--strict"])
    assert _err(res).count("--strict") == 1


def test_grids_catalogue_commands(runner, tmp_path, airq_home):
    _, asc, _, _ = unseen_inputs(tmp_path, 6)
    res = runner.invoke(cli, ["grids", "add", str(asc)], catch_exceptions=False)
    assert res.exit_code == 0 and "CRS assumed" in res.stderr
    listed = json.loads(runner.invoke(cli, ["grids", "list", "--json"]).stdout)
    (e,) = listed
    assert e["id"] == "laei-2013-update/no2-2020" and e["crs_assumed"] is True
    from airq.read.grids import sha256_file

    assert e["sha256"] == sha256_file(asc)
    assert (airq_home / "grids" / e["file"] if "file" in e else True)
    assert "already holds" in _err(runner.invoke(cli, ["grids", "add", str(asc)]))
    info = json.loads(runner.invoke(cli, ["grids", "info", e["id"]]).stdout)
    assert info["edition"] == "LAEI 2013 (update)"
    assert runner.invoke(cli, ["grids", "remove", e["id"]]).exit_code == 0
    assert "no grid" in _err(runner.invoke(cli, ["grids", "info", e["id"]]))


def test_objectives_command(runner):
    res = runner.invoke(cli, ["objectives", "-f", "json"], catch_exceptions=False)
    doc = json.loads(res.stdout)
    got = {(o["set"], o["pollutant"], o["period"]): o["value"] for o in doc["objectives"]}
    assert got[("uk", "no2", "annual")] == 40 and got[("uk", "pm25", "annual")] == 25
    assert got[("england-2040", "pm25", "annual")] == 10
    assert got[("scotland", "pm10", "annual")] == 18
    assert got[("eu-stage2", "pm25", "annual")] == 20
    assert got[("who-2021", "no2", "annual")] == 10
    assert got[("uk", "pm10", "24-hour")] == 50
    text = runner.invoke(cli, ["objectives"]).stdout
    assert "SI 2023/96" in text and doc["version"]


def test_grids_add_zip_and_query_area_weighted(runner, tmp_path):
    import zipfile

    values, asc, csv, gdf = unseen_inputs(tmp_path, 8)
    z = tmp_path / "LAEI2013-Update.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(asc, f"4.1. Concentrations LAEI 2013 Update/2020/ASCII/{asc.name}")
        zf.write(csv, f"4.1. Concentrations LAEI 2013 Update/2020/CSV/{csv.name}")
    res = runner.invoke(cli, ["grids", "add", str(z)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    ids = [e["id"] for e in json.loads(runner.invoke(cli, ["grids", "list", "--json"]).stdout)]
    assert ids == ["laei-2013-update/no2-2020", "laei-2019/no2-2019"]
    res = runner.invoke(cli, ["query", str(tmp_path / "plots.gpkg"), "--edition", "LAEI 2019",
                              "--method", "area-weighted", "-f", "json", "--no-layers"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    row = json.loads(res.stdout)["results"][0]
    # independent: coverage fractions from shapely intersections with each cell
    union = shapely.union_all(gdf.geometry.values)
    num = den = 0.0
    for r in range(NROWS):
        for c in range(NCOLS):
            x0, y1 = XLL + c * CS, YLL + (NROWS - r) * CS
            a = union.intersection(shapely.box(x0, y1 - CS, x0 + CS, y1)).area / CS ** 2
            if a > 0 and values[r, c] != -9999:
                num += a * float(np.float32(values[r, c]))
                den += a
    assert row["method"] == "area-weighted"
    assert row["mean"] == pytest.approx(num / den, abs=1e-4)
