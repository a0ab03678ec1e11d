"""Map sheets from the command line: the catalogued form and --historic-map (issue 12, item 2)."""

from __future__ import annotations

import json

import pytest

from airq.cli import cli
from tests import mapdata


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mapdata.write_plots(tmp_path / "plots.gpkg")
    mapdata.write_grid(tmp_path)
    mapdata.write_landfill(tmp_path / "landfill.gpkg")
    mapdata.write_sheet_tif(tmp_path / "sheet.tif")
    return tmp_path


QUERY = ["query", "plots.gpkg", "--grid", "no2:2020=PostLAEI2013_2020_NO2.asc",
         "--layer", "landfill.gpkg"]


def _ok(runner, args):
    res = runner.invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return res


def test_catalogue_a_historic_map_and_use_it_by_default(runner, site):
    res = _ok(runner, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch", "1896",
                       "--title", "OS 25 inch <Essex> 90 SW", "--attribution", "Test Archive"])
    assert res.stderr.startswith("Added historic map 'sheet' 1896 (GeoTIFF, EPSG:27700): covers "
                                 "534900-535400 E, 181100-181600 N")
    listed = _ok(runner, ["layers", "list"]).stdout
    assert "Map sheets" in listed and "historic-map   1896  OS 25 inch <Essex> 90 SW" in listed
    info = _ok(runner, ["layers", "info", "sheet"]).stdout
    assert "attribution  Test Archive" in info and "sha256       " in info
    as_json = json.loads(_ok(runner, ["layers", "list", "-f", "json"]).stdout)
    assert [e["name"] for e in as_json] == ["sheet"] and as_json[0]["epoch"] == 1896

    out = _ok(runner, [*QUERY, "-f", "json"]).stdout
    doc = json.loads(out)
    (entry,) = [i for i in doc["provenance"]["inputs"] if i["role"] == "historic-map"]
    assert entry["epoch"] == 1896 and entry["title"] == "OS 25 inch <Essex> 90 SW"
    assert entry["source"].endswith("sheet.tif") and entry["name"] == "sheet"
    assert entry["sha256"] == __import__("hashlib").sha256(
        (site / "sheet.tif").read_bytes()).hexdigest()
    text = _ok(runner, QUERY).stdout
    assert "Historic map sheets (drawn on the map and in the report):\n" \
           "  1896: OS 25 inch <Essex> 90 SW (GeoTIFF, Test Archive; covers 22% of the area)" \
           in text
    assert "historic map 1896 (OS 25 inch <Essex> 90 SW): sheet.tif, catalogued as sheet" in text
    assert "Historic map" not in _ok(runner, [*QUERY, "--no-historic-maps"]).stdout

    res = _ok(runner, ["layers", "remove", "sheet"])
    assert res.stderr == "Removed map sheet 'sheet'.\n"
    assert "Historic map" not in _ok(runner, QUERY).stdout


def test_catalogued_sheet_elsewhere_is_not_used(runner, site):
    mapdata.write_sheet_tif(site / "away.tif", bounds=(540000, 181100, 540500, 181600))
    _ok(runner, ["layers", "add", "away.tif", "--kind", "historic-map", "--epoch", "1920",
                 "--attribution", "x"])
    assert "Historic map" not in _ok(runner, QUERY).stdout
    res = runner.invoke(cli, [*QUERY, "--historic-map", "away"])
    assert res.exit_code == 1 and "away.tif does not cover the site" in res.stderr


def test_historic_map_given_directly_and_by_name(runner, site):
    out = _ok(runner, [*QUERY, "--historic-map", "sheet.tif:1896", "-f", "markdown"]).stdout
    assert "## Historic map sheets\n\n- 1896: sheet (GeoTIFF, supplied as sheet.tif; covers " \
        "22% of the area)" in out
    _ok(runner, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch", "1896",
                 "--name", "os-1896", "--attribution", "x"])
    out = _ok(runner, [*QUERY, "--historic-map", "os-1896:1899"]).stdout
    assert "  1899: sheet (GeoTIFF, x; covers 22% of the area)" in out


