"""Make the pictures in docs/maps.md from the SYNTHETIC demo data.

Runs, in a temporary folder with its own $AIRQ_HOME, ``airq demo`` and then the
commands docs/maps.md shows, and writes under docs/img/:

- ``map.png``: the self-contained interactive map in headless Chromium, offline;
- ``figure.png``: the static figure (one panel per pollutant and the land use);
- ``report-land-use.png`` and ``report-historic-map.png``: report pages (pdftoppm).

Every picture comes from the synthetic demo, and each says SYNTHETIC DEMO DATA.
Needs /usr/bin/chromium and poppler-utils. Usage: ``python tools/docs_images.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
WHERE = ["boundaries/demo/residential_plots.gpkg", "--where", "street=Woodlands Avenue"]


def run(args, cwd, env):
    """Run ``airq`` (from this checkout) with ``args``; stop on failure."""
    cmd = [sys.executable, "-m", "airq", *args]
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr}")
    return res


def page_with(pdf: Path, text: str) -> int:
    """Return the number of the first PDF page holding ``text``."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    return next(i for i, p in enumerate(pages, start=1) if text in p)


def pdf_page_png(pdf: Path, page: int, out: Path, dpi: int = 70) -> None:
    """Render one PDF page to PNG with pdftoppm."""
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(pdf), str(stem)], check=True)


def main() -> None:
    """Make every picture of docs/maps.md under docs/img/."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="airq-docs-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, AIRQ_HOME=str(work / "home"),
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        run(["demo"], work, env)
        run(["map", *WHERE, "--self-contained", "-o", "woodlands.html", "--png",
             "woodlands.png"], work, env)
        run(["report", *WHERE, "--query-text", "Several neighbours have had cancer. Is the land "
             "or the air the cause?", "-o", "woodlands.pdf"], work, env)
        shot = OUT / "map.png"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--proxy-server=http://127.0.0.1:9",
                        "--virtual-time-budget=6000", "--window-size=1100,760",
                        f"--screenshot={shot}", (work / "woodlands.html").as_uri()],
                       capture_output=True, check=True, timeout=120)
        shutil.copy(work / "woodlands.png", OUT / "figure.png")
        pdf = work / "woodlands.pdf"
        pdf_page_png(pdf, page_with(pdf, "3. Land contamination"), OUT / "report-land-use.png")
        pdf_page_png(pdf, page_with(pdf, "Historic map 1896"), OUT / "report-historic-map.png")
    for p in sorted(OUT.glob("*.png")):
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
