"""The static figure: PNG and SVG by content (title, units, objective, colours, banner)."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from tests.test_maps import demo_result


@pytest.fixture
def demo_assessment(tmp_path_factory):
    return demo_result(tmp_path_factory)


def test_svg_content(demo_assessment):
    from airq.render.figures import render_figure
    from airq.render.maps import BOUNDARY_COLOUR
    from tests.test_figure_panels import svg_text

    svg = render_figure(demo_assessment, "svg", pollutant="no2").decode("utf-8")
    text = svg_text(svg)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Woodlands Avenue: NO2 2020" in text
    assert "µg/m³" in svg and "objective 40 µg/m³ (uk): above every value shown" in text
    assert "SYNTHETIC DEMO DATA" in svg
    assert BOUNDARY_COLOUR in svg  # boundaries in orange
    assert "100 m" in svg and ">N<" in svg  # scale bar and north arrow
    assert "British National Grid (EPSG:27700)" in text and "No base map." in text


def test_objective_marked_when_inside_the_scale(demo_assessment):
    from airq.render.figures import render_figure

    svg = render_figure(demo_assessment, "svg", pollutant="no2", year=2013).decode()
    assert "NO2 2013" in svg and "objective 40 µg/m³ (uk) (red line)" in svg
    assert "#d00000" in svg


def test_png_is_a4_width(demo_assessment):
    from matplotlib.image import imread

    from airq.render.figures import A4_FIGSIZE, render_figure

    png = render_figure(demo_assessment, "png", dpi=100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(io.BytesIO(png))
    assert img.shape[1] == pytest.approx(A4_FIGSIZE[0] * 100, abs=2)
    assert A4_FIGSIZE[0] * 25.4 <= 170  # fits A4 text width (210 mm - 2 x 20 mm)


def test_errors(demo_assessment):
    from airq.errors import InputError
    from airq.render.figures import render_figure

    with pytest.raises(InputError, match="unknown figure format"):
        render_figure(demo_assessment, "gif")
    with pytest.raises(InputError, match="no grid points for nox"):
        render_figure(demo_assessment, "png", pollutant="nox")
    with pytest.raises(InputError, match="no boundary geometry"):
        render_figure(replace(demo_assessment, boundaries_gdf=None), "png")


def test_real_data_has_no_banner(demo_assessment):
    from airq.render.figures import render_figure

    real = replace(demo_assessment,
                   provenance=replace(demo_assessment.provenance, synthetic=False))
    assert "SYNTHETIC" not in render_figure(real, "svg").decode()
