"""LAEI 2022: its published names inside zips and as loose files, with and without a .prj."""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pytest

from airq.cli import cli
from airq.errors import AssumedCRSWarning, CRSError
from airq.read.grids import parse_laei_name, read_grid
from tests.conftest import write_asc, write_points_csv
from tests.test_cli_query import CS, NCOLS, NROWS, XLL, YLL, independent, unseen_inputs

POLLUTANTS = ("NO2", "NOx", "PM10m", "PM10d", "PM25")
# An ESRI .prj for British National Grid, as ArcGIS writes it.
BNG_PRJ = (
    'PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",'
    'SPHEROID["Airy_1849",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],'
    'PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],'
    'PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]'
)


@pytest.mark.parametrize("name, expected", [
    ("LAEI2022_V1_NO2.asc", ("no2", 2022, "LAEI 2022")),
    ("ASCII/LAEI2022_V1_NOx.asc", ("nox", 2022, "LAEI 2022")),
    ("CSV/LAEI2022_V1_PM10m.csv", ("pm10", 2022, "LAEI 2022")),
    ("LAEI2022_V1_PM10d.asc", ("pm10d", 2022, "LAEI 2022")),
    ("LAEI2022_V1_PM25.csv", ("pm25", 2022, "LAEI 2022")),
    ("laei2022_v2_no2.ASC", ("no2", 2022, "LAEI 2022")),
    # no published pattern: today's rule (ask for the CRS) stays
    ("LAEI2022_NO2.asc", (None, None, None)),
    ("LAEI2022_V1_NO2_clipped.asc", (None, None, None)),
])
def test_laei2022_names(name, expected):
    n = parse_laei_name(name)
    assert (n.pollutant, n.year, n.edition) == expected


def _zip_2022(tmp_path, values: dict, *, prj: bool = False, with_csv: bool = True):
    """A zip in the LAEI 2022 layout: ASCII/LAEI2022_V1_<P>.asc and CSV/LAEI2022_V1_<P>.csv."""
    z = tmp_path / "LAEI2022-Concentrations-Data.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for p, v in values.items():
            asc = write_asc(tmp_path / f"LAEI2022_V1_{p}.asc", v, XLL, YLL)
            zf.write(asc, f"ASCII/LAEI2022_V1_{p}.asc")
            if prj:
                zf.writestr(f"ASCII/LAEI2022_V1_{p}.prj", BNG_PRJ)
            if with_csv:
                csv = write_points_csv(tmp_path / f"LAEI2022_V1_{p}.csv", v, XLL, YLL)
                zf.write(csv, f"CSV/LAEI2022_V1_{p}.csv")
            asc.unlink()
            if with_csv:
                csv.unlink()
    return z


def _values(seed):
    rng = np.random.default_rng(seed)
    out = {p: rng.gamma(20, 1.2, size=(NROWS, NCOLS)) for p in POLLUTANTS}
    out["PM10d"] = rng.uniform(0, 30, size=(NROWS, NCOLS))
    out["NO2"][rng.random((NROWS, NCOLS)) < 0.02] = -9999
    return out


