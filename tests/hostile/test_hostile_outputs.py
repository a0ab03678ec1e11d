"""Issue 11.1: outputs never destroy inputs or each other; refusals come before any work."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from airq.cli import cli
from tests.hostile.conftest import make_world, one_error_line, query_args


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --- an output that is an input --------------------------------------------------------

@pytest.mark.parametrize("command", ["query", "map", "report", "batch", "screen"])
def test_output_over_an_input_is_refused_even_with_overwrite(runner, world, command):
    grid, plots, _out = world
    # map and report outputs must end in .html/.pdf: their input is a settings file so named
    config = plots.parent / {"map": "settings.html", "report": "settings.pdf"}.get(
        command, "settings.toml")
    config.write_text('method = "centre"\n')
    target, role = (config, "settings file") if command in ("map", "report") else \
        (plots, "boundaries")
    before = _sha(target)
    args = {"query": query_args(grid, plots),
            "map": ["map", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
            "report": ["report", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
            "batch": ["batch", str(plots), "--group-by", "street", "--grid",
                      f"no2:2020={grid}"],
            "screen": ["screen", str(plots)]}[command]
    if command != "screen":
        args += ["--config", str(config)]
    res = runner.invoke(cli, [*args, "-o", str(target), "--overwrite"])
    assert res.exit_code == 2, res.stderr
    line = one_error_line(res)
    assert "-o/--output" in line and f"is an input of this command ({role})" in line
    assert _sha(target) == before


def test_hard_link_and_symlink_to_an_input_are_the_input(runner, world):
    grid, plots, out = world
    os.link(plots, out / "hard.gpkg")
    (out / "sym.gpkg").symlink_to(plots)
    before = _sha(plots)
    for name in ("hard.gpkg", "sym.gpkg"):
        res = runner.invoke(cli, query_args(grid, plots, "-o", str(out / name), "--overwrite"))
        assert res.exit_code == 2 and "is an input of this command" in res.stderr, res.stderr
    assert _sha(plots) == before


def test_grid_settings_and_sidecar_files_are_inputs_too(runner, world, tmp_path):
    grid, plots, out = world
    (grid.parent / "PostLAEI2013_2020_NO2.prj").write_text("")  # a grid's sidecar
    config = tmp_path / "settings.toml"
    config.write_text('method = "centre"\n')
    for target, role in ((grid, "--grid"), (grid.with_suffix(".prj"), "--grid"),
                         (config, "settings file")):
        res = runner.invoke(cli, query_args(grid, plots, "--config", str(config), "-o",
                                            str(target), "--overwrite"))
        assert res.exit_code == 2, res.stderr
        assert f"is an input of this command ({role})" in one_error_line(res)
    # a shapefile's .dbf is part of the boundaries
    import geopandas as gpd

    shp = out / "plots.shp"
    gpd.read_file(plots).to_file(shp)
    res = runner.invoke(cli, query_args(grid, shp, "-o", str(out / "plots.dbf"),
                                        "--overwrite"))
    assert res.exit_code == 2 and "(boundaries)" in res.stderr, res.stderr


def test_rates_output_over_its_table_is_refused(runner, tmp_path):
    table = tmp_path / "rates.csv"
    table.write_text("area,cases,person_years\nA,10,1000\nB,20,1500\n")
    res = runner.invoke(cli, ["rates", str(table), "-o", str(table), "--overwrite"])
    assert res.exit_code == 2 and "(rates table)" in one_error_line(res)
    assert table.read_text().startswith("area,cases")


def test_case_outputs_over_the_register_are_refused(runner, tmp_path):
    # `case show -o register.sqlite --overwrite` replaced the whole register with one
    # case's text; a symlink named .html did the same for `case report`
    db = tmp_path / "register.sqlite"
    url = f"sqlite:///{db}"
    res = runner.invoke(cli, ["case", "--database", url, "open", "--reporter", "A",
                              "--received", "2020-01-02", "--concern", "c", "--by", "X"])
    assert res.exit_code == 0, res.stderr
    ref, before = res.stdout.strip(), _sha(db)
    (tmp_path / "summary.html").symlink_to(db)
    for args in (["show", ref, "-o", str(db)], ["show", ref, "-o", str(db), "-f", "json"],
                 ["report", ref, "-o", str(tmp_path / "summary.html")]):
        res = runner.invoke(cli, ["case", "--database", str(db), *args, "--overwrite"])
        assert res.exit_code == 2 and "(the case register)" in one_error_line(res), args
    assert _sha(db) == before


def test_outputs_inside_the_catalogue_are_refused(runner, world, airq_home):
    grid, plots, _out = world
    (airq_home / "grids").mkdir(parents=True)
    res = runner.invoke(cli, query_args(grid, plots, "-o", str(airq_home / "grids" /
                                                               "index.json")))
    assert res.exit_code == 2 and "inside the airq data folder" in one_error_line(res)


# --- two outputs at one path ---------------------------------------------------------------

def test_two_outputs_of_one_command_at_one_path(runner, world):
    grid, plots, out = world
    same = str(out / "same.html")
    res = runner.invoke(cli, query_args(grid, plots, "-o", same, "--map", same))
    assert res.exit_code == 2
    assert "--map" in one_error_line(res) and "also given to -o/--output" in res.stderr
    res = runner.invoke(cli, ["map", str(plots), "--grid", f"no2:2020={grid}", "--no-layers",
                              "-o", same, "--report", same])
    assert res.exit_code == 2 and "also given to -o/--output" in res.stderr
    assert list(out.iterdir()) == []


def test_batch_outputs_at_one_path(runner, world):
    grid, plots, out = world
    base = ["batch", str(plots), "--group-by", "street", "--grid", f"no2:2020={grid}", "-o",
            str(out / "b.csv")]
    for extra, option in ((["--map", str(out / "b.csv")], "--map"),
                          (["--errors", str(out / "b.csv")], "--errors"),
                          (["--errors", str(out / "b.csv.provenance.json")], "--errors")):
        res = runner.invoke(cli, [*base, *extra])
        assert res.exit_code == 2, res.stderr
        assert option in one_error_line(res) and "also given to" in res.stderr
    assert list(out.iterdir()) == []


def test_sidecars_are_named_per_output_file(runner, world):
    grid, plots, out = world
    for name in ("results.csv", "results.gpkg"):
        res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                                  f"no2:2020={grid}", "-o", str(out / name)],
                            catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "results.csv", "results.csv.provenance.json", "results.gpkg",
        "results.gpkg.provenance.json"]
    for name in ("results.csv", "results.gpkg"):
        side = json.loads((out / f"{name}.provenance.json").read_text())
        assert side["output"]["file"] == name and side["output"]["sha256"] == _sha(out / name)


# --- not a regular file ----------------------------------------------------------------------

def test_devices_fifos_and_folders_are_never_written(runner, world):
    grid, plots, out = world
    fifo = out / "pipe.html"
    os.mkfifo(fifo)
    for option, target, kind in (("-o", "/dev/null", "character device"),
                                 ("--map", str(fifo), "named pipe (FIFO)"),
                                 ("-o", str(fifo), "named pipe (FIFO)")):
        res = runner.invoke(cli, query_args(grid, plots, option, target, "--overwrite"))
        assert res.exit_code == 2, res.stderr
        assert f"is a {kind}, not a regular file" in one_error_line(res)
    res = runner.invoke(cli, query_args(grid, plots, "-o", str(out), "--overwrite"))
    assert res.exit_code == 2 and "is a directory" in one_error_line(res)  # click's own check
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    res = runner.invoke(cli, query_args(grid, plots, "-o", "/dev/null", "--overwrite"))
    assert "use -o - for standard output" in res.stderr


def test_library_writes_refuse_devices_too(tmp_path):
    from airq.errors import OutputError
    from airq.outputs import write_text

    with pytest.raises(OutputError, match="is a character device"):
        write_text("/dev/null", "x", overwrite=True)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- -o - is standard output -------------------------------------------------------------

def test_dash_is_standard_output_for_every_command_with_o(runner, world, tmp_path):
    grid, plots, out = world
    cases = {
        "query": (query_args(grid, plots, "-f", "json"), lambda s: json.loads(s)["results"]),
        "screen": (["screen", str(plots), "--layer", str(plots)],
                   lambda s: "Land-use history" in s),
        "rates": (["rates", "--cases", "5", "--person-years", "1000"], lambda s: "5" in s),
        "map": (["map", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
                lambda s: s.lstrip().startswith("<!DOCTYPE html>") and "L.map(" in s),
        "report": (["report", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
                   lambda s: "<h1>Land contamination and air quality" in s),
        "batch": (["batch", str(plots), "--group-by", "street", "--grid", f"no2:2020={grid}"],
                  lambda s: s.startswith('"group","pollutant"') or s.startswith('"notice"')),
    }
    for command, (args, ok) in cases.items():
        res = runner.invoke(cli, [*args, "-o", "-"], catch_exceptions=False)
        assert res.exit_code == 0, (command, res.stderr)
        assert ok(res.stdout), (command, res.stdout[:300])
        assert "Wrote -" not in res.stderr
    assert list(out.iterdir()) == [] and not Path("-").exists()
    # batch: the provenance record goes to standard error
    res = runner.invoke(cli, [*cases["batch"][0], "-o", "-"])
    assert "Provenance of the rows on standard output" in res.stderr
    assert len(pd.read_csv(__import__("io").StringIO(res.stdout))) == 1


def test_dash_only_for_o(runner, world):
    grid, plots, _out = world
    res = runner.invoke(cli, query_args(grid, plots, "-o", "-", "--map", "-"))
    assert res.exit_code == 2 and "can only take -o/--output" in one_error_line(res)


# --- read-only folder, unwritable $AIRQ_HOME, full disk ------------------------------------

@pytest.mark.parametrize("command", ["query", "map", "report", "batch"])
def test_read_only_folder_fails_before_the_run(runner, world, readonly_dir, command):
    grid, plots, _out = world
    target = str(readonly_dir / {"query": "q.txt", "map": "m.html", "report": "r.pdf",
                                 "batch": "b.csv"}[command])
    args = {"query": query_args(grid, plots),
            "map": ["map", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
            "report": ["report", str(plots), "--grid", f"no2:2020={grid}", "--no-layers"],
            "batch": ["batch", str(plots), "--group-by", "street", "--grid",
                      f"no2:2020={grid}"]}[command]
    res = runner.invoke(cli, [*args, "-o", target])
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "does not take new files" in line and target in line
    assert "Warning" not in res.stderr  # refused before the grids were read
    assert list(readonly_dir.iterdir()) == []


def test_unwritable_airq_home_is_one_line(runner, world, readonly_dir, monkeypatch):
    grid, _plots, _out = world
    monkeypatch.setenv("AIRQ_HOME", str(readonly_dir))
    res = runner.invoke(cli, ["grids", "add", str(grid)])
    assert res.exit_code == 1
    line = one_error_line(res)
    assert "AIRQ_HOME" in line and str(readonly_dir) in line


def test_full_disk_leaves_nothing(runner, world, full_dir):
    """A real small disk: each writer fails with one line and leaves no file behind."""
    grid, _plots, _out = world
    # enough plots that every output is bigger than the disk
    ids = [f"P-{i:04d}" for i in range(900)]
    _g, plots = make_world(full_dir.parent / "big", ids=ids,
                           streets=[f"Street {i % 30}" for i in range(900)])
    cases = [
        ["batch", str(plots), "--group-by", "street", "--per-boundary", "--grid",
         f"no2:2020={grid}", "-o", str(full_dir / "b.gpkg")],
        ["batch", str(plots), "--group-by", "street", "--per-boundary", "--grid",
         f"no2:2020={grid}", "-o", str(full_dir / "b.csv"), "--overwrite"],
        ["map", str(plots), "--grid", f"no2:2020={grid}", "--no-layers", "--self-contained",
         "-o", str(full_dir / "m.html")],
    ]
    for args in cases:
        res = runner.invoke(cli, args)
        assert res.exit_code == 1, res.stderr
        line = one_error_line(res)
        assert ("No space left on device" in line or "the disk is full" in line), line
        assert "nothing was written" in line
        assert list(full_dir.iterdir()) == [], list(full_dir.iterdir())


def test_disk_full_injected_mid_write(runner, world, monkeypatch):
    """ENOSPC from the write itself (any platform): one line, no temporary file."""
    grid, plots, out = world
    real = Path.write_text

    def full(self, data, *a, **k):
        real(self, data[: len(data) // 2], *a, **k)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", full)
    res = runner.invoke(cli, query_args(grid, plots, "-o", str(out / "q.txt")))
    assert res.exit_code == 1
    assert "No space left on device; nothing was written" in one_error_line(res)
    assert list(out.iterdir()) == []


# --- signals -------------------------------------------------------------------------------

def _start_blocked_batch(tmp_path, suffix):
    """A real `airq batch` that writes one grid's rows, then blocks on a FIFO grid."""
    grid, plots = make_world(tmp_path / "in", ids=[f"P-{i}" for i in range(6)])
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    fifo = fifo_dir / "PostLAEI2013_2013_PM25.asc"
    os.mkfifo(fifo)
    out = tmp_path / "out" / f"plots{suffix}"
    out.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "airq", "batch", str(plots), "--group-by",
                             "street", "--per-boundary", "-o", str(out), "--grid",
                             f"no2:2020={grid}", "--grid", f"pm25:2013={fifo}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    parts = []
    while time.monotonic() < deadline and proc.poll() is None:
        parts = [p for p in out.parent.iterdir() if ".part" in p.name]
        if parts and parts[0].stat().st_size > 0:
            break
        time.sleep(0.05)
    return proc, out, parts


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("suffix", [".csv", ".gpkg"])
def test_sigterm_and_sigint_remove_partial_outputs(tmp_path, signum, suffix):
    proc, out, parts = _start_blocked_batch(tmp_path, suffix)
    try:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert parts and parts[0].stat().st_size > 0, "the run never started writing rows"
        proc.send_signal(signum)
        proc.wait(timeout=30)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signum, err  # ends by the signal, as a shell expects
    assert f"interrupted ({signal.Signals(signum).name}); unfinished outputs were removed" \
        in err and "Traceback" not in err
    assert list(out.parent.iterdir()) == []  # no output, no .part file, no journal


def test_a_killed_runs_gpkg_journal_is_removed_next_time(tmp_path):
    from airq.outputs import remove_stale_parts

    final = tmp_path / "plots.gpkg"
    dead = 2 ** 22 + 12345  # beyond pid_max: no such process
    part = tmp_path / f".plots.gpkg.{dead}.abc123.part.gpkg"
    part.write_bytes(b"x")
    journal = tmp_path / f"{part.name}-journal"
    journal.write_bytes(b"j")
    removed = remove_stale_parts(final)
    assert sorted(p.name for p in removed) == sorted([part.name, journal.name])
    assert list(tmp_path.iterdir()) == []
