"""The interactive map, checked by content: layer names, legend values, colours, assets."""

from __future__ import annotations

import functools
import os
import re

import pytest
from click.testing import CliRunner

from airq.cli import cli


@functools.cache
def _demo(base: str):
    """Write the demo data under ``base`` and assess the demo street (cached per session)."""
    import tempfile

    from airq.cli.runner import build_assessment

    root = tempfile.mkdtemp(prefix="appendix-demo-", dir=base)
    old = {k: os.environ.get(k) for k in ("AIRQ_HOME",)}
    os.environ["AIRQ_HOME"] = os.path.join(root, "home")
    cwd = os.getcwd()
    try:
        res = CliRunner().invoke(cli, ["demo", "--dir", root], catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        os.chdir(root)
        return root, build_assessment(
            "boundaries/demo/residential_plots.gpkg", where=("street=Woodlands Avenue",),
            name=None, boundaries_layer=None, boundaries_crs=None, grid_specs=(),
            grid_crs=None, pollutants=(), years=(), edition=None, config=None, method=None,
            sd=None, objectives=(), per_boundary=True, strict=None, bands=None, layers=(),
            no_layers=False, command="airq query (test)")
    finally:
        os.chdir(cwd)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def demo_result(tmp_path_factory):
    """The demo street's Assessment (synthetic, two model years, land use, per boundary)."""
    return _demo(str(tmp_path_factory.getbasetemp()))[1]


def demo_cli(tmp_path_factory, monkeypatch):
    """Run the CLI in the demo folder with its catalogue; return the folder."""
    root = _demo(str(tmp_path_factory.getbasetemp()))[0]
    monkeypatch.setenv("AIRQ_HOME", os.path.join(root, "home"))
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def demo_assessment(tmp_path_factory):
    return demo_result(tmp_path_factory)


def _unescape(page: str) -> str:
    """Undo the JSON \\uXXXX escapes folium writes in layer names and tooltips."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def test_map_layers_legend_and_colours(demo_assessment, monkeypatch):
    from airq.render.maps import BOUNDARY_COLOUR, SCALE_COLOURS, render_map_html

    monkeypatch.delenv("MAPTILER_KEY", raising=False)
    page = _unescape(render_map_html(demo_assessment))
    a = demo_assessment
    assert "Grid points: NO2 2020 (µg/m³)" in page and "Grid points: PM2.5 2013 (µg/m³)" in page
    for name in ("OpenStreetMap", "Light grey (Esri)", "Aerial imagery (Esri)",
                 "Residential boundaries", "Land-use search bands",
                 "Land use: historic_landfill"):
        assert name in page
    assert "Historic OS" not in page  # no key, no custom source: no unusable layer
    assert BOUNDARY_COLOUR in page and all(c in page for c in SCALE_COLOURS)
    no2 = [s for s in a.samples if s.pollutant == "no2"]
    lo = min(float(s.value.min()) for s in no2)
    hi = max(float(s.value.max()) for s in no2)
    assert f"<span>{lo:.1f}</span>" in page and f"<span>{hi:.1f}</span>" in page
    assert "objective 40 µg/m³ (uk): marked" in page  # 40 lies inside 23.4-44.0
    assert "objective 25 µg/m³ (uk): above every value shown" in page
    assert "SYNTHETIC DEMO DATA" in page and "Woodlands Avenue" in page
    # per-boundary values in the boundary tooltips; every boundary drawn once
    assert page.count('"airq_id": "WA-') == a.area.n_boundaries
    assert "43.0 (no point inside: the cell it lies in)" in page
    # land-use popups carry name, category, dates and distance
    assert "Former Clay Lane Pit" in page and "1931-01-01 to 1948-12-31" in page
    assert "98 m north of the site boundary (50-250 m)" in page
    assert "approximate" not in page
    # attributions for every source
    assert "OpenStreetMap</a> contributors" in page and "Esri" in page
    assert "LAEI 2013 (update) (synthetic demo grids)" in page
    # only the latest NO2 layer is on at first
    assert page.count('"Grid points: ') >= 8


def test_map_historic_layers_with_key(demo_assessment, monkeypatch):
    from airq.render.maps import render_map_html

    monkeypatch.setenv("MAPTILER_KEY", "k3y")
    page = _unescape(render_map_html(demo_assessment))
    assert "Historic OS:" in page
    assert "api.maptiler.com/tiles/uk-osgb10k1888/{z}/{x}/{y}.jpg?key=k3y" in page
    assert "National Library of Scotland" in page


def test_self_contained_inlines_every_asset(demo_assessment):
    from airq.render.maps import render_map_html

    page = render_map_html(demo_assessment, self_contained=True)
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    for f in ("leaflet/dist/leaflet.js 1.9.3", "leaflet/dist/leaflet.css",
              "leaflet.fullscreen/Control.FullScreen.css",
              "leaflet-measure/dist/leaflet-measure.js", "jquery/dist/jquery.min.js"):
        assert f"/* airq/static/{f.split()[0]}: " in page
    assert "/* airq/static/leaflet/dist/leaflet.js: leaflet 1.9.3, BSD-2-Clause */" in page
    assert "url(data:image/png;base64," in page  # leaflet's layer icons inlined
    assert "url(data:image/svg+xml;base64," in page  # the fullscreen icon
    assert "bootstrap.min.css" not in page and "font-awesome" not in page.lower()


def test_damaged_assets_name_the_file_and_the_repair(demo_assessment, tmp_path):
    import shutil

    from airq.errors import InputError
    from airq.render.assets import inline_assets, static_root

    root = tmp_path / "static"
    shutil.copytree(static_root(), root)
    (root / "leaflet" / "dist" / "leaflet.js").unlink()
    (root / "jquery" / "dist" / "jquery.min.js").write_text("alert(1)")
    with pytest.raises(InputError, match=r"leaflet/dist/leaflet.js \(missing\), "
                                         r"jquery/dist/jquery.min.js \(altered\); reinstall"):
        inline_assets("<html></html>", root)


def test_map_needs_boundaries(demo_assessment):
    from dataclasses import replace

    from airq.errors import InputError
    from airq.render.maps import build_map

    with pytest.raises(InputError, match="no boundary geometry"):
        build_map(replace(demo_assessment, boundaries_gdf=None))


def test_map_command_writes_map_and_figures(tmp_path_factory, monkeypatch, runner, tmp_path):
    demo_cli(tmp_path_factory, monkeypatch)
    out = tmp_path / "w.html"
    args = ["map", "boundaries/demo/residential_plots.gpkg", "--where",
            "street=Woodlands Avenue", "--per-boundary", "--self-contained", "-o", str(out),
            "--png", str(tmp_path / "w.png"), "--svg", str(tmp_path / "w.svg")]
    res = runner.invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = _unescape(out.read_text("utf-8"))
    assert "Grid points: NO2 2020 (µg/m³)" in page and "SYNTHETIC DEMO DATA" in page
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "w.svg").read_bytes()
    assert f"Wrote {out}" in res.stderr
    # never overwrite silently: every output is checked before any work
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "already exists; pass --overwrite" in res.stderr
    res = runner.invoke(cli, [*args, "--overwrite"])
    assert res.exit_code == 0, res.stderr


def test_map_command_usage_errors(tmp_path_factory, monkeypatch, runner, tmp_path):
    demo_cli(tmp_path_factory, monkeypatch)
    base = ["map", "boundaries/demo/residential_plots.gpkg", "--where",
            "street=Woodlands Avenue"]
    res = runner.invoke(cli, [*base, "-o", str(tmp_path / "w.html"), "--png",
                              str(tmp_path / "w.jpg")])
    assert res.exit_code == 2 and "--png" in res.stderr
    res = runner.invoke(cli, [*base, "-o", str(tmp_path / "w.pdf")])
    assert res.exit_code == 2 and "-o/--output" in res.stderr
    res = runner.invoke(cli, base)
    assert res.exit_code == 2 and "--output" in res.stderr
    monkeypatch.setattr("airq.render.assets.static_root", lambda: tmp_path / "nothing")
    res = runner.invoke(cli, [*base, "-o", str(tmp_path / "w.html"), "--self-contained"])
    assert res.exit_code == 1 and "reinstall airq" in res.stderr
    assert not (tmp_path / "w.html").exists()


def test_query_writes_every_appendix(tmp_path_factory, monkeypatch, runner, tmp_path):
    demo_cli(tmp_path_factory, monkeypatch)
    res = runner.invoke(cli, ["query", "boundaries/demo/residential_plots.gpkg", "--where",
                              "street=Woodlands Avenue", "--map", str(tmp_path / "m.html"),
                              "--png", str(tmp_path / "m.png"), "--report",
                              str(tmp_path / "r.pdf"), "--query-text", "Is it the air?"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert "Air quality at Woodlands Avenue" in res.stdout
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    assert "leaflet" in (tmp_path / "m.html").read_text("utf-8")
    assert (tmp_path / "m.png").stat().st_size > 10_000


def test_map_custom_historic_source_from_settings(demo_assessment, monkeypatch):
    import dataclasses

    from airq.config import load_settings
    from airq.render.maps import render_map_html

    monkeypatch.delenv("MAPTILER_KEY", raising=False)
    s = load_settings(None, tile_source="https://tiles.example.org/os/{z}/{x}/{y}.png")
    s = dataclasses.replace(s, tile_attribution="Example Archive historic OS",
                            tile_title="OS 25 inch 1890s")
    page = _unescape(render_map_html(demo_assessment, tile_settings=s))
    assert "Historic OS: OS 25 inch 1890s" in page
    assert "https://tiles.example.org/os/{z}/{x}/{y}.png" in page
    assert "Example Archive historic OS" in page
    assert "api.maptiler.com" not in page  # keyed NLS layers need a key
