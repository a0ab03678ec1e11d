"""Architecture rules (STYLE.md): analysis imports no CLI or renderer; help is complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from airq.cli import cli

ANALYSIS = ["airq.read.grids", "airq.read.boundaries", "airq.analyse.zonal",
            "airq.analyse.objectives", "airq.analyse.assess", "airq.results",
            "airq.read.catalogue.grids", "airq.pipeline", "airq.config", "airq.demo",
            "airq.analyse.landuse", "airq.read.layers", "airq.analyse.rates",
            "airq.read.rates_table", "airq.case", "airq.read.recognise",
            "airq.analyse.batch"]
README = Path(__file__).resolve().parents[1] / "README.md"


def test_analysis_modules_import_neither_click_nor_folium():
    code = ("import sys, importlib\n"
            f"for m in {ANALYSIS!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in ('click', 'folium', 'matplotlib', 'weasyprint') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_help_is_fast_to_import():
    code = "import sys, airq.cli; print('geopandas' in sys.modules, 'rasterio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False False"


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path, cmd", list(_commands(cli)), ids=lambda x: " ".join(x)
                         if isinstance(x, tuple) else "")
def test_every_command_has_help_and_is_documented(runner, path, cmd):
    assert cmd.help and len(cmd.help.strip().splitlines()[0]) > 10
    res = runner.invoke(cli, [*path, "-h"])
    assert res.exit_code == 0 and "Usage:" in res.stdout
    docs = README.read_text() + "".join(
        p.read_text() for p in (README.parent / "docs").glob("*.md"))
    assert f"airq {' '.join(path)}" in docs


def test_cli_py_and_python_m_run_the_same_cli():
    root = README.parent
    for argv in ([sys.executable, "cli.py", "--version"], [sys.executable, "-m", "airq",
                                                           "--version"]):
        out = subprocess.run(argv, capture_output=True, text=True, cwd=root, check=True)
        assert out.stdout.startswith("airq, version")