def test_sheet_usage_and_data_errors(runner, site):
    res = runner.invoke(cli, ["layers", "add", "sheet.tif", "--kind", "historic-map"])
    assert res.exit_code == 1
    assert "Error: sheet.tif: a historic map needs --epoch" in res.stderr
    res = runner.invoke(cli, ["layers", "add", "landfill.gpkg", "--epoch", "1896"])
    assert res.exit_code == 2 and "--epoch" in res.stderr and "is for map sheets" in res.stderr
    res = runner.invoke(cli, ["layers", "add", "sheet.tif", "--kind", "basemap",
                              "--category-field", "x"])
    assert res.exit_code == 2 and "--category-field" in res.stderr
    res = runner.invoke(cli, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch",
                              "3020"])
    assert res.exit_code == 1 and "not a plausible map year" in res.stderr
    res = runner.invoke(cli, [*QUERY, "--historic-map", "nothing.tif"])
    assert res.exit_code == 2 and "--historic-map" in res.stderr
    assert "no such file, folder or catalogued map sheet" in res.stderr
    res = runner.invoke(cli, [*QUERY, "--historic-map", "sheet.tif:18x"])
    assert res.exit_code == 2 and "is not a year" in res.stderr
    res = runner.invoke(cli, [*QUERY, "--historic-map", "sheet.tif", "--no-historic-maps"])
    assert res.exit_code == 2 and "cannot be combined" in res.stderr
    assert "Traceback" not in res.stderr


def test_changed_stored_copy_is_an_error(runner, site, airq_home):
    _ok(runner, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch", "1896",
                 "--attribution", "x"])
    stored = airq_home / "maps" / "sheet" / "sheet.tif"
    mapdata.write_sheet_tif(stored, size=(200, 200))
    res = runner.invoke(cli, QUERY)
    assert res.exit_code == 1 and "has changed since it was catalogued" in res.stderr


def test_sheet_name_must_not_shadow_a_layer(runner, site):
    _ok(runner, ["layers", "add", "landfill.gpkg", "--name", "os"])
    res = runner.invoke(cli, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch",
                              "1896", "--name", "os"])
    assert res.exit_code == 1 and "'os' is already in the catalogue" in res.stderr


def test_figure_option_is_checked_before_anything_is_written(runner, site):
    res = runner.invoke(cli, [*QUERY, "--png", "f.png", "--figure", "no2:20x0"])
    assert res.exit_code == 2 and "--figure" in res.stderr
    res = runner.invoke(cli, [*QUERY, "--png", "f.png", "--map", "m.html", "--figure",
                              "pm25:2020"])
    assert res.exit_code == 1 and "no grid points for pm25:2020" in res.stderr
    assert "Error: --figure pm25:2020: " in res.stderr  # the option is named
    assert not (site / "f.png").exists() and not (site / "m.html").exists()


def test_overlay_in_the_map_named_escaped_and_inlined(runner, site):
    import re

    hostile = "<img src=x onerror=alert(1)> `${x}` \\u"
    _ok(runner, ["layers", "add", "sheet.tif", "--kind", "historic-map", "--epoch", "1896",
                 "--title", hostile, "--attribution", "<b>Archive</b>"])
    _ok(runner, ["map", "plots.gpkg", "--grid", "no2:2020=PostLAEI2013_2020_NO2.asc",
                 "-o", "m.html"])
    page = (site / "m.html").read_text("utf-8")
    assert "<img src=x" not in page and "<b>Archive" not in page
    assert ("Historic map 1896: &lt;img src=x onerror=alert(1)&gt; "
            "&#96;&#36;&#123;x&#125;&#96; &#92;u") \
        in page.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    # one image overlay, inlined as a PNG, in its own pane under the shapes, with a slider
    (uri,) = re.findall(r'L\.imageOverlay\(\s*"(data:image/png;base64,[^"]+)"', page)
    assert len(uri) > 1000
    assert "airqHistoric" in page and 'type=\\"range\\"' in page
    assert '"opacity": 0.8' in page

