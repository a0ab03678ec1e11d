"""End-to-end tests of ``airq layers ...`` and ``airq screen`` (issue 3)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box

from airq.cli import cli

BNG = "EPSG:27700"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "landuse.md"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("AIRQ_HOME", str(home))
    monkeypatch.delenv("MAPTILER_KEY", raising=False)
    return home


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def plots(tmp_path):
    path = tmp_path / "plots.gpkg"
    gpd.GeoDataFrame(
        {"street": ["Woodlands Avenue", "Woodlands Avenue", "Elsewhere"]},
        geometry=[
            box(547000, 188000, 547100, 188060),
            box(547000, 187960, 547040, 188000),
            box(560000, 180000, 560050, 180050),
        ],
        crs=BNG,
    ).to_file(path)
    return path


@pytest.fixture
def landfill(tmp_path):
    path = tmp_path / "hld.gpkg"
    gpd.GeoDataFrame(
        {
            "hld_ref": ["EAHLD00575", "EAHLD00999"],
            "site_name": ["Former Clay Lane Pit", "Far Away Tip"],
            "lic_hold": ["Barking Corporation", ""],
            "firstinput": ["01/05/1931", "1970"],
            "lastinput": ["31/12/1948", "1980"],
            "inert": ["Yes", ""],
            "household": ["Yes", "Yes"],
            "gascontrol": ["Yes", ""],
            "leachatcnt": ["", ""],
        },
        geometry=[box(547040, 188164, 547080, 188200), box(549000, 188000, 549100, 188100)],
        crs=BNG,
    ).to_file(path)
    return path


@pytest.fixture
def uses_shp(tmp_path):
    path = tmp_path / "uses.shp"
    gpd.GeoDataFrame(
        {"USE": ["railway", "gasworks"], "FROM": ["1854", "c1890"], "TO": ["1960", "1935"]},
        geometry=[
            LineString([(546800, 187500), (546800, 188500)]),
            box(547130, 188010, 547160, 188040).exterior,
        ],
        crs=BNG,
    ).to_file(path)
    return path


def invoke(runner, args, ok=True):
    result = runner.invoke(cli, args, catch_exceptions=not ok)
    if ok:
        assert result.exit_code == 0, result.output
    return result


# --------------------------------------------------------------------------- layers


def test_layers_add_list_info_remove(runner, landfill, home):
    r = invoke(runner, ["layers", "add", str(landfill), "--name", "ea-landfill"])
    assert "Added layer 'ea-landfill' (landfill, ea-historic-landfill schema recognised)" in (
        r.stderr
    )
    assert r.stdout == ""
    r = invoke(runner, ["layers", "list"])
    assert "ea-landfill" in r.stdout and "EA Historic Landfill Sites" in r.stdout
    r = invoke(runner, ["layers", "list", "-f", "json"])
    (entry,) = json.loads(r.stdout)
    assert entry["name"] == "ea-landfill" and entry["feature_count"] == 2
    assert entry["kind"] == "landfill"
    r = invoke(runner, ["layers", "info", "ea-landfill"])
    assert entry["sha256"] in r.stdout
    assert "name = site_name" in r.stdout
    info = json.loads(invoke(runner, ["layers", "info", "ea-landfill", "-f", "json"]).stdout)
    assert info["mapping"]["end"] == "lastinput"
    r = invoke(runner, ["layers", "remove", "ea-landfill"])
    assert "Removed layer 'ea-landfill'" in r.stderr
    assert json.loads(invoke(runner, ["layers", "list", "-f", "json"]).stdout) == []
    assert "No layers yet" in invoke(runner, ["layers", "list"]).stderr


def test_layers_add_with_mapping(runner, uses_shp):
    invoke(
        runner,
        ["layers", "add", str(uses_shp), "--kind", "industry", "--category-field", "USE",
         "--start-field", "FROM", "--end-field", "TO"],
    )  # fmt: skip
    info = json.loads(invoke(runner, ["layers", "info", "uses", "-f", "json"]).stdout)
    assert info["mapping"] == {"category": "USE", "start": "FROM", "end": "TO"}
    assert info["kind"] == "industry"


def test_layers_add_errors_exit_1(runner, landfill, tmp_path, home):
    r = invoke(runner, ["layers", "add", str(landfill), "--category-field", "NOPE"], ok=False)
    assert r.exit_code == 1
    assert "Error:" in r.stderr and "no field 'NOPE'" in r.stderr and "site_name" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

    nocrs = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(1, 1)], crs=BNG).to_file(nocrs)
    nocrs.with_suffix(".prj").unlink()
    r = invoke(runner, ["layers", "add", str(nocrs)], ok=False)
    assert r.exit_code == 1 and "pass --crs" in r.stderr

    junk = tmp_path / "junk.geojson"
    junk.write_text("{ this is not json")
    r = invoke(runner, ["layers", "add", str(junk)], ok=False)
    assert r.exit_code == 1 and "cannot read" in r.stderr

    invoke(runner, ["layers", "add", str(landfill), "--name", "ea"])
    r = invoke(runner, ["layers", "add", str(landfill), "--name", "ea"], ok=False)
    assert r.exit_code == 1 and "--overwrite" in r.stderr
    invoke(runner, ["layers", "add", str(landfill), "--name", "ea", "--overwrite"])

    r = invoke(runner, ["layers", "info", "nope"], ok=False)
    assert r.exit_code == 1 and "layers: ea" in r.stderr
    r = invoke(runner, ["layers", "remove", "nope"], ok=False)
    assert r.exit_code == 1 and "no layer named 'nope'" in r.stderr
    stored = sorted(p.name for p in (home / "layers").iterdir() if not p.name.startswith("."))
    assert stored == ["ea.gpkg", "index.json"]  # (and the hidden lock file of the index)


def test_layers_add_usage_errors_exit_2(runner, landfill, tmp_path):
    r = invoke(runner, ["layers", "add", str(landfill), "--kind", "bogus"], ok=False)
    assert r.exit_code == 2 and "--kind" in r.stderr
    r = invoke(runner, ["layers", "add", str(tmp_path / "missing.gpkg")], ok=False)
    assert r.exit_code == 2 and "FILE" in r.stderr


def test_layers_tiles(runner, monkeypatch):
    r = invoke(runner, ["layers", "tiles"])
    assert "uk-osgb10k1888" in r.stdout and "1888-1913" in r.stdout
    assert "uk-oslondon1k1893" in r.stdout
    assert "National Library of Scotland Historic Maps" in r.stdout
    assert "MAPTILER_KEY is not set" in r.stdout
    monkeypatch.setenv("MAPTILER_KEY", "secret-key")
    r = invoke(runner, ["layers", "tiles", "-f", "json"])
    sources = json.loads(r.stdout)
    assert all(s["ready"] and s["key_set"] for s in sources)
    assert "secret-key" not in r.stdout  # the key is never printed


def test_layers_tiles_custom_from_config(runner, tmp_path):
    cfg = tmp_path / "airq.toml"
    cfg.write_text('tile_source = "https://tiles.example.org/os/{z}/{x}/{y}.png"\n')
    r = invoke(runner, ["layers", "tiles", "--config", str(cfg)], ok=False)
    assert r.exit_code == 1  # a custom source without attribution: refused, not unattributed
    assert "attribution" in r.stderr
    cfg.write_text('tile_source = "https://tiles.example.org/os/{z}/{x}/{y}.png"\n'
                   'tile_attribution = "Example Archive historic OS"\n'
                   'tile_title = "OS 25 inch 1890s"\n')
    r = invoke(runner, ["layers", "tiles", "--config", str(cfg), "-f", "json"])
    custom = json.loads(r.stdout)[-1]
    assert custom["id"] == "custom" and custom["attribution"] == "Example Archive historic OS"
    assert custom["title"] == "OS 25 inch 1890s"


# --------------------------------------------------------------------------- screen


def test_screen_text(runner, plots, landfill, uses_shp):
    invoke(runner, ["layers", "add", str(landfill), "--name", "ea-landfill"])
    mapping = ["--category-field", "USE", "--start-field", "FROM", "--end-field", "TO"]
    invoke(runner, ["layers", "add", str(uses_shp), "--kind", "industry", *mapping])
    r = invoke(runner, ["screen", str(plots), "--where", "street=Woodlands Avenue"])
    out = r.stdout
    assert "1 historic landfill site 104 m to the north" in out
    assert "(Former Clay Lane Pit, waste accepted 1931-1948)." in out
    assert "2 former industrial sites within 500 m; the nearest is 30 m to the east" in out
    assert "104.0 m" in out and "200.0 m" in out and "30.0 m" in out
    assert "waste: inert, household; gas control: yes" in out
    assert "'c1890'" in out  # unparsed date kept as written and flagged
    assert "Dates to check" in out


def test_screen_text_and_markdown_record_each_layers_full_sha256(runner, plots, landfill):
    """The text and Markdown outputs are records too: the whole SHA-256, not a prefix."""
    digest = hashlib.sha256(landfill.read_bytes()).hexdigest()
    for fmt in ("text", "markdown"):
        r = invoke(runner, ["screen", str(plots), "--where", "street=Woodlands Avenue",
                            "--layer", str(landfill), "-f", fmt])  # fmt: skip
        assert digest in r.stdout, fmt


def test_screen_json_and_layer_file(runner, plots, landfill, uses_shp):
    r = invoke(
        runner,
        ["screen", str(plots), "--where", "street=Woodlands Avenue", "--layer", str(landfill),
         "--layer", str(uses_shp), "-f", "json", "--bands", "0,100,250"],
    )  # fmt: skip
    d = json.loads(r.stdout)
    assert list(d) == ["records", "timeline", "verdicts", "bands_m", "layers",
                       "synthetic_demo_data", "provenance"]
    assert [i["role"] for i in d["provenance"]["inputs"]] == ["boundaries", "layer", "layer"]
    assert d["synthetic_demo_data"] is False
    assert d["bands_m"] == [0.0, 100.0, 250.0]
    assert [v["layer"] for v in d["verdicts"]] == ["hld", "uses"]
    (lf,) = [x for x in d["records"] if x["layer"] == "hld"]
    assert lf["category"] == "historic landfill"  # EA schema recognised in a file given directly
    assert (lf["distance_m"], lf["direction"], lf["band"]) == (104.0, "N", "100-250 m")
    # an unmapped file: no category, its attributes shown as they are
    (rail,) = [x for x in d["records"] if x["details"].get("USE") == "railway"]
    assert rail["category"] is None and rail["details"]["FROM"] == "1854"
    assert (rail["distance_m"], rail["direction"], rail["band"]) == (200.0, "W", "100-250 m")


def test_screen_empty_result_markdown_to_file(runner, plots, landfill, tmp_path):
    invoke(runner, ["layers", "add", str(landfill), "--name", "ea-landfill"])
    out = tmp_path / "screen.md"
    r = invoke(runner, ["screen", str(plots), "--where", "street=Elsewhere", "-f", "markdown",
                        "-o", str(out)])  # fmt: skip
    assert r.stdout == "" and f"Wrote {out}" in r.stderr
    text = out.read_text()
    assert "No records of historic landfill within 500 m." in text
    r = invoke(runner, ["screen", str(plots), "-o", str(out)], ok=False)
    assert r.exit_code == 1 and "--overwrite" in r.stderr
    invoke(runner, ["screen", str(plots), "-o", str(out), "--overwrite"])


def test_screen_errors(runner, plots, landfill):
    r = invoke(runner, ["screen", str(plots)], ok=False)
    assert r.exit_code == 1 and "airq layers add" in r.stderr  # empty catalogue
    r = invoke(runner, ["screen", str(plots), "--layer", "nope"], ok=False)
    assert r.exit_code == 1 and "no layer named 'nope'" in r.stderr
    r = invoke(runner, ["screen", str(plots), "--layer", str(landfill), "--bands", "0,x"],
               ok=False)  # fmt: skip
    assert r.exit_code == 2 and "--bands" in r.stderr
    r = invoke(runner, ["screen", str(plots), "--layer", str(landfill), "--bands", "500,50"],
               ok=False)  # fmt: skip
    assert r.exit_code == 2 and "--bands" in r.stderr
    r = invoke(runner, ["screen", str(plots), "--layer", str(landfill), "-f", "csv"], ok=False)
    assert r.exit_code == 2 and "--format" in r.stderr
    r = invoke(runner, ["screen", str(plots), "--layer", str(landfill), "--where", "street=Nope"],
               ok=False)  # fmt: skip
    assert r.exit_code == 1 and "street" in r.stderr


# --------------------------------------------------------------------------- help and docs


def _commands():
    layers = cli.commands["layers"]
    return [("screen", cli.commands["screen"]), ("layers", layers)] + [
        (f"layers {n}", c) for n, c in layers.commands.items()
    ]


@pytest.mark.parametrize(("name", "command"), _commands())
def test_every_command_has_help(runner, name, command):
    r = invoke(runner, [*name.split(), "--help"])
    assert command.help and len(command.help.strip().splitlines()[0]) > 10
    assert "Usage:" in r.stdout


DOCUMENTED = [
    "airq layers add",
    "airq layers list",
    "airq layers info",
    "airq layers remove",
    "airq layers tiles",
    "airq screen",
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_commands_documented(name):
    text = DOCS.read_text()
    assert name in text
    assert "### airq layers" in text and "### airq screen" in text


def test_layers_is_a_group():
    assert isinstance(cli.commands["layers"], click.Group)
