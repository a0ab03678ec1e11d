"""A damaged or ambiguous input's warning reaches EVERY output: each warning class x output."""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from airq.cli import cli
from tests.conftest import write_asc

XLL, YLL = 530000.0, 180000.0
NAME = "PostLAEI2013_2020_NO2"
BAD = (5, 4)  # row, col of a cell whose centre lies inside Orchard Close


def _plots(folder, *, bowtie=False, null=False, tiny=False):
    plots = [shapely.box(530060 + 20 * i, 180060, 530080 + 20 * i, 180120) for i in range(4)]
    if bowtie:
        plots[1] = shapely.Polygon([(530080, 180060), (530100, 180120), (530100, 180060),
                                    (530080, 180120)])
    if null:
        plots[2] = None
    if tiny:  # holds no cell centre (centres lie at 530070 + 20 k)
        plots[3] = shapely.box(530121, 180101, 530123, 180103)
    plots.append(shapely.box(530190, 180150, 530230, 180190))
    gdf = gpd.GeoDataFrame({"plot_id": [f"OC-{i}" for i in range(4)] + ["FL-1"],
                            "street": ["Orchard Close"] * 4 + ["Far Lane"]},
                           geometry=plots, crs="EPSG:27700")
    path = folder / "plots.gpkg"
    gdf.to_file(path, engine="pyogrio")
    return path


def _grid(folder, cell=None, prj=True):
    values = np.round(np.random.default_rng(1).uniform(20, 36, size=(10, 12)), 3)
    if cell is not None:
        values[BAD] = cell
    asc = write_asc(folder / f"{NAME}.asc", values, XLL, YLL)
    if prj:
        from pyproj import CRS

        asc.with_suffix(".prj").write_text(CRS("EPSG:27700").to_wkt("WKT1_ESRI"))
    return asc


# class: (grid damage, boundaries damage, extra options, words the warning holds)
CLASSES = {
    "assumed CRS": (dict(prj=False), {}, [], "assumed EPSG:27700"),
    "NODATA in the area": (dict(cell=-9999.0), {}, [], "are NODATA"),
    "implausible dropped": (dict(cell=1e30), {}, ["--drop-implausible"], "implausible"),
    "boundary repaired": ({}, dict(bowtie=True), [], "make_valid"),
    "boundary dropped": ({}, dict(null=True), [], "with no geometry"),
    "no grid point": ({}, dict(tiny=True), [], "hold no grid point"),
}


def _visible(page: str) -> str:
    """Text a reader sees: tags and styles gone (folium adds controls by script)."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _in(words, text):
    return words.lower() in re.sub(r"\s+", " ", text).lower()


@pytest.mark.parametrize("kind", list(CLASSES))
def test_query_warning_reaches_text_markdown_json_csv_map_and_report(runner, tmp_path, kind):
    grid_damage, plot_damage, extra, words = CLASSES[kind]
    grid, plots = _grid(tmp_path, **grid_damage), _plots(tmp_path, **plot_damage)
    base = ["query", str(plots), "--where", "street=Orchard Close", "--grid",
            f"no2:2020={grid}", "--no-layers", *extra]
    res = runner.invoke(cli, [*base, "--map", str(tmp_path / "m.html"), "--report",
                              str(tmp_path / "r.html")], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert _in(words, res.stdout) and _in(words, res.stderr)
    assert _in(words, _visible((tmp_path / "m.html").read_text()))
    assert _in(words, _visible((tmp_path / "r.html").read_text()))
    for fmt in ("markdown", "json", "csv"):
        res = runner.invoke(cli, [*base, "-f", fmt], catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        if fmt == "json":
            assert _in(words, " ".join(json.loads(res.stdout)["warnings"])), fmt
        else:
            assert _in(words, res.stdout), fmt
        res = runner.invoke(cli, [*base, "-f", fmt, "--strict"])
        assert res.exit_code == 1 and _in(words, res.stderr), (fmt, res.stderr)


@pytest.mark.parametrize("kind", ["NODATA in the area", "implausible dropped",
                                  "boundary repaired", "boundary dropped"])
def test_batch_warning_reaches_provenance_map_and_strict(runner, tmp_path, kind):
    # NODATA inside a group was only a number in the n_nodata column: no warning, no word
    # in the provenance or on the --map page, and `batch --strict` passed; the --map page
    # showed no warning of any kind
    grid_damage, plot_damage, extra, words = CLASSES[kind]
    grid, plots = _grid(tmp_path, **grid_damage), _plots(tmp_path, **plot_damage)
    out = tmp_path / "streets.csv"
    base = ["batch", str(plots), "--group-by", "street", "--grid", f"no2:2020={grid}", *extra]
    res = runner.invoke(cli, [*base, "-o", str(out), "--map", str(tmp_path / "b.html")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert _in(words, res.stderr)
    prov = json.loads((tmp_path / "streets.csv.provenance.json").read_text())["provenance"]
    assert _in(words, " ".join(prov["warnings"]))
    page = (tmp_path / "b.html").read_text()
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)  # outside any script
    assert _in(words, _visible(page))
    res = runner.invoke(cli, [*base, "--strict", "-o", str(tmp_path / "strict.csv")])
    assert res.exit_code == 1 and _in(words, res.stderr), res.stderr


def test_batch_nodata_warning_names_the_group(runner, tmp_path):
    grid, plots = _grid(tmp_path, cell=-9999.0), _plots(tmp_path)
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.stderr
    assert ("Warning: 1 grid point(s) of NO2 2020 (LAEI 2013 (update)) inside the area of "
            "1 group(s) are NODATA and were left out (n_nodata): Orchard Close") in res.stderr
    assert "Far Lane" not in res.stderr


def test_units_converted_are_said_in_csv_and_on_the_map(runner, tmp_path):
    # the query CSV and the map page gave µg/m³ figures converted from ppb without a word
    grid, plots = _grid(tmp_path), _plots(tmp_path)
    base = ["query", str(plots), "--where", "street=Orchard Close", "--grid",
            f"no2:2020={grid}", "--no-layers", "--units", "ppb"]
    res = runner.invoke(cli, [*base, "-f", "csv", "--map", str(tmp_path / "m.html")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    import csv
    import io

    row = next(csv.DictReader(io.StringIO(res.stdout)))
    assert row["units"] == "µg/m³" and "ppb converted to µg/m³ (x 1.91" in row["note"]
    assert "NO2 2020: values in ppb converted to" in _visible(
        (tmp_path / "m.html").read_text())
