"""Benchmark ``airq batch`` against rasterstats and exactextract on London-sized data.

Not a test. Run ``python benchmarks/bench_batch.py --quick`` (a couple of minutes) or
``python benchmarks/bench_batch.py`` (sizes 1k, 10k, 100k; slow competitors above
10k are extrapolated and labelled so). See benchmarks/README.md.

Data, generated once into a temporary folder (or ``--data DIR``):

* 12 synthetic grids on the LAEI 2019 London geometry: 3026 x 2555 cells of 20 m,
  EPSG:27700, top-left x=501470 y=203450, written as GeoTIFFs;
* synthetic parcels of real plot size (8-15 m frontage, 20-40 m deep) on both sides
  of random streets of 40 plots; group = street;
* the real London 2011 LSOA polygons (4,835; ONS, generalised to 20 m), each its own
  group, read from ``--lsoa FILE`` (any polygon file with an ``LSOA11CD`` column in
  EPSG:27700); without that file the LSOA rows are left out, and the script says so.

Every tool runs in its own subprocess so its peak RSS (``ru_maxrss``) is its own.
Timings include reading each grid from its GeoTIFF and exclude reading the polygons.

* ``airq``: ``batch_stats(..., per_boundary=True)``: centre rule, one row per parcel
  and grid; grids read one at a time as windows; assignment once for all 12 grids.
* ``airq-group``: the same with one row per street (union semantics).
* ``rasterstats``: ``zonal_stats(polys, array, affine=...)`` per grid (centre rule,
  population SD), on the NumPy array and affine.
* ``exactextract``: ``exact_extract`` over the 12 rasters at once with ops
  ``center_x, center_y, values``, then the centre rule applied with one vectorised
  shapely call and grouped sums (the cheapest way to get centre-rule numbers from it).
* ``exactextract-weighted``: plain ``mean, stdev, count`` (coverage-weighted; other
  numbers, for speed reference only).

Agreement: per-parcel mean and SD of parcels holding a cell centre, airq against
rasterstats and exactextract (max absolute difference).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ORIGIN_X, ORIGIN_Y, CELL_M = 501470.0, 203450.0, 20.0
NCOLS, NROWS = 3026, 2555
POLLUTANTS = ("NO2", "NOx", "PM10", "PM25")
YEARS = (2013, 2019, 2020)
PLOTS_PER_STREET = 40
#: Where the LSOAs were on the machine the README's numbers come from.
LSOA = Path("/work/shared/data/real/london-census-boundaries/london-2011-lsoa-gen20.shp")
TOOLS = ("airq-cli", "airq-cli-parcels", "airq", "airq-group", "rasterstats", "exactextract",
         "exactextract-per-grid", "exactextract-weighted")
SLOW = ("rasterstats", "exactextract", "exactextract-per-grid", "exactextract-weighted")
CLI = ("airq-cli", "airq-cli-parcels")


# --------------------------------------------------------------------------- data


def _transform():
    from affine import Affine

    return Affine(CELL_M, 0, ORIGIN_X, 0, -CELL_M, ORIGIN_Y)


def make_grids(folder: Path, n_grids: int) -> list[tuple[str, Path]]:
    """Write ``n_grids`` synthetic London-sized GeoTIFFs; return (spec, path) pairs."""
    import rasterio

    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:NROWS, 0:NCOLS].astype(np.float32)
    base = (22 + 8 * np.sin(x / 37.0) * np.cos(y / 53.0) + 5 * np.sin((x + y) / 211.0)
            ).astype(np.float32)
    out = []
    specs = [(p, yr) for yr in YEARS for p in POLLUTANTS][:n_grids]
    for k, (pol, year) in enumerate(specs):
        path = folder / f"bench_{year}_{pol}.tif"
        spec = f"{pol.lower()}:{year}"
        out.append((spec, path))
        if path.exists():
            continue
        vals = base * (0.5 + 0.1 * k) + rng.gamma(4, 0.5, size=base.shape).astype(np.float32)
        with rasterio.open(path, "w", driver="GTiff", width=NCOLS, height=NROWS, count=1,
                           dtype="float32", crs="EPSG:27700", transform=_transform(),
                           nodata=-9999.0, tiled=True, blockxsize=256, blockysize=256) as ds:
            ds.write(vals, 1)
            ds.update_tags(1, units="µg/m³")
    return out


def make_parcels(n: int, seed: int = 7):
    """``n`` plots (8-15 m by 20-40 m) along both sides of random streets."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    n_streets = int(np.ceil(n / PLOTS_PER_STREET))
    half = PLOTS_PER_STREET // 2
    ox = rng.uniform(ORIGIN_X + 600, ORIGIN_X + NCOLS * CELL_M - 1200, n_streets)
    oy = rng.uniform(ORIGIN_Y - NROWS * CELL_M + 1200, ORIGIN_Y - 600, n_streets)
    ang = rng.uniform(0, np.pi, n_streets)
    d = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1)
    street = np.repeat(np.arange(n_streets), PLOTS_PER_STREET)
    side = np.tile(np.repeat([1.0, -1.0], half), n_streets)
    w = rng.uniform(8, 15, street.size)
    depth = rng.uniform(20, 40, street.size)
    wk = w.reshape(n_streets, 2, half)
    along = (np.cumsum(wk, axis=2) - wk).reshape(-1)
    base = (np.stack([ox, oy], axis=1)[street] + d[street] * along[:, None]
            + nrm[street] * (side * 6)[:, None])
    dd = d[street] * w[:, None]
    nn = nrm[street] * (side * depth)[:, None]
    ring = np.stack([base, base + dd, base + dd + nn, base + nn, base], axis=1)
    polys = shapely.polygons(ring)[:n]
    return gpd.GeoDataFrame({"plot_id": [f"P{i:07d}" for i in range(n)],
                             "street": [f"Street {s:06d}" for s in street[:n]]},
                            geometry=polys, crs="EPSG:27700")


