"""Shared fixtures: a CLI runner, an isolated data directory, small generated grids and zones."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

# Property tests run beside browser and PDF tests on two shared CPUs: time limits per
# example would fail them by the load, not by a bug (an example's own test still bounds
# its size).
settings.register_profile("airq", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("airq")


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(autouse=True)
def airq_home(tmp_path, monkeypatch):
    """Every test gets its own empty data directory; nothing touches the user's."""
    home = tmp_path / "airq-home"
    monkeypatch.setenv("AIRQ_HOME", str(home))
    return home


def write_asc(path, values, xll, yll, cellsize=20.0, nodata=-9999.0):
    """Write an ESRI ASCII grid exactly as the LAEI publishes it (no .prj)."""
    values = np.asarray(values, dtype="float32")
    nrows, ncols = values.shape
    lines = [f"ncols        {ncols}", f"nrows        {nrows}", f"xllcorner    {xll}",
             f"yllcorner    {yll}", f"cellsize     {cellsize}", f"NODATA_value {nodata:g}"]
    for row in values:
        lines.append(" ".join(f"{v:.4f}" if v != nodata else f"{nodata:g}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_points_csv(path, values, xll, yll, cellsize=20.0, columns=("x", "y", "conc"),
                     year=None, nodata=-9999.0):
    """Write LAEI point CSV (cell centres) in the given column layout."""
    values = np.asarray(values, dtype=float)
    nrows, ncols = values.shape
    rows = [",".join(columns)]
    for r in range(nrows):
        for c in range(ncols):
            x = xll + (c + 0.5) * cellsize
            y = yll + (nrows - r - 0.5) * cellsize
            v = values[r, c]
            vals = {"x": f"{x:.1f}", "y": f"{y:.1f}", "year": str(year)}
            out = [vals.get(col, f"{v:.4f}" if v != nodata else f"{nodata:g}") for col in columns]
            rows.append(",".join(out))
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def small_grid(tmp_path):
    """A 4 x 5 LAEI-named grid with known values and one NODATA cell, and its folder."""
    values = np.arange(20, dtype=float).reshape(4, 5) + 10.0
    values[0, 0] = -9999.0
    path = write_asc(tmp_path / "PostLAEI2013_2020_NO2.asc", values, 530000.0, 180000.0)
    return path, values
