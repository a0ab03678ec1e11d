"""Issue 11.4: attribute values are escaped on every page, in CSV cells and on the terminal.

The browser tests open every tooltip and popup of the maps in headless Chromium; a
script in any value sets ``window.__pwned``, which must stay undefined, while the
value shows as text.
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from airq.cli import cli
from tests.hostile.conftest import XLL, YLL, make_world, query_args


def pwn(n: int) -> str:
    """A value that, if it ever runs, records ``n`` in ``window.__pwned``."""
    return f'<img src=x onerror="window.__pwned=(window.__pwned||[]).concat({n})">'


HOSTILE_IDS = [pwn(1), "${window.__pwned=[2]}", "`;window.__pwned=[3];`",
               "</script><script>window.__pwned=[4]</script>", "P-5\\{{ 7*7 }}{% if %}"]
HOSTILE_STREET = pwn(5)
HOSTILE_NAME = pwn(6)
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture
def hostile(tmp_path):
    """A world whose plot ids, street and land-use records are hostile, and a layer file."""
    grid, plots = make_world(tmp_path / "in", ids=HOSTILE_IDS,
                             streets=[HOSTILE_STREET] * len(HOSTILE_IDS))
    layer = tmp_path / "in" / "landfill.gpkg"
    gpd.GeoDataFrame({"name": [pwn(7), "${window.__pwned=[8]}"],
                      "category": [pwn(9), "`;window.__pwned=[10];`"]},
                     geometry=[shapely.box(XLL + 100, YLL + 120, XLL + 160, YLL + 180),
                               shapely.Point(XLL + 20, YLL + 150)],
                     crs="EPSG:27700").to_file(layer, engine="pyogrio")
    return grid, plots, layer, tmp_path


# --- in the page's source ---------------------------------------------------------------------

def _no_raw_payload(page: str):
    """No hostile value appears unescaped anywhere a browser would parse it.

    The embedded result document (a JSON script element, inert data for airq verify)
    holds the values as JSON with ``<`` escaped; it is checked for that and left out.
    """
    for data in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page,
                           re.S):
        assert "<" not in data
    page = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", page, flags=re.S)
    assert "<img src=x onerror" not in page
    assert "${window.__pwned" not in page and "`;window.__pwned" not in page
    assert "<script>window.__pwned" not in page


def test_map_and_report_pages_hold_only_escaped_values(runner, hostile):
    grid, plots, layer, tmp = hostile
    base = [str(plots), "--grid", f"no2:2020={grid}", "--layer", str(layer), "--name",
            HOSTILE_NAME, "--per-boundary"]
    res = runner.invoke(cli, ["map", *base, "-o", str(tmp / "m.html")], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    _no_raw_payload((tmp / "m.html").read_text("utf-8"))
    res = runner.invoke(cli, ["report", *base, "-o", str(tmp / "r.html")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = (tmp / "r.html").read_text("utf-8")
    _no_raw_payload(page)
    assert html.escape(HOSTILE_NAME) in page


#: Jinja syntax: branca compiles rendered scripts again as templates (folium's own GeoJSON
#: data included), where this would run Python while the page is written.
JINJA = "{{ 7*7 }}{{ lipsum.__globals__.os.getcwd() }}{% endraw %}{% raw %}{# x"


def test_template_syntax_in_values_is_text_not_code(runner, tmp_path):
    grid, plots = make_world(tmp_path / "in", ids=[JINJA, "P-2"], streets=[JINJA] * 2)
    out = tmp_path / "m.html"
    res = runner.invoke(cli, ["map", str(plots), "--grid", f"no2:2020={grid}",
                              "--no-layers", "--name", JINJA, "--per-boundary", "-o",
                              str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "",
                  out.read_text("utf-8"), flags=re.S)
    assert "{{" not in page and "{%" not in page and "{#" not in page
    # the value reaches the title and the plot's tooltip data, as text
    shown = html.unescape(page.replace("\\u0026", "&"))
    assert shown.count(JINJA) >= 2
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(tmp_path / "b.csv"), "--map",
                              str(tmp_path / "b.html")], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert "{{" not in (tmp_path / "b.html").read_text("utf-8")


def test_batch_map_holds_only_escaped_values(runner, hostile):
    grid, plots, _layer, tmp = hostile
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(tmp / "b.csv"), "--map",
                              str(tmp / "b.html")], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    _no_raw_payload((tmp / "b.html").read_text("utf-8"))


def test_pdf_report_shows_the_values_as_text(runner, hostile):
    grid, plots, layer, tmp = hostile
    res = runner.invoke(cli, ["report", str(plots), "--grid", f"no2:2020={grid}", "--layer",
                              str(layer), "--name", HOSTILE_NAME, "-o", str(tmp / "r.pdf")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "<img src=x onerror=" in text  # printed, not interpreted


def test_dollar_signs_in_names_are_text_in_figures(runner, hostile):
    grid, plots, _layer, tmp = hostile
    res = runner.invoke(cli, query_args(grid, plots, "--name", r"Price $\frac$ and $5 to $6",
                                        "--svg", str(tmp / "f.svg"), "-o", str(tmp / "q.txt")))
    assert res.exit_code == 0, res.stderr  # matplotlib's mathtext would fail on $\frac$
    assert r"Price $\frac$ and $5 to $6" in html.unescape((tmp / "f.svg").read_text())


# --- CSV cells --------------------------------------------------------------------------------

def _read(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_text_cells_never_run_as_formulas(runner, tmp_path):
    from airq.render.escape import csv_cell

    grid, plots = make_world(tmp_path / "in", ids=FORMULAS, streets=FORMULAS)
    # query -f csv: the area name and boundary ids
    res = runner.invoke(cli, query_args(grid, plots, "--name", "=cmd|' /C calc'!A0",
                                        "--per-boundary", "-f", "csv"),
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    rows = _read(res.stdout)
    assert {r["area"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    ids = {r["boundary_id"] for r in rows if r["level"] == "boundary"}
    assert ids == {csv_cell(v) for v in FORMULAS} and all(i.startswith("'") for i in ids)
    margins = [float(r["margin"]) for r in rows if r["level"] == "area"]
    assert margins and all(m < 0 for m in margins)  # a negative number stays a number
    assert all(not r["margin"].startswith("'") for r in rows)

    # batch CSV: group names (streamed Arrow writer), and its errors file
    out = tmp_path / "b.csv"
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    table = pd.read_csv(out, keep_default_na=False)
    assert set(table["group"]) == {csv_cell(v) for v in FORMULAS}
    assert table["margin"].dtype.kind == "f" and (table["margin"] < 0).any()
    for per in ("--per-boundary",):
        out2 = tmp_path / "bp.csv"
        res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", per, "--grid",
                                  f"no2:2020={grid}", "-o", str(out2)], catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        t2 = pd.read_csv(out2, keep_default_na=False)
        assert set(t2["airq_id"]) == {csv_cell(v) for v in FORMULAS}


def test_errors_file_and_rates_csv_are_neutralised(runner, tmp_path):
    from airq.analyse.batch import BatchError
    from airq.render.batch_output import errors_csv

    class R:  # the part of a BatchResult errors_csv reads
        def errors_frame(self):
            return pd.DataFrame([BatchError("=1+1", "-reason", "@grid", "+id").__dict__])

    rows = _read(errors_csv(R()))
    assert all(v.startswith("'") for v in rows[0].values()), rows
    table = tmp_path / "rates.csv"
    table.write_text("area,cases,person_years\n=EVIL(),10,1000\nB,20,1500\n")
    res = runner.invoke(cli, ["rates", str(table), "-f", "csv"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    areas = [r["area"] for r in _read(res.stdout)]
    assert areas == ["'=EVIL()", "B"]


def test_csv_cell_rules():
    from airq.render.escape import csv_arrow, csv_cell, csv_frame

    for v in FORMULAS:
        assert csv_cell(v) == "'" + v
    for v in ("Woodlands Avenue", "", "a=b", "1-2", "'=x"):
        assert csv_cell(v) == v
    for v in (-1.5, -3, None, True):
        assert csv_cell(v) is v
    df = pd.DataFrame({"t": ["=1", "ok", None], "n": [-1.0, 2.0, None]})
    out = csv_frame(df)
    assert out["t"].tolist()[:2] == ["'=1", "ok"] and out["n"].dtype.kind == "f"
    import pyarrow as pa

    t = csv_arrow(pa.table({"t": ["-x", "y", None], "n": [-1, 2, 3]}))
    assert t.column("t").to_pylist() == ["'-x", "y", None]
    assert t.column("n").to_pylist() == [-1, 2, 3]


# --- the terminal -----------------------------------------------------------------------------

# --- Markdown ----------------------------------------------------------------------------------

def _md_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, as a CommonMark/GFM table reads them."""
    return re.split(r"(?<!\\)\|", line.strip().strip("|").replace("\\\\", "\x00"))


