"""`airq batch`: rows equal `query` per group, fallbacks, broken groups, atomic output, Dask."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from airq.analyse.batch import batch_stats, read_batch_boundaries
from airq.cli import cli
from airq.config import Settings
from airq.pipeline import parse_grid_spec
from airq.read.grids import sha256_file
from airq.render.batch_output import BatchWriter, write_batch
from tests.conftest import write_asc

XLL, YLL, CS = 531130.0, 181270.0, 20.0
NROWS, NCOLS = 45, 60
STATS = ("n_points", "n_nodata", "mean", "sd", "min", "max", "median")


def _plots_along(rng, x0, y0, angle, n, street, start=0):
    """Plots of real size (8-15 m frontage, 20-40 m deep) side by side along a street."""
    polys, ids = [], []
    along = 0.0
    d = np.array([np.cos(angle), np.sin(angle)])
    nrm = np.array([-d[1], d[0]])
    for i in range(n):
        w, depth = rng.uniform(8, 15), rng.uniform(20, 40)
        side = 1 if i % 2 else -1
        base = np.array([x0, y0]) + d * along + nrm * side * 6
        corners = [base, base + d * w, base + d * w + nrm * side * depth,
                   base + nrm * side * depth]
        polys.append(shapely.Polygon(corners).buffer(0))
        ids.append(f"{street[:2].upper()}-{start + i:03d}")
        along += w if side == 1 else 0.0
    return polys, ids


@pytest.fixture
def unseen(tmp_path):
    """Random grids in the LAEI layout and random streets of plots nobody has seen."""
    rng = np.random.default_rng(2024)
    grids = {}
    for spec, scale in (("no2:2020", 1.4), ("pm25:2013", 0.6)):
        pol, year = spec.split(":")
        values = rng.gamma(20, scale, size=(NROWS, NCOLS))
        values[rng.random(values.shape) < 0.03] = -9999
        name = {"no2": "NO2", "pm25": "PM25"}[pol]
        path = write_asc(tmp_path / f"PostLAEI2013_{year}_{name}.asc", values, XLL, YLL)
        grids[spec] = (values, path)
    polys, ids, streets = [], [], []
    for k, street in enumerate(["Alder Road", "Birch Lane", "Cedar Mews"]):
        p, i = _plots_along(rng, XLL + 150 + 250 * k, YLL + 200 + 60 * k, rng.uniform(0, 3),
                            14, street)
        polys += p
        ids += i
        streets += [street] * len(p)
    # A street whose only plots hold no cell centre (centres at XLL + 10 + 20k).
    polys += [shapely.box(XLL + 401, YLL + 401, XLL + 409, YLL + 409),
              shapely.box(XLL + 441, YLL + 401, XLL + 449, YLL + 409)]
    ids += ["TC-000", "TC-001"]
    streets += ["Tiny Court"] * 2
    gdf = gpd.GeoDataFrame({"plot_id": ids, "street": streets}, geometry=polys,
                           crs="EPSG:27700")
    gdf.to_file(tmp_path / "plots.gpkg", engine="pyogrio")
    return grids, gdf, tmp_path / "plots.gpkg"


def _grid_args(grids):
    return [a for spec, (_, path) in grids.items() for a in ("--grid", f"{spec}={path}")]


@pytest.mark.parametrize("method", ["centre", "all-touched", "area-weighted"])
def test_batch_rows_equal_query_group_by_group(runner, unseen, tmp_path, method):
    grids, gdf, plots = unseen
    out = tmp_path / "streets.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "--method", method, "-o", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    rows = pd.read_csv(out)
    assert sorted(rows["group"].unique()) == sorted(gdf["street"].unique())
    assert len(rows) == 4 * 2
    for street in gdf["street"].unique():
        q = runner.invoke(cli, ["query", str(plots), "--where", f"street={street}",
                                *_grid_args(grids), "--method", method, "-f", "json",
                                "--no-layers"],
                          catch_exceptions=False)
        assert q.exit_code == 0, q.stderr
        for r in json.loads(q.stdout)["results"]:
            (b,) = rows[(rows["group"] == street) & (rows["pollutant"] == r["pollutant"])
                        & (rows["year"] == r["year"])].to_dict("records")
            for s in STATS:
                assert b[s] == pytest.approx(r[s], abs=2e-6), (street, r["pollutant"], s)
            assert b["objective"] == r["objective"]
            assert bool(b["exceeds"]) == r["exceeds"]
            assert b["margin"] == pytest.approx(r["margin"], abs=2e-6)
            assert (b["fallback"] == "containing-cell") == r["fallback"]
    tiny = rows[rows["group"] == "Tiny Court"]
    assert (tiny["n_points"] > 0).all()
    if method == "centre":
        assert (tiny["fallback"] == "containing-cell").all()


def test_per_boundary_marks_fallback_and_drops_nothing(runner, unseen, tmp_path):
    grids, gdf, plots = unseen
    out = tmp_path / "plots.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--per-boundary",
                              "--grid", f"no2:2020={grids['no2:2020'][1]}", "-o", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    rows = pd.read_csv(out, keep_default_na=False)
    assert sorted(rows["airq_id"]) == sorted(gdf["plot_id"])  # none dropped
    fb = rows[rows["fallback"] == "containing-cell"]
    assert {"TC-000", "TC-001"} <= set(fb["airq_id"])
    q = runner.invoke(cli, ["query", str(plots), "--where", "street=Birch Lane",
                            "--grid", f"no2:2020={grids['no2:2020'][1]}", "--per-boundary",
                            "-f", "json", "--no-layers"], catch_exceptions=False)
    for pb in json.loads(q.stdout)["per_boundary"]:
        (b,) = rows[rows["airq_id"] == pb["boundary_id"]].to_dict("records")
        assert b["n_points"] == pb["n_points"]
        assert b["fallback"] == (pb["fallback"] or "")
        if pb["mean"] is not None:
            assert float(b["mean"]) == pytest.approx(pb["mean"], abs=2e-6)
        if pb["sd"] is None:  # a fallback row has one cell and no SD, in both
            assert b["sd"] == "" and pb["fallback"] == "containing-cell"
        else:
            assert float(b["sd"]) == pytest.approx(pb["sd"], abs=2e-6)


def test_shared_cell_counts_once_per_group():
    """Two plots of one street sharing a cell centre count it once (union semantics)."""
    from affine import Affine

    from airq.read.grids import Grid, GridInfo

    values = np.arange(12, dtype=float).reshape(3, 4)
    info = GridInfo("no2", 2020, "test", "µg/m³", "concentration", "test", "mem", None, "0",
                    None, "EPSG:27700", False, "given")
    grid = Grid(values, Affine(20, 0, 0, 0, -20, 60), "EPSG:27700", info, (3, 4))
    polys = [shapely.box(0, 20, 40, 40), shapely.box(20, 20, 60, 40)]  # share centre (30, 30)
    gdf = gpd.GeoDataFrame({"street": ["A", "A"], "airq_id": ["p1", "p2"]}, geometry=polys,
                           crs="EPSG:27700")
    from airq.read.boundaries import Boundaries

    b = Boundaries(gdf, "t", "mem", "0", "EPSG:27700", "given", 2, 2)
    res = batch_stats(b, [grid], Settings(), "street")
    (row,) = res.rows.to_dict("records")
    assert row["n_points"] == 3 and row["mean"] == pytest.approx((4 + 5 + 6) / 3)


def _broken_file(tmp_path, gdf):
    good = gdf[gdf["street"] == "Alder Road"]
    far = shapely.box(XLL + 20_000, YLL, XLL + 20_012, YLL + 30)
    flat = shapely.Polygon([(XLL + 300, YLL + 300), (XLL + 310, YLL + 300),
                            (XLL + 320, YLL + 300), (XLL + 300, YLL + 300)])
    bad = gpd.GeoDataFrame({"plot_id": ["FA-1", "BC-1"], "street": ["Far Away", "Broken Close"]},
                           geometry=[far, flat], crs="EPSG:27700")
    out = pd.concat([good, bad], ignore_index=True)
    out.to_file(tmp_path / "broken.gpkg", engine="pyogrio")
    return tmp_path / "broken.gpkg"


def test_broken_groups_listed_rest_finish_exit_partial(runner, unseen, tmp_path):
    grids, gdf, _ = unseen
    path = _broken_file(tmp_path, gdf)
    out = tmp_path / "results.gpkg"
    res = runner.invoke(cli, ["batch", str(path), "--group-by", "street", *_grid_args(grids),
                              "-o", str(out)], catch_exceptions=False)
    assert res.exit_code == 3, res.stderr
    assert "Partial" in res.stderr
    good = gpd.read_file(out)
    assert set(good["group"]) == {"Alder Road"} and len(good) == 2
    assert good.crs.to_epsg() == 27700 and good.geometry.notna().all()
    errors = pd.read_csv(tmp_path / "results.gpkg.errors.csv")
    reasons = dict(zip(errors["group"], errors["reason"], strict=False))
    assert set(reasons) == {"Far Away", "Broken Close"}
    assert "outside the grid" in reasons["Far Away"]
    assert "could not be repaired" in reasons["Broken Close"]


def test_interrupted_writer_leaves_no_file(unseen, tmp_path, monkeypatch, runner):
    grids, gdf, plots = unseen
    b, _ = read_batch_boundaries(plots, "street")
    res = batch_stats(b, [parse_grid_spec(f"no2:2020={grids['no2:2020'][1]}")], Settings(),
                      "street")
    assert any("assumed EPSG:27700" in w for w in res.warnings)

    def die(self, provenance, empty_columns=()):
        raise KeyboardInterrupt("killed after the rows, before the provenance")

    monkeypatch.setattr(BatchWriter, "finish", die)
    out = tmp_path / "out" / "results.csv"
    out.parent.mkdir()
    with pytest.raises(KeyboardInterrupt):
        write_batch(res, out)
    assert list(out.parent.iterdir()) == []  # no output, no sidecar, no temporary file
    monkeypatch.undo()
    write_batch(res, out)
    assert len(pd.read_csv(out)) == 4
    side = json.loads((out.parent / "results.csv.provenance.json").read_text())
    assert side["output"]["sha256"] == sha256_file(out) and side["output"]["rows"] == 4
    assert side["provenance"]["grids"][0]["sha256"] == sha256_file(grids["no2:2020"][1])
    assert side["provenance"]["airq_version"] and side["provenance"]["settings"]
    with pytest.raises(Exception, match="already exists"):
        write_batch(res, out)


def test_wide_parquet_map_and_layers(runner, unseen, tmp_path):
    grids, gdf, plots = unseen
    site = shapely.box(XLL + 150, YLL + 150, XLL + 190, YLL + 190)
    layer = gpd.GeoDataFrame({"name": ["Old Works"], "category": ["gasworks"]}, geometry=[site],
                             crs="EPSG:27700")
    layer.to_file(tmp_path / "industry.gpkg", engine="pyogrio")
    from airq.read.catalogue.layers import add_layer

    add_layer(tmp_path / "industry.gpkg", name="industry", kind="industry",
              mapping={"category": "category", "name": "name"})
    out = tmp_path / "wide.parquet"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "--wide", "-o", str(out), "--map", str(tmp_path / "m.html"),
                              "--layer", "industry"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    wide = gpd.read_parquet(out)
    assert len(wide) == 4 and wide.crs.to_epsg() == 27700
    assert {"no2_2020_mean", "pm25_2013_mean", "worst_margin", "landuse_distance_m",
            "landuse_category", "landuse_band"} <= set(wide.columns)
    alder = wide[wide["group"] == "Alder Road"].iloc[0]
    assert alder["landuse_category"] == "gasworks"
    union = shapely.union_all(gdf[gdf["street"] == "Alder Road"].geometry.values)
    assert alder["landuse_distance_m"] == pytest.approx(union.distance(site), abs=0.06)
    html = (tmp_path / "m.html").read_text()
    assert "worst margin" in html and "Alder Road" in html


def test_errors_usage_and_no_overwrite(runner, unseen, tmp_path):
    grids, _, plots = unseen
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "nosuch", *_grid_args(grids),
                              "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "no column 'nosuch'" in res.stderr
    res = runner.invoke(cli, ["batch", str(plots), *_grid_args(grids), "-o", "x.csv"])
    assert res.exit_code == 2 and "--group-by" in res.stderr
    (tmp_path / "y.csv").write_text("keep")
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "-o", str(tmp_path / "y.csv")])
    assert res.exit_code == 1 and "--overwrite" in res.stderr
    assert (tmp_path / "y.csv").read_text() == "keep"
    res = runner.invoke(cli, ["batch", "--help"])
    assert res.exit_code == 0 and "--group-by" in res.output and "status 3" in res.output


def test_dask_local_cluster_gives_same_rows(unseen):
    distributed = pytest.importorskip("distributed")
    grids, _, plots = unseen
    b, _ = read_batch_boundaries(plots, "street")
    reqs = [parse_grid_spec(f"{spec}={path}") for spec, (_, path) in grids.items()]
    settings = Settings(per_boundary=True)
    local = batch_stats(b, reqs, settings, "street")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        dist = batch_stats(b, reqs, settings, "street", dask=cluster.scheduler_address,
                           n_partitions=3)
    pd.testing.assert_frame_equal(local.rows, dist.rows)
    assert local.errors == dist.errors


def test_scanline_gives_the_same_cells_as_assign_cells():
    """Large zones use a scanline; it must pick exactly the centre rule's cells."""
    from affine import Affine

    from airq.analyse.batch import assign_centres_scanline
    from airq.analyse.zonal import assign_cells

    rng = np.random.default_rng(8)
    t, shape = Affine(20, 0, 1000, 0, -20, 2000), (50, 60)
    polys = []
    for i in range(600):
        cx, cy = rng.uniform(900, 2300), rng.uniform(900, 2100)
        if i % 4 == 0:  # grid-aligned: edges through centres and along cell lines
            x0, y0 = 1000 + 10 * rng.integers(-5, 130), 1000 + 10 * rng.integers(-5, 110)
            polys.append(shapely.box(x0, y0, x0 + 10 * rng.integers(1, 12),
                                     y0 + 10 * rng.integers(1, 12)))
        elif i % 4 == 1:  # rings with holes
            polys.append(shapely.Point(cx, cy).buffer(rng.uniform(5, 120)).difference(
                shapely.Point(cx, cy).buffer(rng.uniform(1, 40))))
        elif i % 4 == 2:
            polys.append(shapely.affinity.rotate(
                shapely.box(cx, cy, cx + rng.uniform(8, 15), cy + rng.uniform(20, 40)),
                rng.uniform(0, 180)))
        else:
            polys.append(shapely.MultiPolygon([shapely.box(cx, cy, cx + 30, cy + 30),
                                               shapely.box(cx + 50, cy, cx + 90, cy + 70)]))
    a = assign_cells(polys, t, shape)
    b = assign_centres_scanline(polys, t, shape)

    def keys(x):
        return np.sort((x.zone * shape[0] + x.row) * shape[1] + x.col)

    assert a.row.size > 1000
    np.testing.assert_array_equal(keys(a), keys(b))


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".parquet"])
def test_streamed_per_boundary_crash_midway_leaves_no_file(runner, unseen, tmp_path,
                                                           monkeypatch, suffix):
    """Per-boundary rows are streamed grid by grid in every format; a crash after the
    first grid's rows leaves nothing under the final name."""
    grids, gdf, plots = unseen
    real = BatchWriter.write
    calls = []

    def die_on_second_grid(self, rows, info=None, geometry=None):
        calls.append(len(rows))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed midway")
        return real(self, rows, info, geometry)

    monkeypatch.setattr(BatchWriter, "write", die_on_second_grid)
    out = tmp_path / "out" / f"plots{suffix}"
    out.parent.mkdir()
    args = ["batch", str(plots), "--group-by", "street", "--per-boundary", *_grid_args(grids),
            "-o", str(out)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 1  # click turns the interrupt into "Aborted!"
    assert calls == [len(gdf), len(gdf)]  # streamed: one grid's rows per call
    assert list(out.parent.iterdir()) == []
    monkeypatch.undo()
    res = runner.invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    rows = {".csv": pd.read_csv, ".gpkg": gpd.read_file, ".parquet": gpd.read_parquet}[suffix](out)
    assert len(rows) == 2 * len(gdf) and f"{2 * len(gdf)} rows" in res.stderr
    if suffix != ".csv":
        assert rows.geometry.notna().all() and rows.crs.to_epsg() == 27700
        per_plot = rows.drop_duplicates("airq_id").set_index("airq_id").geometry
        want = gdf.set_index("plot_id").geometry
        assert per_plot.loc[want.index].geom_equals(want).all()
    side = json.loads((out.parent / f"plots{suffix}.provenance.json").read_text())
    assert side["output"]["rows"] == 2 * len(gdf) and side["provenance"]["streamed"]
    assert side["output"]["sha256"] == sha256_file(out)
    if suffix == ".parquet":
        meta = pq.read_metadata(out).metadata  # the file's key-value metadata
        assert json.loads(meta[b"airq_provenance"]) == side["provenance"]
        assert json.loads(meta[b"geo"])["columns"]["geometry"]["bbox"] == pytest.approx(
            list(gdf.total_bounds))
    elif suffix == ".gpkg":
        info = pyogrio.read_info(out)
        assert json.loads(info["layer_metadata"]["airq_provenance"]) == side["provenance"]
        # a true/false field (GeoPackage's boolean subtype), not the text 'False'
        assert dict(zip(info["fields"], info["dtypes"], strict=True))["exceeds"] == "bool"
    if suffix == ".parquet":
        assert pq.read_schema(out).field("exceeds").type == pa.bool_()


def test_sigkill_midway_leaves_no_output_and_next_run_cleans_up(unseen, tmp_path):
    """A real `airq batch` process killed with SIGKILL while streaming rows: nothing
    under the output's name; the next run removes the dead run's temporary file."""
    grids, gdf, plots = unseen
    no2, pm25 = grids["no2:2020"][1], grids["pm25:2013"][1]
    # The second grid is a named pipe: the process writes the first grid's rows, then
    # blocks reading it, so the kill lands midway, deterministically.
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    fifo = fifo_dir / pm25.name
    os.mkfifo(fifo)
    out = tmp_path / "out" / "plots.csv"
    out.parent.mkdir()
    base = [sys.executable, "-m", "airq", "batch", str(plots), "--group-by", "street",
            "--per-boundary", "-o", str(out), "--grid", f"no2:2020={no2}"]
    proc = subprocess.Popen([*base, "--grid", f"pm25:2013={fifo}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        parts = []
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list(out.parent.glob(".plots.csv.*.part.csv"))
            if parts and parts[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert parts and parts[0].stat().st_size > 0, "the run never started writing rows"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists() and not (out.parent / "plots.csv.provenance.json").exists()
    assert [p.name for p in out.parent.iterdir()] == [parts[0].name]  # hidden, dead run's
    done = subprocess.run([*base, "--grid", f"pm25:2013={pm25}"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^Warning: removed \.plots\.csv\.\d+\.\w+\.part\.csv, left by an "
                     r"interrupted run \(process \d+\)$", done.stderr, re.M), done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["plots.csv",
                                                            "plots.csv.provenance.json"]
    assert len(pd.read_csv(out)) == 2 * len(gdf)


def test_wide_table_counts_its_own_rows_and_fallback_is_missing_not_empty_text(runner, unseen,
                                                                               tmp_path):
    """docs/batch.md: --wide says how many rows the file holds; an unused fallback is a
    missing value (empty CSV cell, null in Parquet), never the text ""."""
    grids, gdf, plots = unseen
    wide = tmp_path / "wide.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "--wide", "-o", str(wide)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    n_groups = gdf["street"].nunique()
    assert len(pd.read_csv(wide)) == n_groups
    assert f"{n_groups} rows, {n_groups} groups" in res.stderr
    prov = json.loads((tmp_path / "wide.csv.provenance.json").read_text())
    assert prov["output"]["rows"] == prov["provenance"]["n_rows"] == n_groups
    assert prov["provenance"]["layout"] == "wide"
    # the library's writer records the same (docs/batch.md's Python example)
    b, lost = read_batch_boundaries(plots, "street")
    result = batch_stats(b, [parse_grid_spec(f"no2:2020={grids['no2:2020'][1]}")], Settings(),
                         "street", lost_groups=lost)
    write_batch(result, tmp_path / "lib_wide.csv", wide=True)
    prov = json.loads((tmp_path / "lib_wide.csv.provenance.json").read_text())
    assert prov["provenance"]["layout"] == "wide" and prov["output"]["rows"] == n_groups
    for suffix, read in ((".csv", pd.read_csv), (".parquet", gpd.read_parquet)):
        out = tmp_path / f"plots{suffix}"
        res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--per-boundary",
                                  *_grid_args(grids), "-o", str(out)], catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        rows = read(out)
        assert set(rows["fallback"].dropna()) == {"containing-cell"}
        assert rows["fallback"].isna().any()
        assert rows.loc[rows["fallback"].notna(), "sd"].isna().all()  # one cell: no SD
    assert ',"",' not in (tmp_path / "plots.csv").read_text()


def test_batch_land_use_category_is_the_one_screen_gives(runner, tmp_path):
    """docs/batch.md: landfill and brownfield records have no category field; batch names
    them as airq screen does (historic landfill, brownfield land)."""
    res = runner.invoke(cli, ["demo", "--dir", str(tmp_path)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    out = tmp_path / "streets.csv"
    plots = tmp_path / "boundaries" / "demo" / "residential_plots.gpkg"
    for layer, category in (("historic_landfill", "historic landfill"),
                            ("brownfield_register", "brownfield land")):
        res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--year", "2020",
                                  "--layer", layer, "-o", str(out), "--overwrite"],
                            catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        rows = pd.read_csv(out)
        found = rows[rows["landuse_layer"] == layer]
        assert len(found) and set(found["landuse_category"]) == {category}


def test_layer_with_per_boundary_is_refused_not_ignored(runner, unseen, tmp_path):
    """docs/batch.md: --layer gives each group its nearest record; with --per-boundary the
    columns were silently left out (issue 16). Now a usage error naming both options."""
    grids, _, plots = unseen
    out = tmp_path / "pb.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "--per-boundary", "--layer", "anything", "-o", str(out)])
    assert res.exit_code == 2, res.stderr
    assert "--layer" in res.stderr and "--per-boundary" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_workers_without_dask_installed_is_one_line(runner, unseen, tmp_path, monkeypatch):
    """Dask is an optional extra (airq-eho[dask]): --workers without it says how to get it."""
    grids, _, plots = unseen
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as when not installed
    out = tmp_path / "w.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "--workers", "2", "-o", str(out)])
    assert res.exit_code == 1, res.stderr
    assert "pip install 'airq-eho[dask]'" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