def prepare(folder: Path, sizes, n_grids: int, lsoa: Path | None) -> dict:
    """Write the grids and polygon sets; return the datasets by name."""
    folder.mkdir(parents=True, exist_ok=True)
    grids = make_grids(folder, n_grids)
    sets = {}
    for n in sizes:
        path = folder / f"parcels_{n}.parquet"
        if not path.exists():
            make_parcels(n).to_parquet(path)
        sets[f"parcels-{n}"] = {"path": str(path), "n": n, "group_by": "street"}
    if lsoa is not None and not lsoa.exists():
        print(f"# no LSOA file at {lsoa}: the LSOA rows are left out (give --lsoa FILE)",
              file=sys.stderr)
    elif lsoa is not None:
        import geopandas as gpd

        path = folder / "lsoa.parquet"
        if not path.exists():
            g = gpd.read_file(lsoa)
            g[["LSOA11CD", "geometry"]].rename(columns={"LSOA11CD": "code"}).to_parquet(path)
        import pyarrow.parquet as pq

        sets["london-lsoa"] = {"path": str(path), "n": pq.ParquetFile(path).metadata.num_rows,
                               "group_by": "code"}
    return {"grids": [(s, str(p)) for s, p in grids], "sets": sets}


# --------------------------------------------------------------------------- one tool


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_tool(tool: str, dataset: dict, grids, out: Path) -> dict:
    """Run one tool on one dataset in this process; save per-polygon mean/SD to ``out``."""
    import geopandas as gpd
    import rasterio

    gdf = gpd.read_parquet(dataset["path"])
    n = len(gdf)
    base_rss = _rss_mb()
    t0 = time.perf_counter()
    means = sds = counts = None
    if tool in ("airq", "airq-group"):
        from airq.analyse.batch import batch_stats
        from airq.config import Settings
        from airq.pipeline import parse_grid_spec
        from airq.read.boundaries import Boundaries

        gdf = gdf.assign(airq_id=gdf.iloc[:, 0].astype(str))
        b = Boundaries(gdf, "bench", dataset["path"], "-", "EPSG:27700", "from the file", n, n)
        reqs = [parse_grid_spec(f"{s}={p}") for s, p in grids]
        per = tool == "airq"
        res = batch_stats(b, reqs, Settings(per_boundary=per), dataset["group_by"])
        elapsed = time.perf_counter() - t0
        if per:
            first = res.rows[res.rows["pollutant"] == res.rows["pollutant"].iloc[0]]
            first = first[first["year"] == first["year"].iloc[0]].set_index("airq_id")
            first = first.reindex(gdf["airq_id"])
            # a parcel holding a cell centre has no fallback (a missing value)
            centre = (first["fallback"].isna() & first["n_points"].notna()).to_numpy()
            means = np.where(centre, first["mean"].to_numpy(float), np.nan)
            sds = np.where(centre, first["sd"].to_numpy(float), np.nan)
            counts = np.where(centre, first["n_points"].to_numpy(float), 0)
        n_rows = len(res.rows)
    elif tool == "rasterstats":
        from rasterstats import zonal_stats

        geoms = list(gdf.geometry.values)
        for k, (_, path) in enumerate(grids[:dataset.get("rasterstats_grids") or len(grids)]):
            with rasterio.open(path) as ds:
                arr, aff = ds.read(1), ds.transform
            zs = zonal_stats(geoms, arr, affine=aff, nodata=-9999.0,
                             stats=["count", "mean", "std"])
            if k == 0:
                means = np.array([z["mean"] if z["mean"] is not None else np.nan for z in zs])
                sds = np.array([z["std"] if z["std"] is not None else np.nan for z in zs])
                counts = np.array([z["count"] for z in zs], dtype=float)
            del arr
        elapsed = time.perf_counter() - t0
        n_rows = n * len(grids)
    elif tool == "exactextract-per-grid":
        # One call per grid file, as exactextract's documentation shows it; centre rule
        # applied as for "exactextract" below.
        import shapely
        from exactextract import exact_extract

        vec = gdf[["geometry"]].assign(fid=np.arange(n))
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        shapely.prepare(geoms)
        for k, (_, path) in enumerate(grids):
            df = exact_extract(path, vec, ["center_x", "center_y", "values"], output="pandas")
            m, sd, cnt = _centre_stats(df, geoms, n, "")
            if k == 0:
                means, sds, counts = m, sd, cnt
        elapsed = time.perf_counter() - t0
        n_rows = n * len(grids)
    else:
        from exactextract import exact_extract
        from exactextract.raster import NumPyRasterSource
        from pyproj import CRS

        wkt = CRS.from_epsg(27700).to_wkt()
        rasters = []
        for k, (_, path) in enumerate(grids):
            with rasterio.open(path) as ds:
                arr = ds.read(1)
                xmin, ymin, xmax, ymax = ds.bounds
            rasters.append(NumPyRasterSource(arr, xmin, ymin, xmax, ymax, nodata=-9999.0,
                                             srs_wkt=wkt, name=f"g{k}"))
        vec = gdf[["geometry"]].assign(fid=np.arange(n))
        if tool == "exactextract-weighted":
            df = exact_extract(rasters, vec, ["count", "mean", "stdev"], output="pandas")
            elapsed = time.perf_counter() - t0
            means = df["g0_mean"].to_numpy(float)
            sds = df["g0_stdev"].to_numpy(float)
            counts = df["g0_count"].to_numpy(float)
        else:
            import shapely

            df = exact_extract(rasters, vec, ["center_x", "center_y", "values"],
                               output="pandas")
            geoms = np.asarray(gdf.geometry.values, dtype=object)
            shapely.prepare(geoms)
            means, sds, counts = _centre_stats(df, geoms, n, "g0_")
            for k in range(1, len(grids)):
                _centre_stats(df, geoms, n, f"g{k}_", centres_from="g0_")
            elapsed = time.perf_counter() - t0
        n_rows = n * len(grids)
    if means is not None:
        np.savez(out, mean=means, sd=sds, count=counts)
    return {"tool": tool, "seconds": elapsed, "peak_rss_mb": _rss_mb(),
            "rss_before_mb": base_rss, "rows": n_rows}


