"""Benchmark the boundaries catalogue and a postcode query on a London borough's worth of data.

Not a test. Run ``python benchmarks/bench_addresses.py`` (about a minute on an idle
machine). See benchmarks/README.md.

Data, generated into a temporary folder (or ``--data DIR``, kept and reused):

* an INSPIRE Index Polygons council zip (``Land_Registry_Cadastral_Parcels.gml``, WFS 2.0
  GML 3.2 exactly as published, and a second file) of about 60,000 polygons: terraces
  of houses (7-11.5 m frontage, 18-26 m deep) on both sides of streets across the demo's
  4 km x 4 km, blocks of flats (one title, 21 addresses each) and depots (no address);
* an ONS UPRN Directory CSV (all its columns) of about 80,000 address points: one per
  house, 21 per block of flats, 1% on land with no title; about 15 addresses per
  postcode, as in real life;
* the demo grids and land-use layers (``airq demo``), so the query is the full job.

Timed, each as a whole process (``airq ...`` in a subprocess: Python start-up, imports,
reading, work, writing), wall-clock and CPU (user + system):

* ``airq boundaries add BOROUGH.zip --addresses ONSUD.csv`` (goal: under 30 s);
* ``airq query --postcode X`` on the catalogue, with every catalogued grid and
  land-use layer (goal: under 1.5 s), and with ``--no-layers``; each the median of
  ``--repeat`` runs over different postcodes.

The machine's load average is printed with the results: wall-clock time on a shared
machine includes waiting for a CPU, so CPU time is given too.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

#: The demo grids' extent (airq.demo.DEMO_BOUNDS), inside which the borough is built.
WEST, SOUTH, EAST, NORTH = 546010.0, 186010.0, 550010.0, 190010.0
ROAD_M = 10.0
FLATS_EVERY = 60      # one block of flats per this many plots
DEPOT_EVERY = 75      # one depot (no address) per this many plots
FLATS_PER_BLOCK = 21
PER_POSTCODE = 15
UNREGISTERED_SHARE = 0.01

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<wfs:FeatureCollection xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" '
    'xmlns:LR="www.landregistry.gov.uk" numberMatched="unknown" numberReturned="0" '
    'timeStamp="2025-01-05T09:12:44.123Z" xsi:schemaLocation="www.landregistry.gov.uk '
    "http://localhost:8080/geoserver/wfs?service=WFS&amp;version=2.0.0&amp;request="
    "DescribeFeatureType&amp;typeName=LR%3APREDEFINED http://www.opengis.net/wfs/2.0 "
    "http://localhost:8080/geoserver/schemas/wfs/2.0/wfs.xsd http://www.opengis.net/gml/3.2 "
    'http://localhost:8080/geoserver/schemas/gml/3.2.1/gml.xsd">\n'
)
ONSUD_HEADER = ("UPRN,GRIDGB1E,GRIDGB1N,PCDS,CTY25CD,CED25CD,LAD25CD,WD25CD,PARNCP25CD,"
                "HLTH19CD,CTRY25CD,RGN25CD,PCON24CD,EER20CD,TTWA15CD,ITL25CD,NPARK16CD,"
                "OA21CD,LSOA21CD,MSOA21CD,WZ11CD,SICBL24CD,BUA24CD,RUC21IND,OAC11IND,"
                "LEP21CD1,LEP21CD2,PFA23CD,IMD19IND")
GEO = ("E99999999,E99999999,E09000002,E05014063,E43000218,E18000007,E92000001,E12000007,"
       "E14001079,E15000007,E30000234,TLI7,E65000001,E00011234,E01000112,E02000021,"
       "E33000251,E38000255,E63000005,UN1,4B2,E37000051,,E23000001,11253")


def _postcode(k: int) -> str:
    """The k-th synthetic postcode: districts RM1-RM9, sectors 0-9, 361 units each."""
    letters = "ABDEFGHJLNPQRSTUWXY"  # the letters an inward code may use
    unit = f"{letters[(k // 19) % 19]}{letters[k % 19]}"
    sector = (k // 361) % 10
    district = 1 + (k // 3610) % 9
    return f"RM{district} {sector}{unit}"


def make_borough(folder: Path, seed: int = 13) -> tuple[Path, Path, list[str]]:
    """Write the INSPIRE zip and the ONSUD CSV; return their paths and the postcodes used."""
    rng = np.random.default_rng(seed)
    members, rows = [], []
    uprn, inspire_id, plot = 100_200_000_001, 40_000_001, 0
    pc_index, in_pc = 0, 0
    postcodes: list[str] = []

    def next_postcode(n):
        nonlocal pc_index, in_pc
        if in_pc + n > PER_POSTCODE and in_pc:
            pc_index += 1
            in_pc = 0
        in_pc += n
        pc = _postcode(pc_index)
        if not postcodes or postcodes[-1] != pc:
            postcodes.append(pc)
        return pc

    def add_polygon(x0, y0, x1, y1):
        nonlocal inspire_id
        ring = f"{x0:.3f} {y0:.3f} {x1:.3f} {y0:.3f} {x1:.3f} {y1:.3f} {x0:.3f} {y1:.3f} " \
               f"{x0:.3f} {y0:.3f}"
        i = len(members)
        members.append(
            f'<wfs:member>\n<LR:PREDEFINED gml:id="PREDEFINED.fid-b{i:x}">\n'
            f'<LR:GEOMETRY><gml:Polygon gml:id="PREDEFINED.geom.{i}" '
            'srsName="urn:ogc:def:crs:EPSG::27700" srsDimension="2"><gml:exterior>'
            f"<gml:LinearRing><gml:posList>{ring}</gml:posList></gml:LinearRing></gml:exterior>"
            "</gml:Polygon></LR:GEOMETRY>\n"
            f"<LR:INSPIREID>{inspire_id}</LR:INSPIREID>\n<LR:LABEL>{inspire_id}</LR:LABEL>\n"
            f"<LR:NATIONALCADASTRALREFERENCE>{inspire_id}</LR:NATIONALCADASTRALREFERENCE>\n"
            "<LR:VALIDFROM>2010-06-14T00:00:00.000</LR:VALIDFROM>\n"
            "<LR:BEGINLIFESPANVERSION>2014-02-27T10:45:12.000</LR:BEGINLIFESPANVERSION>\n"
            "</LR:PREDEFINED>\n</wfs:member>\n")
        inspire_id += 1

    y = SOUTH + 5.0
    while y + 2 * 26 + ROAD_M < NORTH - 5:
        depth_s, depth_n = rng.uniform(18, 26, 2)
        road_y = y + depth_s
        for side, (y0, y1) in ((-1, (y, road_y)), (1, (road_y + ROAD_M,
                                                       road_y + ROAD_M + depth_n))):
            x = WEST + 5.0
            while True:
                plot += 1
                if plot % FLATS_EVERY == 0:
                    w = 24.0
                elif plot % DEPOT_EVERY == 0:
                    w = 30.0
                else:
                    w = float(rng.uniform(7, 11.5))
                if x + w > EAST - 5:
                    break
                add_polygon(x, y0, x + w, y1)
                front = y1 - 6 if side < 0 else y0 + 6
                if plot % FLATS_EVERY == 0:
                    pc = next_postcode(FLATS_PER_BLOCK)
                    for k in range(FLATS_PER_BLOCK):
                        rows.append(f"{uprn},{x + 4 + (k % 5) * 4:.0f},{front:.0f},{pc},{GEO}")
                        uprn += 1
                elif plot % DEPOT_EVERY != 0:
                    pc = next_postcode(1)
                    rows.append(f"{uprn},{x + w / 2:.0f},{front:.0f},{pc},{GEO}")
                    uprn += 1
                    if rng.random() < UNREGISTERED_SHARE:  # on the road: no title
                        rows.append(f"{uprn},{x + w / 2:.0f},{road_y + ROAD_M / 2:.0f},{pc},{GEO}")
                        uprn += 1
                x += w
        y = road_y + ROAD_M + depth_n
    folder.mkdir(parents=True, exist_ok=True)
    zpath = folder / "Bench_Borough.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Land_Registry_Cadastral_Parcels.gml",
                    HEAD + "".join(members) + "</wfs:FeatureCollection>\n")
        zf.writestr("INSPIRE Unique Identifiers Licence.txt", "benchmark data\n")
    zpath.write_bytes(buf.getvalue())
    apath = folder / "ONSUD_BENCH_LN.csv"
    apath.write_text(ONSUD_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"generated {len(members):,} polygons, {len(rows):,} addresses, "
          f"{len(postcodes):,} postcodes ({zpath.stat().st_size / 1e6:.1f} MB zip, "
          f"{apath.stat().st_size / 1e6:.1f} MB CSV)")
    return zpath, apath, postcodes


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Run a command; return (wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="keep the generated data here")
    ap.add_argument("--repeat", type=int, default=5, help="postcode queries to time")
    args = ap.parse_args(argv)
    folder = args.data or Path(tempfile.mkdtemp(prefix="airq-bench-addresses-"))
    home = folder / "airq-home"
    env = {**os.environ, "AIRQ_HOME": str(home)}
    airq = [sys.executable, "-m", "airq"]
    zpath, apath = folder / "Bench_Borough.zip", folder / "ONSUD_BENCH_LN.csv"
    if zpath.exists() and apath.exists():
        import pandas as pd

        postcodes = list(pd.read_csv(apath, usecols=["PCDS"])["PCDS"].drop_duplicates())
        print(f"reusing {zpath} and {apath}")
    else:
        zpath, apath, postcodes = make_borough(folder)
    if not (home / "grids" / "index.json").exists():
        subprocess.run([*airq, "demo", "--overwrite"], cwd=folder, env=env, check=True,
                       capture_output=True)
    wall, cpu = timed([*airq, "boundaries", "add", str(zpath), "--addresses", str(apath),
                       "--name", "bench", "--overwrite"], folder, env)
    print(f"airq boundaries add: {wall:.1f} s wall, {cpu:.1f} s CPU (goal: under 30 s)")
    rng = np.random.default_rng(5)
    picks = [postcodes[i] for i in rng.choice(len(postcodes), args.repeat, replace=False)]
    for label, extra in (("with land-use layers", []), ("--no-layers", ["--no-layers"])):
        walls, cpus = [], []
        for pc in picks:
            w, c = timed([*airq, "query", "bench", "--postcode", pc, *extra], folder, env)
            walls.append(w)
            cpus.append(c)
        print(f"airq query bench --postcode ({label}): median {statistics.median(walls):.2f} s "
              f"wall (min {min(walls):.2f}), {statistics.median(cpus):.2f} s CPU, over "
              f"{len(picks)} postcodes (goal: under 1.5 s)")
    w, c = timed([sys.executable, "-c", "import airq.cli"], folder, env)
    w2, c2 = timed([sys.executable, "-c", "import geopandas, rasterio, pyarrow.parquet"],
                   folder, env)
    print(f"for scale: python -c 'import airq.cli' {w:.2f} s wall; importing geopandas, "
          f"rasterio and pyarrow {w2:.2f} s wall, {c2:.2f} s CPU")
    print(f"load average while measuring: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
