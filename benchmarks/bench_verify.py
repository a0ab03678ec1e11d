"""Time ``airq verify`` on batch tables of realistic size, against the batch run it repeats.

Not a test. Uses the data of ``bench_batch.py`` (12 London-sized grids, parcels along
streets), runs ``airq batch`` once per size and table shape, then ``airq verify`` on the
output, each in its own process; prints wall time and peak RSS of both.

    python benchmarks/bench_verify.py                        # 10,000 and 100,000 parcels
    python benchmarks/bench_verify.py --sizes 1500000 --data /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import prepare  # noqa: E402


def _run(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit status of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="Parcel counts [10000,100000].")
    ap.add_argument("--grids", type=int, default=12, help="Number of grids [12].")
    ap.add_argument("--data", default=None, help="Folder for the generated data (kept).")
    ap.add_argument("--per-boundary", action="store_true",
                    help="Also time one row per parcel (--per-boundary).")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.data or tempfile.mkdtemp(prefix="airq-bench-verify-"))
    data = prepare(folder, sizes, args.grids, with_lsoa=False)
    grid_args = [a for spec, path in data["grids"] for a in ("--grid", f"{spec}={path}")]
    shapes = [("groups", [])] + ([("parcels", ["--per-boundary"])] if args.per_boundary
                                 else [])
    print(f"{'parcels':>9} {'rows':>8}  {'batch s':>8} {'MB':>6}  {'verify s':>8} {'MB':>6}  "
          "verdict")
    for n in sizes:
        parcels = data["sets"][f"parcels-{n}"]["path"]
        for label, extra in shapes:
            out = folder / f"verify_{n}_{label}.csv"
            for f in (out, out.with_name(f"{out.stem}.provenance.json")):
                f.unlink(missing_ok=True)
            b_s, b_mb, b_rc = _run(["airq", "batch", parcels, "--group-by", "street",
                                    *grid_args, *extra, "-o", str(out)], folder)
            if b_rc not in (0, 3):
                print(f"{n:>9} batch failed (exit {b_rc})")
                continue
            v_s, v_mb, v_rc = _run(["airq", "verify", str(out)], folder)
            rows = sum(1 for _ in out.open()) - 1
            verdict = "verified" if v_rc == 0 else f"exit {v_rc}"
            print(f"{n:>9} {rows:>8}  {b_s:>8.1f} {b_mb:>6.0f}  {v_s:>8.1f} {v_mb:>6.0f}  "
                  f"{verdict} ({label})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
