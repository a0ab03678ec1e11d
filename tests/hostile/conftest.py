"""A small unseen world for hostile runs: one LAEI-layout grid, a street of plots, and
folders that refuse writes (a read-only mount, a full tmpfs) where the system allows."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests.conftest import write_asc
from tests.test_browser import recorder  # noqa: F401  (the no-network proxy, for Chromium)

XLL, YLL = 530000.0, 180000.0


def make_world(folder, ids=None, streets=None, extra=None):
    """Write ``PostLAEI2013_2020_NO2.asc`` (10 x 10 cells of 20 m) and ``plots.gpkg``.

    Plots are 30 m squares side by side along one row; ``ids`` and ``streets`` name
    them (hostile values welcome); ``extra`` adds columns.
    """
    folder.mkdir(parents=True, exist_ok=True)
    values = np.arange(100, dtype=float).reshape(10, 10) / 4 + 20
    grid = write_asc(folder / "PostLAEI2013_2020_NO2.asc", values, XLL, YLL)
    ids = list(ids or ["P-1", "P-2", "P-3"])
    streets = list(streets or ["Test Street"] * len(ids))
    if len(ids) <= 5:
        polys = [shapely.box(XLL + 10 + 32 * i, YLL + 60, XLL + 40 + 32 * i, YLL + 90)
                 for i in range(len(ids))]
    else:  # many small plots on a lattice inside the grid
        side = int(np.ceil(np.sqrt(len(ids))))
        step = 190 / side
        polys = [shapely.box(XLL + 5 + step * (i % side), YLL + 5 + step * (i // side),
                             XLL + 5 + step * (i % side + 0.8),
                             YLL + 5 + step * (i // side + 0.8)) for i in range(len(ids))]
    gdf = gpd.GeoDataFrame({"plot_id": ids, "street": streets, **(extra or {})},
                           geometry=polys, crs="EPSG:27700")
    plots = folder / "plots.gpkg"
    gdf.to_file(plots, engine="pyogrio")
    return grid, plots


@pytest.fixture
def world(tmp_path):
    """(grid, plots, out folder) of an unseen world; outputs go to ``out``."""
    grid, plots = make_world(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    return grid, plots, out


def query_args(grid, plots, *more):
    """``airq query`` on the world's plots and grid, without land-use layers."""
    return ["query", str(plots), "--grid", f"no2:2020={grid}", "--no-layers", *more]


def _mount_tmpfs(target, options):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                         capture_output=True, check=False)
    return res.returncode == 0


@contextlib.contextmanager
def _mounted(target, options):
    target.mkdir()
    if not _mount_tmpfs(target, options):
        pytest.skip("needs root and mount(8) for a tmpfs")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder that refuses new files: chmod 555, or as root a read-only tmpfs mount."""
    target = tmp_path / "readonly"
    if os.geteuid() != 0:
        target.mkdir()
        target.chmod(0o555)
        yield target
        target.chmod(0o755)
        return
    with _mounted(target, "ro,size=64k") as t:
        yield t


@pytest.fixture
def freezable_dir(tmp_path):
    """A folder to fill, then make read-only: (folder, freeze). Root: a tmpfs remounted ro."""
    target = tmp_path / "frozen"
    if os.geteuid() != 0:
        target.mkdir()

        def freeze():
            for p in [target, *target.rglob("*")]:
                if p.is_dir():
                    p.chmod(0o555)

        yield target, freeze
        for p in [target, *target.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        return
    with _mounted(target, "size=4m") as t:
        def freeze():
            subprocess.run(["mount", "-o", "remount,ro", str(t)], check=True,
                           capture_output=True)

        yield t, freeze


@pytest.fixture
def full_dir(tmp_path):
    """A real small disk (tmpfs of 64 kB) that fills up while airq writes."""
    with _mounted(tmp_path / "full", "size=64k") as t:
        yield t


def one_error_line(res):
    """The run's stderr is one ``Error: ...`` line (warnings of a finished run excluded)."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in res.stderr, res.stderr
    return errors[0]