def _centre_stats(df, geoms, n, prefix, centres_from=None):
    """Centre-rule count, mean and population SD from exactextract's cell values."""
    import shapely

    c = centres_from or prefix
    lens = np.fromiter((len(v) for v in df[f"{c}center_x"]), dtype=np.int64, count=n)
    zone = np.repeat(np.arange(n), lens)
    cx = np.concatenate(df[f"{c}center_x"].to_numpy())
    cy = np.concatenate(df[f"{c}center_y"].to_numpy())
    inside = shapely.intersects_xy(geoms[zone], cx, cy)
    v = np.concatenate(df[f"{prefix}values"].to_numpy()).astype(float)[inside]
    z = zone[inside]
    cnt = np.bincount(z, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(z, weights=v, minlength=n) / cnt
        sd = np.sqrt(np.bincount(z, weights=(v - m[z]) ** 2, minlength=n) / cnt)
    return m, sd, cnt


# --------------------------------------------------------------------------- driver


def _run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``; return wall seconds, the child's own peak RSS (MB) and stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    chunks = {"out": b"", "err": b""}
    import threading

    def drain(stream, key):
        chunks[key] = stream.read()

    threads = [threading.Thread(target=drain, args=(proc.stdout, "out")),
               threading.Thread(target=drain, args=(proc.stderr, "err"))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} failed:\n{chunks['err'].decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, chunks["out"].decode()


def _subprocess(tool, name, dataset, grids, folder: Path) -> dict:
    if tool in CLI:
        out = folder / f"cli_{tool}_{name}.csv"
        for old in folder.glob(f"cli_{tool}_{name}*"):
            old.unlink()
        cmd = [sys.executable, "-m", "airq", "batch", dataset["path"], "--group-by",
               dataset["group_by"], "-o", str(out)]
        if tool == "airq-cli-parcels":
            cmd.append("--per-boundary")
        for spec, path in grids:
            cmd += ["--grid", f"{spec}={path}"]
        wall, rss, _ = _run_measured(cmd)
        return {"tool": tool, "seconds": None, "process_seconds": wall, "peak_rss_mb": rss,
                "rss_before_mb": None, "rows": None}
    out = folder / f"result_{tool}_{name}.npz"
    spec = json.dumps({"tool": tool, "dataset": dataset, "grids": grids, "out": str(out)})
    wall, rss, stdout = _run_measured([sys.executable, __file__, "--worker", spec])
    res = json.loads(stdout.strip().splitlines()[-1])
    res["process_seconds"] = wall
    return res


def _agreement(folder: Path, name: str, other: str) -> str:
    a = folder / f"result_airq_{name}.npz"
    b = folder / f"result_{other}_{name}.npz"
    if not (a.exists() and b.exists()):
        return "-"
    a, b = np.load(a), np.load(b)
    ok = (a["count"] > 0) & (b["count"] > 0)
    same_n = int((a["count"][a["count"] > 0] == b["count"][a["count"] > 0]).sum())
    dm = np.nanmax(np.abs(a["mean"][ok] - b["mean"][ok])) if ok.any() else np.nan
    ds = np.nanmax(np.abs(a["sd"][ok] - b["sd"][ok])) if ok.any() else np.nan
    return (f"{same_n}/{int((a['count'] > 0).sum())} same n; max |d mean| {dm:.1e}, "
            f"max |d SD| {ds:.1e}")


def main(argv=None) -> int:
    """Run the benchmark and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="Parcel counts, comma-separated [1000,10000,100000].")
    ap.add_argument("--quick", action="store_true",
                    help="Sizes 1000,10000; rasterstats on one grid; exactextract up to "
                         "10000 parcels; no rasterstats on the LSOAs.")
    ap.add_argument("--grids", type=int, default=12, help="Number of grids [12].")
    ap.add_argument("--rasterstats-max", type=int, default=100000,
                    help="Run rasterstats up to this many parcels; above it its time is "
                         "extrapolated linearly (labelled) [100000].")
    ap.add_argument("--rasterstats-all-grids-max", type=int, default=10000,
                    help="Above this many parcels rasterstats runs on the first grid only "
                         "and its time is multiplied by the number of grids (labelled): "
                         "it works grid by grid, so the cost is linear in grids [10000].")
    ap.add_argument("--exactextract-max", type=int, default=100000,
                    help="Run exactextract only up to this many parcels [100000].")
    ap.add_argument("--no-lsoa", action="store_true", help="Skip the London LSOAs.")
    ap.add_argument("--lsoa", type=Path, default=LSOA,
                    help="London 2011 LSOA polygons (LSOA11CD column, EPSG:27700) [%(default)s].")
    ap.add_argument("--skip-lsoa-rasterstats", action="store_true",
                    help="Do not run rasterstats on the LSOAs (it takes minutes).")
    ap.add_argument("--tools", default=",".join(TOOLS), help="Tools to run.")
    ap.add_argument("--data", default=None, help="Folder for the generated data (kept).")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        res = run_tool(spec["tool"], spec["dataset"], spec["grids"], Path(spec["out"]))
        print(json.dumps(res))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes = [s for s in sizes if s <= 10000] if args.sizes != ap.get_default("sizes") \
            else [1000, 10000]
        args.rasterstats_all_grids_max = 0
        args.exactextract_max = min(args.exactextract_max, 10000)
        args.skip_lsoa_rasterstats = True
    tools = [t for t in args.tools.split(",") if t]
    import importlib.util

    missing = sorted({m for t in tools for m in ("rasterstats", "exactextract")
                      if t.startswith(m) and importlib.util.find_spec(m) is None})
    if missing:
        ap.error(f"{' and '.join(missing)} not installed: `pip install --group bench` in the "
                 f"airq clone, or leave {'them' if len(missing) > 1 else 'it'} out (e.g. "
                 "--tools airq-cli,airq-cli-parcels,airq,airq-group)")
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="airq-bench-"))
    t0 = time.perf_counter()
    data = prepare(folder, sizes, args.grids, None if args.no_lsoa else args.lsoa)
    print(f"# data in {folder} (prepared in {time.perf_counter() - t0:.1f} s); "
          f"{len(data['grids'])} grids {NCOLS} x {NROWS}; CPU count {os.cpu_count()}",
          file=sys.stderr)
    results: dict = {}
    for name, ds in data["sets"].items():
        lsoa = name == "london-lsoa"
        for tool in tools:
            run = dict(ds)
            if tool == "rasterstats":
                if (lsoa and args.skip_lsoa_rasterstats) or \
                        (not lsoa and ds["n"] > args.rasterstats_max):
                    continue
                if not lsoa and ds["n"] > args.rasterstats_all_grids_max:
                    run["rasterstats_grids"] = 1
            elif tool in SLOW and not lsoa and ds["n"] > args.exactextract_max:
                continue
            print(f"# {tool} on {name} ...", file=sys.stderr, flush=True)
            r = _subprocess(tool, name, run, data["grids"], folder)
            r["grids_run"] = run.get("rasterstats_grids") or len(data["grids"])
            results[(name, tool)] = r
            work = f"{r['seconds']:.2f} s work, " if r["seconds"] is not None else ""
            print(f"#   {work}{r['process_seconds']:.2f} s process, peak RSS "
                  f"{r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    _print_table(results, data, tools, folder, len(data["grids"]))
    return 0


def _scaled(r: dict, n_grids: int) -> tuple[float | None, float, str]:
    """(work s, process s, note) with a one-grid rasterstats run scaled to all grids."""
    k = r.get("grids_run") or n_grids
    if k >= n_grids or r["seconds"] is None:
        return r["seconds"], r["process_seconds"], ""
    f = n_grids / k
    work = r["seconds"] * f
    return work, r["process_seconds"] - r["seconds"] + work, f" ({k} grid measured, x{f:g})"


def _print_table(results, data, tools, folder, n_grids):
    print(f"\n{n_grids} grids of {NCOLS} x {NROWS} cells (20 m). 'work' is the tool's own "
          "computation including reading every grid, after its imports and reading the "
          "polygons; 'process' is the whole process from start to exit (Python start-up, "
          "imports, reading the polygons, the work, writing). Peak RSS of the tool's own "
          "process. Ratios are against airq on the same data: work against the library "
          "call (per parcel: `airq`; per street: `airq-group`), process against the "
          "`airq batch` command (`airq-cli-parcels` or `airq-cli`).\n")
    print("| polygons | tool | work (s) | process (s) | x airq (work) | x airq (process) | "
          "peak RSS (MB) | agreement with airq (centre rule) |")
    print("|---|---|---|---|---|---|---|---|")
    goals = []
    for name, ds in data["sets"].items():
        a = results.get((name, "airq"))
        cli = results.get((name, "airq-cli-parcels"))
        for tool in tools:
            r = results.get((name, tool))
            base_w = results.get((name, "airq-group")) if tool in ("airq-cli",) else a
            base_p = results.get((name, "airq-cli")) if tool in ("airq-group",) else cli
            if r is None:
                pts = [(data["sets"][n]["n"], _scaled(rr, n_grids)[1])
                       for (n, tt), rr in results.items()
                       if tt == tool and n.startswith("parcels")]
                if name.startswith("parcels") and pts:
                    n0, s0 = max(pts)
                    est = s0 * ds["n"] / n0
                    ratio = f"~{est / cli['process_seconds']:.0f}" if cli else "-"
                    print(f"| {name} | {tool} | - | ~{est:.0f} (extrapolated from {n0}) | - "
                          f"| {ratio} | - | not run |")
                continue
            work, proc, note = _scaled(r, n_grids)
            rw = f"{work / base_w['seconds']:.1f}" if (work is not None and base_w and
                                                        base_w["seconds"]) else "-"
            rp = f"{proc / base_p['process_seconds']:.1f}" if base_p else "-"
            agree = ""
            if tool in ("rasterstats", "exactextract", "exactextract-per-grid"):
                agree = _agreement(folder, name, tool)
            elif tool == "exactextract-weighted":
                agree = "coverage-weighted: different numbers by design"
            ws = f"{work:.2f}{note}" if work is not None else "-"
            print(f"| {name} | {tool} | {ws} | {proc:.2f} | {rw} | {rp} | "
                  f"{r['peak_rss_mb']:.0f} | {agree} |")
            if tool in ("rasterstats", "exactextract", "exactextract-per-grid") and cli:
                goals.append((name, tool, proc / cli["process_seconds"]))
    if goals:
        print("\nWhole `airq batch --per-boundary` process against each tool's whole process "
              "(the issue's goal: 100x exactextract, 300x rasterstats at 100k parcels):\n")
        for name, tool, ratio in goals:
            print(f"- {name}: {tool} takes {ratio:.1f}x as long as `airq batch`")


if __name__ == "__main__":
    sys.exit(main())
