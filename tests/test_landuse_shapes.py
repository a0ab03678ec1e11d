"""Land-use records keep their true shapes and get one number each (issue 12, item 1).

The site and the layers are made here; the expected clipped shapes are computed
independently with shapely (a plain buffer and intersection).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from airq.analyse.landuse import screen_landuse
from airq.read.layers import layer_from_frame

BNG = "EPSG:27700"
SITE = shapely.union_all([box(547000, 188000, 547100, 188060), box(547000, 187960, 547040, 188000)])

# A landfill with irregular vertices 120 m north of the site, an on-site polygon,
# a railway 1.6 km long crossing the search area, and a point 300 m east.
LANDFILL = Polygon([(547010, 188180), (547090, 188185), (547130, 188240), (547060, 188300),
                    (546990, 188260)])
ON_SITE = box(547020, 187990, 547030, 188010)
RAILWAY = LineString([(546200, 187700), (547800, 187700)])
WELL = Point(547400, 188000)


def _layer(name, kind, rows):
    frame = gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "use": [r[1] for r in rows]},
        geometry=[r[2] for r in rows], crs=BNG)
    return layer_from_frame(frame, name=name, kind=kind,
                            mapping={"name": "name", "category": "use"})


@pytest.fixture
def result():
    landfill = _layer("tips", "landfill", [("Clay Pit", "landfill", LANDFILL),
                                           ("Garden Tip", "landfill", ON_SITE)])
    other = _layer("uses", "industry", [("Railway", "railway", RAILWAY),
                                        ("Well", "well", WELL)])
    return screen_landuse(SITE, [landfill, other], bands_m=(0, 50, 250, 500))


def test_records_keep_their_true_shapes(result):
    by_name = {r.name: r for r in result.records}
    assert shapely.equals_exact(by_name["Clay Pit"].geometry, LANDFILL, tolerance=1e-6)
    assert by_name["Well"].geometry.equals(WELL)
    # The railway runs far beyond the search area: only the part inside it is kept.
    search = SITE.buffer(500, quad_segs=32)
    rail = by_name["Railway"].geometry
    assert rail.length == pytest.approx(RAILWAY.intersection(search).length, abs=1e-6)
    assert rail.length < RAILWAY.length - 500
    assert search.buffer(1e-6).contains(rail)


def test_off_site_records_are_numbered_in_order(result):
    numbers = [(r.name, r.number) for r in result.records]
    assert numbers == [("Garden Tip", None), ("Clay Pit", 1), ("Railway", 2), ("Well", 3)]


def test_json_has_the_number_not_the_geometry(result):
    d = result.to_dict()
    assert [r["number"] for r in d["records"]] == [None, 1, 2, 3]
    assert all("geometry" not in r for r in d["records"])
    json.dumps(d)


def test_screening_keeps_the_site_for_the_bands(result):
    assert result.area.equals(SITE)
    band = result.band_area(250)
    # a buffer of the site boundary, not a circle around its centre
    assert band.area == pytest.approx(SITE.buffer(250, quad_segs=32).area, rel=1e-9)
    assert band.hausdorff_distance(SITE.buffer(250)) < 1.0
    assert result.band_area(0).equals(SITE)


def test_text_and_markdown_show_the_numbers(result):
    from airq.render.landuse_text import render_markdown, render_text

    text = render_text(result)
    assert "no.  distance" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("  ")
             and ("Clay Pit" in ln or "Garden Tip" in ln)]
    assert lines[0].split()[0] == "-" and lines[1].split()[0] == "1"
    md = render_markdown(result)
    assert "| No. | Distance (m) |" in md and "| 1 | " in md
