"""What README.md and docs/ promise, checked (issue 16): numbers the pages state, the
progress display, parallel runs through the CLI, and the MapTiler key kept out of outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
STREET = "street=Woodlands Avenue"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo data in a folder of its own, and the environment that uses its catalogue."""
    root = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "AIRQ_HOME": str(root / "home"), "HOME": str(root)}
    env.pop("MAPTILER_KEY", None)
    subprocess.run([sys.executable, "-m", "airq", "demo", "--dir", str(root)], env=env,
                   check=True, capture_output=True)
    return root, env


def _airq(env, *args, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "airq", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, **kw)


@pytest.mark.slow
def test_report_page_counts_are_the_ones_docs_maps_states(demo, tmp_path):
    from pypdf import PdfReader

    root, env = demo
    text = (ROOT / "docs" / "maps.md").read_text(encoding="utf-8")
    m = re.search(r"The report \((\d+) A4 pages for the demo street, (\d+) with "
                  r"`--per-boundary`\)", text.replace("\n", " "))
    assert m, "docs/maps.md no longer states the report's page counts"
    plots = root / "boundaries" / "demo" / "residential_plots.gpkg"
    counts = []
    for extra in ((), ("--per-boundary",)):
        out = tmp_path / f"r{len(extra)}.pdf"
        res = _airq(env, "report", plots, "--where", STREET, *extra, "-o", out)
        assert res.returncode == 0, res.stderr
        counts.append(len(PdfReader(out).pages))
    assert counts == [int(m.group(1)), int(m.group(2))]


def test_batch_workers_through_the_cli_give_the_same_table(demo, tmp_path):
    pytest.importorskip("distributed")
    root, env = demo
    plots = root / "boundaries" / "demo" / "residential_plots.gpkg"
    serial, parallel = tmp_path / "serial.csv", tmp_path / "parallel.csv"
    base = ["batch", plots, "--group-by", "street", "--per-boundary", "--year", "2020"]
    a = _airq(env, *base, "-o", serial)
    b = _airq(env, *base, "--workers", "2", "-o", parallel)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    keys = ["group", "airq_id", "pollutant", "year"]

    def rows(path):
        return pd.read_csv(path).sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(serial), rows(parallel))
    assert "INFO" not in b.stderr  # Dask's own log lines only with -v
    bad = _airq(env, *base, "--dask", "tcp://127.0.0.1:1", "-o", tmp_path / "x.csv")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("Error:")


def _in_a_terminal(argv, env, cwd) -> str:
    """Run ``argv`` with a pseudo-terminal as standard error; return what it showed."""
    import pty

    parent, child = pty.openpty()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(parent, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(parent)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_batch_progress_shows_on_a_terminal_and_not_when_piped(demo, tmp_path):
    root, env = demo
    plots = root / "boundaries" / "demo" / "residential_plots.gpkg"
    code = ("import sys; import airq.cli.batch as b; b._Progress.DELAY_S = 0; "
            "from airq.cli import cli; cli(sys.argv[1:], prog_name='airq')")
    args = ["batch", str(plots), "--group-by", "street", "-o", str(tmp_path / "t.csv")]
    shown = _in_a_terminal([sys.executable, "-c", code, *args], env, tmp_path)
    assert "airq batch" in shown or "%" in shown, shown  # rich's bar: label and percentage
    piped = subprocess.run([sys.executable, "-c", code, *args[:-1], str(tmp_path / "p.csv")],
                           env=env, capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stderr and "%" not in piped.stderr


@pytest.mark.slow
def test_maptiler_key_only_in_the_map_and_said_there(demo, tmp_path):
    """docs/settings.md: the key is written only into map pages (tile URLs need it), and
    airq says so; no other output records it."""
    from pypdf import PdfReader

    root, env = demo
    key = "SECRETKEY1234567890"
    env = {**env, "MAPTILER_KEY": key}
    plots = root / "boundaries" / "demo" / "residential_plots.gpkg"
    out = {s: tmp_path / f"w.{s}" for s in ("json", "html", "pdf", "png", "svg")}
    report_html = tmp_path / "report.html"
    res = _airq(env, "query", plots, "--where", STREET, "-f", "json", "-o", out["json"],
                "--map", out["html"], "--report", out["pdf"], "--png", out["png"],
                "--svg", out["svg"])
    assert res.returncode == 0, res.stderr
    assert key in out["html"].read_text(encoding="utf-8")
    assert "MapTiler key" in res.stderr and f"written into {out['html']}" in res.stderr
    assert key not in res.stderr + res.stdout
    for s in ("json", "png", "svg"):
        assert key.encode() not in out[s].read_bytes(), s
    pdf = PdfReader(out["pdf"])
    text = "".join(page.extract_text() for page in pdf.pages)
    attached = b"".join(b"".join(v) for v in pdf.attachments.values())
    assert key not in text and key.encode() not in attached
    res = _airq(env, "report", plots, "--where", STREET, "-o", report_html)
    assert res.returncode == 0 and key not in report_html.read_text(encoding="utf-8")
    text_out = _airq(env, "query", plots, "--where", STREET)
    assert text_out.returncode == 0 and key not in text_out.stdout + text_out.stderr
    batch = tmp_path / "streets.csv"
    res = _airq(env, "batch", plots, "--group-by", "street", "-o", batch)
    assert res.returncode == 0, res.stderr
    assert key not in batch.read_text() + Path(f"{batch}.provenance.json").read_text()
    assert json.loads(out["json"].read_text())["provenance"]["settings"].get("maptiler_key") \
        is None


@pytest.mark.parametrize("method", ["auto", "exact"])
def test_rates_page_published_table_is_what_airq_gives(method):
    """docs/rates.md quotes the worked case's published table and says airq reproduces
    every crude rate and interval in it to one decimal, with Byar's limits (auto) and with
    exact ones."""
    from airq.analyse.rates import area_totals, rate_table

    text = (ROOT / "docs" / "rates.md").read_text(encoding="utf-8")
    table = text.split("The published table:", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| ([^|]+?) \| ([\d,]+) \| ([\d,]+) \| ([\d.]+) \(([\d.]+), ([\d.]+)\) \|",
                      table, re.M)
    assert len(rows) == 3, "docs/rates.md no longer shows the published table"
    areas = [area_totals(name, int(c.replace(",", "")), float(py.replace(",", "")))
             for name, c, py, *_ in rows]
    for r, row in zip(rate_table(areas, method=method), rows, strict=True):
        shown = [float(v) for v in row[3:]]
        assert [round(v, 1) for v in (r.crude_rate, r.crude_lower, r.crude_upper)] == shown
