"""Zonal statistics: known answers on hand-checkable grids, rasterstats' data, properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from airq.analyse.zonal import assign_cells, containing_cells, group_stats, summarise
from tests.strategies import grouped_values, rectangles

T = Affine(20, 0, 0, 0, -20, 100)  # 5 x 5 cells of 20 m, top-left (0, 100)
V = np.arange(25, dtype=float).reshape(5, 5)
PEER = Path(__file__).resolve().parent / "data" / "rasterstats"


def brute_centres(geom, transform, shape):
    """Independent centre rule: loop over every cell centre with shapely.Point.covers."""
    cells = []
    for r in range(shape[0]):
        for c in range(shape[1]):
            x, y = transform @ (c + 0.5, r + 0.5)
            if geom.covers(shapely.Point(x, y)):
                cells.append((r, c))
    return cells


def test_known_answer_centre_rule():
    # Square (0,0)-(40,40) holds centres (10,10),(30,10),(10,30),(30,30): rows 3-4, cols 0-1.
    a = assign_cells([shapely.box(0, 0, 40, 40)], T, (5, 5))
    assert sorted(zip(a.row.tolist(), a.col.tolist(), strict=True)) == [(3, 0), (3, 1), (4, 0),
                                                                       (4, 1)]
    s = group_stats(a, V).row(0)
    assert s["n_points"] == 4
    assert s["mean"] == pytest.approx((15 + 16 + 20 + 21) / 4)
    assert s["sd"] == pytest.approx(np.std([15, 16, 20, 21]))
    assert (s["min"], s["max"], s["median"]) == (15, 21, 18)


def test_centre_on_edge_counts_and_overlap_counts_once():
    # Two boxes sharing the edge x=20: the centre (10, 90) is inside the first only;
    # the union of both holds each centre once.
    a = assign_cells([shapely.box(0, 80, 20, 100), shapely.box(0, 80, 40, 100)], T, (5, 5))
    assert a.counts().tolist() == [1, 2]
    union = group_stats(a, V, groups=np.array([0, 0]), n_groups=1).row(0)
    assert union["n_points"] == 2
    # A box whose edge passes exactly through a centre includes it (covers rule).
    b = assign_cells([shapely.box(10, 80, 15, 95)], T, (5, 5))
    assert b.counts().tolist() == [1]


def test_nodata_left_out_and_counted():
    vals = V.copy()
    vals[3, 0] = np.nan
    s = group_stats(assign_cells([shapely.box(0, 0, 40, 40)], T, (5, 5)), vals).row(0)
    assert s["n_points"] == 3 and s["n_nodata"] == 1
    assert s["mean"] == pytest.approx(np.mean([16, 20, 21]))


def test_all_nodata_gives_missing_mean_not_zero():
    vals = np.full((5, 5), np.nan)
    s = group_stats(assign_cells([shapely.box(0, 0, 40, 40)], T, (5, 5)), vals).row(0)
    assert s["n_points"] == 0 and s["n_nodata"] == 4 and s["mean"] is None


def test_all_touched_and_area_weighted():
    g = shapely.box(12, 12, 28, 28)  # 8 x 8 m of each of 4 cells; holds no centre
    assert assign_cells([g], T, (5, 5)).counts().tolist() == [0]
    at = assign_cells([g], T, (5, 5), "all-touched")
    assert at.counts().tolist() == [4]
    aw = assign_cells([g], T, (5, 5), "area-weighted")
    assert aw.weight.tolist() == pytest.approx([0.16] * 4)
    assert group_stats(aw, V).row(0)["mean"] == pytest.approx(18.0)
    # A box lying exactly on cell edges touches its neighbours only along edges.
    edge = assign_cells([shapely.box(0, 80, 20, 100)], T, (5, 5), "all-touched")
    assert edge.counts().tolist() == [1]


def test_area_weighted_matches_shapely_intersection_areas():
    g = shapely.Polygon([(3, 7), (77, 12), (58, 91), (9, 66)])
    aw = assign_cells([g], T, (5, 5), "area-weighted")
    for r, c, w in zip(aw.row, aw.col, aw.weight, strict=True):
        x0, y0 = T @ (c, r + 1)
        cell = shapely.box(x0, y0, x0 + 20, y0 + 20)
        assert w == pytest.approx(g.intersection(cell).area / 400, abs=1e-6)


def test_containing_cell_fallback():
    r, c = containing_cells([shapely.box(21, 61, 29, 69), shapely.box(500, 500, 510, 510)], T,
                            (5, 5))
    assert r.tolist() == [1, -1] and c.tolist() == [1, -1]


@pytest.mark.parametrize("seed", range(5))
def test_centre_rule_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    t = Affine(20, 0, 1000, 0, -20, 2000)
    shape = (30, 40)
    geoms = []
    for _ in range(15):
        pts = rng.uniform([1000, 1400], [1800, 2000], size=(7, 2))
        geoms.append(shapely.MultiPoint(pts).convex_hull.buffer(rng.uniform(0, 15)))
    a = assign_cells(geoms, t, shape)
    for i, g in enumerate(geoms):
        got = sorted(zip(a.row[a.zone == i].tolist(), a.col[a.zone == i].tolist(), strict=True))
        assert got == brute_centres(g, t, shape)


def test_matches_rasterstats_published_answers():
    import geopandas as gpd
    import rasterio

    with rasterio.open(PEER / "slope.tif") as ds:
        arr = ds.read(1, masked=True).astype(float).filled(np.nan)
        tr = ds.transform
    for name in ("polygons", "multipolygons"):
        zones = gpd.read_file(PEER / f"{name}.shp")
        expected = json.loads((PEER / f"{name}.expected.json").read_text())
        s = group_stats(assign_cells(zones.geometry.values, tr, arr.shape), arr)
        for i, exp in enumerate(expected):
            row = s.row(i)
            assert row["n_points"] == exp["count"]
            for ours, theirs in (("mean", "mean"), ("sd", "std"), ("min", "min"),
                                 ("max", "max")):
                assert row[ours] == pytest.approx(exp[theirs], rel=1e-6)


# --- properties of the core aggregation -----------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(grouped_values())
def test_summary_invariants(data):
    v, g, n = data
    s = summarise(v, g, n)
    for i in range(n):
        vi = v[g == i]
        assert s.n_points[i] == len(vi)
        if len(vi) == 0:
            assert np.isnan(s.mean[i])
            continue
        assert s.min[i] - 1e-9 <= s.mean[i] <= s.max[i] + 1e-9
        assert s.mean[i] * s.n_points[i] == pytest.approx(vi.sum(), rel=1e-9, abs=1e-6)
        assert s.sd[i] == pytest.approx(np.std(vi), rel=1e-6, abs=1e-6)
        assert s.median[i] == pytest.approx(np.median(vi))


@settings(max_examples=100, deadline=None)
@given(grouped_values(with_nodata=True))
def test_nodata_counted_not_averaged(data):
    v, g, n = data
    s = summarise(v, g, n)
    for i in range(n):
        vi = v[g == i]
        assert s.n_nodata[i] == np.isnan(vi).sum()
        assert s.n_points[i] == (~np.isnan(vi)).sum()
        if s.n_points[i] == 0:
            assert np.isnan(s.mean[i])


@settings(max_examples=100, deadline=None)
@given(grouped_values(), st.floats(0.1, 10), st.floats(-50, 50))
def test_scaling_and_shifting(data, k, b):
    v, g, n = data
    s0, s1 = summarise(v, g, n), summarise(v * k + b, g, n)
    ok = s0.n_points > 0
    assert np.allclose(s1.mean[ok], s0.mean[ok] * k + b, rtol=1e-9, atol=1e-6)
    assert np.allclose(s1.min[ok], s0.min[ok] * k + b, rtol=1e-9, atol=1e-6)
    assert np.allclose(s1.max[ok], s0.max[ok] * k + b, rtol=1e-9, atol=1e-6)
    assert np.allclose(s1.sd[ok], s0.sd[ok] * k, rtol=1e-6, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(grouped_values())
def test_splitting_a_zone_adds_counts_and_sums(data):
    v, g, n = data
    whole = summarise(v, np.zeros_like(g), 1)
    parts = summarise(v, g, n)
    ok = parts.n_points > 0
    assert parts.n_points.sum() == whole.n_points[0]
    weighted = (parts.mean[ok] * parts.n_points[ok]).sum() / parts.n_points[ok].sum()
    assert weighted == pytest.approx(whole.mean[0], rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(grouped_values(), st.booleans())
def test_sample_sd_relation(data, _):
    v, g, n = data
    pop, samp = summarise(v, g, n, ddof=0), summarise(v, g, n, ddof=1)
    for i in range(n):
        k = pop.n_points[i]
        if k >= 2:
            assert samp.sd[i] == pytest.approx(pop.sd[i] * np.sqrt(k / (k - 1)), rel=1e-9,
                                               abs=1e-9)
        elif k == 1:
            assert np.isnan(samp.sd[i])


@settings(max_examples=100, deadline=None)
@given(grouped_values())
def test_unit_weights_equal_unweighted(data):
    v, g, n = data
    a, b = summarise(v, g, n), summarise(v, g, n, weight=np.ones_like(v))
    ok = a.n_points > 0
    for f in ("mean", "sd", "min", "max", "median"):
        assert np.allclose(getattr(a, f)[ok], getattr(b, f)[ok], rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rectangles())
def test_centre_rule_property_matches_brute_force(rect):
    t = Affine(20, 0, 0, 0, -20, 200)
    g = shapely.box(*rect)
    a = assign_cells([g], t, (10, 12))
    got = sorted(zip(a.row.tolist(), a.col.tolist(), strict=True))
    assert got == brute_centres(g, t, (10, 12))


@settings(max_examples=60, deadline=None)
@given(grouped_values(), st.floats(0, 500), st.floats(0, 100))
def test_exceedance_never_switches_off_as_threshold_falls(data, hi, drop):
    from airq.analyse.objectives import Objective, compare

    v, g, n = data
    s = summarise(v, g, n)
    m = float(s.mean[~np.isnan(s.mean)][0])
    o_hi = Objective("t", "no2", "annual", hi, "µg/m³", "", "", "")
    o_lo = Objective("t", "no2", "annual", hi - drop, "µg/m³", "", "", "")
    if compare(m, o_hi).exceeds:
        assert compare(m, o_lo).exceeds