def test_markdown_values_cannot_split_a_table_row_or_become_html(runner, tmp_path):
    # a boundary id holding pipes moved its figures one column on: the rendered table
    # showed 99.9 as the plot's NO2 mean
    forged = "P-1 | NO2 | 2020 | 99.9 | 1 | \\|"
    grid, plots = make_world(tmp_path / "in", ids=[forged, "P-2", pwn(1)])
    res = runner.invoke(cli, query_args(grid, plots, "--per-boundary", "-f", "markdown",
                                        "--name", "A | <b>B</b>"))
    assert res.exit_code == 0, res.stderr
    rows = [line for line in res.stdout.splitlines() if line.startswith("| P-1")]
    assert rows and all(len(_md_cells(r)) == 6 for r in rows), rows
    assert not re.search(r"(?<!\\)<", res.stdout)  # every < escaped: no raw HTML
    # nor does a file name in the area and provenance lines
    named = plots.with_name(f"{pwn(3)}.gpkg")
    named.write_bytes(plots.read_bytes())
    res = runner.invoke(cli, query_args(grid, named, "-f", "markdown"))
    assert res.exit_code == 0, res.stderr
    assert not re.search(r"(?<!\\)<", res.stdout)
    table = tmp_path / "rates.csv"
    table.write_text('area,cases,person_years\n"X | 999 \\| 1",12,20000\n' + f'"{pwn(2)}",3,900\n')
    res = runner.invoke(cli, ["rates", str(table), "-f", "markdown"])
    assert res.exit_code == 0, res.stderr
    rows = [line for line in res.stdout.splitlines() if line.startswith("| X")]
    assert len(rows) == 1 and len(_md_cells(rows[0])) == 4, rows
    assert not re.search(r"(?<!\\)<", res.stdout)


