"""A plain install works offline: build the wheel, install it in a fresh virtual environment,
write a self-contained map with it and render that map in headless Chromium with the
network refused. Nothing comes from a checkout, npm or the internet."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, PROBE, recorder, run_probe  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


def _run(args, **kw):
    res = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, **kw)
    assert res.returncode == 0, f"{args}\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    return res


def _build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a copy of the sources (the checkout stays clean), offline."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "airq", src / "airq",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", str(out), str(src)])
    (wheel,) = out.glob("airq_eho-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path, env_vars: dict) -> Path:
    """A new virtual environment with the wheel installed, seeing this one's dependencies."""
    env = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(env)])
    py = env / "bin" / "python"
    # Installed before the dependencies are made visible: pip must not see this
    # environment's airq-eho (it would call the wheel "already installed").
    _run([str(py), "-m", "pip", "install", "--no-index", "--no-deps", "-q", str(wheel)],
         env=env_vars)
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                env=env_vars)
    # A plain path line: the dependencies resolve, but .pth files there (such as the
    # editable install of this checkout) are not run.
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site.stdout.strip()) / "airq-test-deps.pth").write_text("\n".join(deps) + "\n")
    return env


def test_wheel_ships_assets_and_renders_offline(tmp_path, recorder):  # noqa: F811
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    manifest = json.loads((ROOT / "airq" / "static" / "assets.json").read_text("utf-8"))
    for pkg in manifest["packages"]:
        for rel in pkg["sha256"]:
            assert f"airq/static/{pkg['name']}/{rel}" in names
    assert "airq/static/assets.json" in names and "airq/data/objectives.toml" in names
    assert not [n for n in names if "node_modules" in n or n.endswith("package.json")]

    work = tmp_path / "work"
    work.mkdir()
    env = tmp_path / "venv"
    py, airq = env / "bin" / "python", env / "bin" / "airq"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean |= {"AIRQ_HOME": str(tmp_path / "home"),
              "PATH": str(env / "bin")}
    assert shutil.which("npm", path=clean["PATH"]) is None  # no Node.js on the path
    _fresh_venv(tmp_path, wheel, clean)
    where = _run([str(py), "-c", "import airq; print(airq.__file__)"], cwd=work, env=clean)
    assert where.stdout.startswith(str(env)), where.stdout

    _run([str(airq), "demo"], cwd=work, env=clean)
    res = _run([str(airq), "map", "boundaries/demo/residential_plots.gpkg", "--where",
                "street=Woodlands Avenue", "--self-contained", "-o", "map.html"],
               cwd=work, env=clean)
    assert "Wrote map.html" in res.stderr
    page = (work / "map.html").read_text("utf-8")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    assert "/* airq/static/leaflet/dist/leaflet.js: leaflet 1.9.3, BSD-2-Clause */" in page

    seen, _chromium = run_probe(page, PROBE, tmp_path, recorder.server_address[1])
    assert seen["leaflet"] == "1.9.3" and seen["containers"] == 1, seen
    assert seen["exceptions"] == [] and seen["errors"] == []
    assert seen["layer_control"] == 1 and seen["fullscreen"] == 1 and seen["measure"] == 1
    assert seen["orange"] == 54 and "SYNTHETIC DEMO DATA" in seen["title"]
    assert seen["visible"] == {"legend": True, "layers": True, "title": True, "scale": True}
    # every script and style came from the page; the refused network got no .js or .css
    assert not any(r.endswith((".js", ".css")) for r in recorder.requests), recorder.requests


def test_wheel_draws_unseen_landfill_and_historic_sheet_offline(tmp_path, recorder):  # noqa: F811
    """Issue 12's Shows, from a pip install: on unseen boundaries, a landfill polygon and
    a historic GeoTIFF sheet, the installed `airq map ... --layer LANDFILL --historic-map
    SHEET.tif:1896 --self-contained` writes a page with the landfill's true vertices, and
    Chromium renders it offline with the image overlay."""
    from tests import mapdata
    from tests.test_browser_sheets import ARGS
    from tests.test_browser_sheets import PROBE as SHEET_PROBE
    from tests.test_map_shapes import assert_landfill_vertices

    wheel = _build_wheel(tmp_path)
    env = tmp_path / "venv"
    airq = env / "bin" / "airq"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean |= {"AIRQ_HOME": str(tmp_path / "home"), "PATH": str(env / "bin")}
    _fresh_venv(tmp_path, wheel, clean)
    work = tmp_path / "work"
    work.mkdir()
    mapdata.write_plots(work / "plots.gpkg", crs="EPSG:4326")
    mapdata.write_grid(work)
    mapdata.write_landfill(work / "landfill.gpkg")
    mapdata.write_sheet_tif(work / "sheet.tif", mode="rgb")
    res = _run([str(airq), "map", *ARGS, "-o", "map.html"], cwd=work, env=clean)
    assert "Wrote map.html" in res.stderr
    page = (work / "map.html").read_text("utf-8")
    assert_landfill_vertices(page)
    seen, _chromium = run_probe(page, SHEET_PROBE, tmp_path, recorder.server_address[1],
                                "1200,900")
    assert seen["exceptions"] == [] and seen["errors"] == []
    assert seen["overlay_loaded"] and seen["overlay"] is not None
    assert any(label.startswith("Historic map 1896") for label in seen["layers"])
    assert not any(r.endswith((".js", ".css")) for r in recorder.requests), recorder.requests

