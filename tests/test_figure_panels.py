"""Figures that answer the question: any pollutant and year, land use, base maps (item 3).

The SVG is checked by its text, the PNG by its pixels; base maps come from a local
tile folder or a fake fetcher, never the network.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from airq.cli import cli
from tests import mapdata
from tests.test_maps import demo_result


def svg_text(svg: str) -> str:
    """The text of an SVG's <text> elements, joined by spaces (wrapped lines rejoin)."""
    import html
    import re

    return " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


@pytest.fixture
def demo_assessment(tmp_path_factory):
    return demo_result(tmp_path_factory)


def test_default_is_one_panel_per_pollutant_for_the_latest_year_and_land_use(demo_assessment):
    from airq.render.figures import Panel, default_panels, render_figure

    assert default_panels(demo_assessment) == [Panel("no2", 2020), Panel("pm10", 2020),
                                               Panel("pm25", 2020), Panel("landuse")]
    svg = render_figure(demo_assessment, "svg").decode()
    for title in (">NO2 2020<", ">PM10 2020<", ">PM2.5 2020<", ">Land use: records and search"):
        assert title in svg
    text = svg_text(svg)
    assert "NO2 modelled annual mean 2020" in text and "PM10 modelled annual mean 2020" in text
    assert "No base map." in text and "SYNTHETIC DEMO DATA" in text


def test_any_pollutant_and_year(demo_assessment):
    from airq.render.figures import render_figure

    svg = render_figure(demo_assessment, "svg", panels=["no2:2013", "pm25"]).decode()
    assert ">NO2 2013<" in svg and ">PM2.5 2020<" in svg and ">PM10 2020<" not in svg
    assert ">Land use: records" not in svg
    one = render_figure(demo_assessment, "svg", panels=["pm10d:2013"]).decode()
    assert "PM10 days" in one and "objective: not more than 35 days (uk)" in one


def test_panel_errors(demo_assessment):
    from dataclasses import replace

    from airq.errors import InputError
    from airq.render.figures import parse_panel, resolve_panels

    with pytest.raises(InputError, match="no grid points for nox:2020"):
        resolve_panels(demo_assessment, ["nox:2020"])
    with pytest.raises(InputError, match="no grid points for no2:1999"):
        resolve_panels(demo_assessment, ["no2:1999"])
    with pytest.raises(InputError, match="no land use was screened"):
        resolve_panels(replace(demo_assessment, land_use=None), ["landuse"])
    with pytest.raises(InputError, match="unknown pollutant"):
        parse_panel("ozone")


def test_landuse_panel_numbers_every_record(demo_assessment):
    from airq.render.figures import render_figure

    svg = render_figure(demo_assessment, "svg", panels=["landuse"]).decode()
    numbers = [r.number for r in demo_assessment.land_use.records if r.number is not None]
    assert numbers == list(range(1, len(numbers) + 1))
    for n in numbers:
        assert f">{n}</text>" in svg, n
    assert "500 m</text>" in svg and "250 m</text>" in svg  # the bands, labelled
    assert "historic_landfill (landfill)" in svg and "site" in svg