def test_control_characters_are_not_echoed_raw(runner, tmp_path):
    evil_id = "P\x1b[2J\x1b[31mRED\x07\rFAKE\u202eevil"
    evil_street = "Street\nNO2 99.9 exceeded"
    grid, plots = make_world(tmp_path / "in", ids=[evil_id, "P-2"],
                             streets=[evil_street] * 2)
    for fmt in ("text", "markdown"):
        res = runner.invoke(cli, query_args(grid, plots, "--name", "Area\x1b]0;title\x07",
                                            "--per-boundary", "-f", fmt),
                            catch_exceptions=False)
        assert res.exit_code == 0, res.stderr
        for out in (res.stdout, res.stderr):
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", out), repr(out[:400])
        # shown, not obeyed (Markdown escapes the backslash and bracket it shows them with)
        shown = "\\x1b[2J" if fmt == "text" else "\\\\x1b\\[2J"
        assert shown in res.stdout and "\\u202e" in res.stdout
    res = runner.invoke(cli, ["screen", str(plots), "--layer", str(plots)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", res.stdout)
    assert "NO2 99.9 exceeded" not in res.stdout.splitlines()  # no forged line
    # batch warnings name groups and plots
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(tmp_path / "b.csv")])
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", res.stderr)


def test_terminal_escapes():
    from airq.render.escape import terminal_safe, terminal_text

    assert terminal_text("a\x1b[1mb\nc\td\u202ee") == "a\\x1b[1mb\\nc\\td\\u202ee"
    assert terminal_safe("line 1\n\tline\x1b[2 2\x9b") == "line 1\n\tline\\x1b[2 2\\x9b"
    assert terminal_text("µg/m³ Ω — é") == "µg/m³ Ω — é"


# --- in Chromium ------------------------------------------------------------------------------