def test_zip_catalogued_and_queried_for_2022(runner, tmp_path):
    """The issue's show: a zip in the LAEI 2022 layout, `grids add ZIP`, `query --year 2022`."""
    _, _, _, gdf = unseen_inputs(tmp_path, 5)
    values = _values(5)
    z = _zip_2022(tmp_path, values)
    res = runner.invoke(cli, ["grids", "add", str(z)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    for pid in ("no2", "nox", "pm10", "pm10d", "pm25"):
        assert f"Added laei-2022/{pid}-2022: " in res.stderr
    assert "(CRS assumed EPSG:27700)" in res.stderr
    listing = json.loads(runner.invoke(cli, ["grids", "list", "--json"]).stdout)
    assert {e["member"] for e in listing} == {f"ASCII/LAEI2022_V1_{p}.asc" for p in POLLUTANTS}
    assert {(e["edition"], e["year"], e["crs"], e["crs_assumed"]) for e in listing} == {
        ("LAEI 2022", 2022, "EPSG:27700", True)}
    res = runner.invoke(cli, ["query", str(tmp_path / "plots.gpkg"), "--year", "2022",
                              "--no-layers", "-f", "json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    rows = {r["pollutant"]: r for r in doc["results"]}
    assert set(rows) == {"no2", "pm10", "pm25"}
    source = {"no2": "NO2", "pm10": "PM10m", "pm25": "PM25"}
    for pid, row in rows.items():
        picked, nodata = independent(values[source[pid]], gdf.geometry.values)
        assert row["edition"] == "LAEI 2022" and row["year"] == 2022
        assert row["n_points"] == len(picked) > 0 and row["n_nodata"] == nodata
        assert row["mean"] == pytest.approx(picked.mean(), abs=1e-4)
        assert row["sd"] == pytest.approx(picked.std(), abs=1e-4)
    days, _ = independent(values["PM10d"], gdf.geometry.values)
    (st,) = [s for s in doc["short_term"] if s["testable"]]
    assert st["year"] == 2022 and st["days"]["mean"] == pytest.approx(days.mean(), abs=1e-4)
    assert any("assumed EPSG:27700" in w for w in doc["warnings"])
    text = runner.invoke(cli, ["query", str(tmp_path / "plots.gpkg"), "--year", "2022",
                               "--no-layers"]).stdout
    assert "Inventory: LAEI 2022; model year 2022" in text
    assert "LAEI2022-Concentrations-Data.zip!ASCII/LAEI2022_V1_NO2.asc, LAEI 2022" in text


def test_zip_with_prj_uses_it(tmp_path):
    z = _zip_2022(tmp_path, {"NO2": np.full((3, 3), 25.0)}, prj=True, with_csv=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumedCRSWarning)
        g = read_grid(z, pollutant="no2", year=2022)
    assert g.crs == "EPSG:27700" and not g.info.crs_assumed
    assert g.info.crs_note == "from the file"
    assert g.info.edition == "LAEI 2022" and g.info.year == 2022


def test_loose_files_with_and_without_prj(tmp_path):
    v = np.arange(12, dtype=float).reshape(3, 4) + 20
    asc = write_asc(tmp_path / "LAEI2022_V1_PM10m.asc", v, XLL, YLL)
    csv = write_points_csv(tmp_path / "LAEI2022_V1_PM10m.csv", v, XLL, YLL)
    for path in (asc, csv):
        with pytest.warns(AssumedCRSWarning, match="assumed EPSG:27700"):
            g = read_grid(path)
        assert (g.info.pollutant, g.info.year, g.info.edition) == ("pm10", 2022, "LAEI 2022")
        assert g.info.crs_assumed and np.allclose(g.values, v, atol=1e-3)
        path.with_suffix(".prj").write_text(BNG_PRJ)
        with warnings.catch_warnings():
            warnings.simplefilter("error", AssumedCRSWarning)
            g = read_grid(path)
        assert g.crs == "EPSG:27700" and not g.info.crs_assumed
        path.with_suffix(".prj").unlink()


def test_csv_prj_in_another_crs_is_used_for_the_window(tmp_path):
    """A .prj that names another CRS is used, and the window is read in that CRS."""
    v = np.arange(12, dtype=float).reshape(3, 4) + 20
    csv = write_points_csv(tmp_path / "LAEI2022_V1_NO2.csv", v, 1000, 2000)
    (tmp_path / "LAEI2022_V1_NO2.prj").write_text("EPSG:3857")
    seen = []
    g = read_grid(csv, bounds=lambda crs: seen.append(crs) or (1000, 2000, 1020, 2020))
    assert g.crs == "EPSG:3857" and seen == ["EPSG:3857"]
    (tmp_path / "LAEI2022_V1_NO2.prj").write_text("not a CRS at all")
    with pytest.raises(CRSError, match="LAEI2022_V1_NO2.prj"):
        read_grid(csv)


def test_unpublished_name_asks_for_the_crs(runner, tmp_path):
    write_asc(tmp_path / "LAEI2022_NO2.asc", np.ones((2, 2)), XLL, YLL)
    res = runner.invoke(cli, ["grids", "add", str(tmp_path / "LAEI2022_NO2.asc"),
                              "--pollutant", "no2", "--year", "2022"])
    assert res.exit_code == 1 and "--grid-crs" in res.stderr
    assert CS == 20.0