def _site_run(tmp_path, runner, *extra):
    mapdata.write_plots(tmp_path / "plots.gpkg")
    mapdata.write_grid(tmp_path)
    mapdata.write_landfill(tmp_path / "landfill.gpkg")
    res = runner.invoke(cli, ["map", str(tmp_path / "plots.gpkg"), "--grid",
                              f"no2:2020={tmp_path / 'PostLAEI2013_2020_NO2.asc'}", "--layer",
                              str(tmp_path / "landfill.gpkg"), "-o", str(tmp_path / "m.html"),
                              "--png", str(tmp_path / "f.png"), "--svg", str(tmp_path / "f.svg"),
                              *extra], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return res


def _red_share(png: bytes) -> float:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    # the red tile, seen through the base map's transparency over white
    return float(((r > 180) & (r - g > 60) & (r - b > 60)).mean())


def test_base_map_from_a_local_tile_folder(tmp_path, runner):
    folder = mapdata.write_tile_folder(tmp_path / "tiles", z=16, radius=2)
    (folder / "ATTRIBUTION.txt").write_text("Council base map tiles\n")
    _site_run(tmp_path, runner, "--basemap", str(folder))
    svg = (tmp_path / "f.svg").read_text()
    assert "Base map: tiles, Council base map tiles." in svg_text(svg)
    assert svg.count("<image") == 3  # under both panels, and the colour bar
    # the red tile under the site shows in both panels
    assert _red_share((tmp_path / "f.png").read_bytes()) > 0.05


def test_no_base_map_when_asked(tmp_path, runner):
    folder = mapdata.write_tile_folder(tmp_path / "tiles")
    _site_run(tmp_path, runner, "--basemap", "none", "--historic-map", str(folder) + ":1896")
    svg = (tmp_path / "f.svg").read_text()
    assert "No base map." in svg_text(svg) and svg.count("<image") == 1  # the colour bar


def test_base_map_defaults_to_the_newest_historic_sheet(tmp_path, runner):
    mapdata.write_sheet_tif(tmp_path / "s.tif")
    res = _site_run(tmp_path, runner, "--historic-map", str(tmp_path / "s.tif") + ":1896")
    svg = (tmp_path / "f.svg").read_text()
    assert "Base map: s, 1896, supplied as s.tif." in svg_text(svg)
    assert "names no attribution" in res.stderr


def test_osm_tiles_fetched_once_cached_and_attributed(tmp_path, runner, airq_home, monkeypatch):
    import airq.read.web_tiles as web

    calls = []

    def fake_fetch(url, timeout=20.0):
        calls.append(url)
        assert url.startswith("https://tile.openstreetmap.org/")
        return mapdata.tile_png(mapdata.TILE_SITE)

    monkeypatch.setattr(web, "http_fetch", fake_fetch)
    _site_run(tmp_path, runner, "--basemap", "osm")
    svg = (tmp_path / "f.svg").read_text()
    assert "Base map: OpenStreetMap tiles, © OpenStreetMap contributors" in svg_text(svg)
    assert calls and len(calls) == len(set(calls)) <= 64
    cached = sorted((airq_home / "tiles" / "osm").rglob("*.png"))
    assert len(cached) == len(calls)
    assert _red_share((tmp_path / "f.png").read_bytes()) > 0.05
    # a second run reads the cache: no fetch at all
    calls.clear()
    (tmp_path / "f.png").unlink()
    _site_run(tmp_path, runner, "--basemap", "osm", "--overwrite")
    assert calls == []


def test_osm_failure_is_a_warning_and_the_figure_is_made(tmp_path, runner, monkeypatch):
    import airq.read.web_tiles as web

    def offline(url, timeout=20.0):
        raise OSError("network is unreachable")

    monkeypatch.setattr(web, "http_fetch", offline)
    res = _site_run(tmp_path, runner, "--basemap", "osm")
    assert "Warning: the OpenStreetMap base map could not be had (network is unreachable)" \
        in res.stderr
    assert "No base map." in svg_text((tmp_path / "f.svg").read_text())


def test_base_map_is_recorded_in_provenance(tmp_path, runner):
    import json

    folder = mapdata.write_tile_folder(tmp_path / "tiles")
    mapdata.write_plots(tmp_path / "plots.gpkg")
    mapdata.write_grid(tmp_path)
    res = runner.invoke(cli, ["query", str(tmp_path / "plots.gpkg"), "--grid",
                              f"no2:2020={tmp_path / 'PostLAEI2013_2020_NO2.asc'}", "-f", "json",
                              "--basemap", str(folder), "--png", str(tmp_path / "f.png")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    (base,) = [i for i in doc["provenance"]["inputs"] if i["role"] == "basemap"]
    assert base["format"] == "tile folder" and len(base["sha256"]) == 64
    assert base["source"] == str(folder)
    # without a figure the base map is not read at all
    res = runner.invoke(cli, ["query", str(tmp_path / "plots.gpkg"), "--grid",
                              f"no2:2020={tmp_path / 'PostLAEI2013_2020_NO2.asc'}", "-f", "json",
                              "--basemap", str(folder)], catch_exceptions=False)
    assert all(i["role"] != "basemap" for i in json.loads(res.stdout)["provenance"]["inputs"])