OPEN_ALL = """<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var maps = [];
    for (var k in window) {
      try { if (window[k] instanceof L.Map) { maps.push(window[k]); } } catch (e) {}
    }
    var opened = 0, texts = [], errors = [];
    maps.forEach(function (m) {
      // every overlay of the layer control on the map, so its tooltips bind
      m.eachLayer(function () {});
      document.querySelectorAll('.leaflet-control-layers-selector').forEach(function (i) {
        if (!i.checked && i.type === 'checkbox') { i.click(); }
      });
      var layers = [];
      m.eachLayer(function (l) { layers.push(l); });
      layers.forEach(function (l) {
        var subs = l.getLayers ? l.getLayers() : [l];
        subs.forEach(function (s) {
          var at = null;
          try { at = s.getLatLng ? s.getLatLng() : s.getBounds().getCenter(); } catch (e) {}
          if (!at) { return; }
          var tries = [
            // as a pointer would: the event reaches the layer and the group it is in
            function () { s.fire('mouseover', {latlng: at}, true); return 1; },
            function () { s.fire('click', {latlng: at}, true); return 1; },
            function () { if (s.getTooltip && s.getTooltip()) { s.openTooltip(at); return 1; } },
            function () { if (s.getPopup && s.getPopup()) { s.openPopup(at); return 1; } }
          ];
          tries.forEach(function (t) {
            try { opened += t() || 0; } catch (e) { errors.push(String(e)); }
            // keep what each opened: a popup closes the previous one
            document.querySelectorAll('.leaflet-tooltip, .leaflet-popup-content')
              .forEach(function (e) { texts.push(e.textContent); });
          });
        });
      });
    });
    setTimeout(function () {
      document.querySelectorAll('.leaflet-tooltip, .leaflet-popup-content, ' +
                                '.leaflet-control-layers-list label, #airq-title, h1, td, th')
        .forEach(function (e) { texts.push(e.textContent); });
      var pre = document.createElement('pre');
      pre.id = 'airq-probe';
      pre.textContent = JSON.stringify({pwned: window.__pwned === undefined ? null :
                                        window.__pwned, opened: opened, texts: texts,
                                        maps: maps.length, errors: errors});
      document.body.appendChild(pre);
    }, 800);
  }, 800);
});
</script>"""


def _in_chromium(page: str, tmp: Path, recorder) -> dict:
    from tests.test_browser import run_probe

    tmp.mkdir(parents=True, exist_ok=True)
    return run_probe(page, OPEN_ALL, tmp, recorder.server_address[1])[0]


@pytest.mark.slow
@pytest.mark.browser
def test_no_value_runs_in_chromium(runner, hostile, recorder):
    from tests.test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    grid, plots, layer, tmp = hostile
    base = [str(plots), "--grid", f"no2:2020={grid}", "--layer", str(layer), "--name",
            HOSTILE_NAME, "--per-boundary"]
    res = runner.invoke(cli, ["map", *base, "--self-contained", "-o", str(tmp / "m.html")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    seen = _in_chromium((tmp / "m.html").read_text("utf-8"), tmp / "map", recorder)
    assert seen["maps"] == 1 and seen["opened"] >= len(HOSTILE_IDS) + 2, seen
    assert seen["pwned"] is None, seen["pwned"]
    shown = "\n".join(seen["texts"])
    for value in [*HOSTILE_IDS, HOSTILE_NAME, pwn(7), pwn(9)]:
        assert value in shown, value  # shown as text, exactly as written

    # the batch map
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--grid",
                              f"no2:2020={grid}", "-o", str(tmp / "b.csv"), "--map",
                              str(tmp / "b.html"), "--self-contained"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    seen = _in_chromium((tmp / "b.html").read_text("utf-8"), tmp / "batch", recorder)
    assert seen["pwned"] is None and seen["opened"] >= 1, seen
    assert HOSTILE_STREET in "\n".join(seen["texts"])

    # the HTML report
    res = runner.invoke(cli, ["report", *base, "-o", str(tmp / "r.html")],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = (tmp / "r.html").read_text("utf-8").replace(
        "</body>", "<script>window.L = {Map: function () {}};</script></body>", 1)
    seen = _in_chromium(page, tmp / "report", recorder)
    assert seen["pwned"] is None
    assert HOSTILE_NAME in "\n".join(seen["texts"])
