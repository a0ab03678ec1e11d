"""Time airq's strict ESRI ASCII parser on a grid of the LAEI 2019's size, against GDAL.

Not a test. ``python benchmarks/bench_ascii.py [--repeat 3] [--data DIR]`` writes a
3026 x 2555 grid of 20 m cells (the LAEI 2019 London grid, about 70 MB of text, values
with five decimals and a few NODATA cells) and times:

* ``airq``: :func:`airq.read.esri_ascii.parse_esri_ascii` on the file's bytes (header
  checked key by key, every row's count and every token checked, float64 values);
* ``airq read_grid``: the whole reader (file read, parse, window = whole grid);
* ``gdal``: rasterio's AAIGrid driver reading band 1 (no such checks; for reference).

See benchmarks/README.md for the numbers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

NCOLS, NROWS = 3026, 2555
XLL, YLL, CELL = 501470.0, 152350.0, 20.0


def write_grid(path: Path) -> Path:
    """Write the London-sized grid once (about 70 MB)."""
    rng = np.random.default_rng(1)
    v = (20 + 30 * rng.random((NROWS, NCOLS))).round(5)
    v[rng.random(v.shape) < 0.01] = -9999
    head = (f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner {XLL}\nyllcorner {YLL}\n"
            f"cellsize {CELL}\nNODATA_value -9999\n")
    with open(path, "w") as fh:
        fh.write(head)
        for row in v:
            fh.write(" ".join(f"{x:g}" for x in row) + "\n")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=None, help="Folder for the generated grid (kept).")
    args = ap.parse_args(argv)
    folder = Path(args.data or tempfile.mkdtemp(prefix="airq-bench-ascii-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "laei_LAEI2019v3_CorNOx15_NO2.asc"
    if not path.exists():
        write_grid(path)
    print(f"# {path} ({path.stat().st_size / 1e6:.1f} MB, {NCOLS} x {NROWS} cells)")
    import rasterio

    from airq.read.esri_ascii import parse_esri_ascii
    from airq.read.grids import read_grid

    raw = path.read_bytes()
    for name, fn in [
        ("airq parse_esri_ascii", lambda: parse_esri_ascii(raw, path.name)),
        ("airq read_grid", lambda: read_grid(path)),
        ("gdal (rasterio AAIGrid)", lambda: rasterio.open(path).read(1)),
    ]:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn()
            times.append(time.perf_counter() - t0)
        print(f"{name:<26} best {min(times):6.2f} s, all {', '.join(f'{t:.2f}' for t in times)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
