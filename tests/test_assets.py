"""The map assets ship inside the package, pinned, with their licences; no npm involved."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_shipped_asset_is_pinned_and_licensed():
    from airq.render.assets import check_assets, manifest, static_root

    root = check_assets()  # every file present with the SHA-256 the manifest pins
    m = manifest()
    for pkg in m["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"])
        assert pkg["integrity"].startswith("sha512-")
        assert sorted(pkg["sha256"]) == sorted([*pkg["files"], pkg["licence_file"]])
        licence = root.joinpath(pkg["name"], pkg["licence_file"]).read_text("utf-8")
        assert "Permission" in licence or "Redistribution" in licence
    shipped = {f"{p['name']}/{f}" for p in m["packages"] for f in p["files"]}
    assert {e["file"] for e in m["inline"]} <= shipped
    assert Path(str(static_root())).parent.name == "airq"


def test_folium_urls_all_have_a_shipped_copy():
    """Every CDN address this map's folium writes maps to one shipped file."""
    import folium
    from folium import plugins

    from airq.render.assets import manifest

    m = manifest()
    urls = [u for _n, u in folium.Map.default_js + folium.Map.default_css
            if _n in ("leaflet", "jquery", "leaflet_css")]
    urls += [u for _n, u in plugins.Fullscreen.default_js + plugins.Fullscreen.default_css]
    urls += [u for _n, u in plugins.MeasureControl.default_js
             + plugins.MeasureControl.default_css]
    for url in urls:
        hits = [e["file"] for e in m["inline"] if re.search(e["url"], url)]
        assert len(hits) == 1, (url, hits)


def test_refresh_script_checks_the_shipped_files():
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "refresh_map_assets.py"),
                          "--check"], capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr


def test_nothing_needs_npm():
    assert not (ROOT / "package.json").exists() and not (ROOT / "package-lock.json").exists()
    readme = (ROOT / "README.md").read_text("utf-8")
    test_command = readme.split("<!-- test-command -->", 1)[1].split("```")[1]
    assert "npm" not in test_command and "node" not in test_command
    shared = "/".join(["..", "shared"])  # spelled so that this file does not match itself
    for path in [*ROOT.glob("airq/**/*.py"), *ROOT.glob("tests/*.py"), ROOT / ".ci" / "run",
                 *ROOT.glob("docs/*.md"), ROOT / "README.md",
                 *(ROOT / d / "README.md" for d in ("grids", "boundaries", "maps"))]:
        text = path.read_text("utf-8")
        if path.suffix != ".md" and path.name not in ("test_assets.py", "test_wheel.py"):
            assert "node_modules" not in text, path
        assert shared not in text and "/work/" + "shared" not in text, path
