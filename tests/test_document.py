"""The officer's report: HTML by content, and a real PDF (A4, page numbers, text)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from airq.cli import cli
from tests.test_maps import demo_cli, demo_result

QUERY = "Several neighbours on Woodlands Avenue have had cancer. Is the land or the air the cause?"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def demo_assessment(tmp_path_factory):
    return demo_result(tmp_path_factory)


def test_report_html_sections_and_values(demo_assessment):
    from airq.render.document import render_report_html
    from airq.render.text import fmt_mean, fmt_sd

    a = demo_assessment
    page = render_report_html(a, query_text=QUERY)
    assert page.startswith("<!DOCTYPE html>")
    assert "SYNTHETIC DEMO DATA" in page
    assert "Land contamination and air quality: Woodlands Avenue" in page
    assert QUERY.replace("'", "&#x27;") in page
    heads = re.findall(r"<h2>([^<]+)</h2>", page)
    assert heads[:8] == ["1. The enquiry", "2. Summary for the resident", "3. Land contamination",
                         "4. Historic maps", "5. Air quality", "6. Methods", "7. Caveats",
                         "8. Data sources"]
    assert "<h3>1896: SYNTHETIC demo map</h3>" in page  # the demo's catalogued sheet
    for r in a.results:  # one table row per pollutant and year, values as the text report
        row = (f"<td class=\"\">{r.name}</td><td class=\"num\">{fmt_mean(r.stats.mean)}</td>"
               f"<td class=\"num\">{fmt_sd(r.stats.sd)}</td>"
               f"<td class=\"num\">{r.stats.n_points}</td>")
        assert row in page
    assert page.count("<h3>Model year ") == 2
    assert "not exceeded" in page
    assert "Land use on the site by map epoch" in page and "1938" in page
    assert "Former Clay Lane Pit (EAHLD99001)" in page
    assert "data:image/svg+xml;base64," in page  # the static map embedded
    for i in a.provenance.inputs:
        assert i["sha256"] in page
    assert "Annual means cannot show whether short-term" in page
    assert "population SD (divided by n)" in page
    assert "Appendix: values per boundary" in page and "WA-054" in page
    assert "@page" in page and "counter(pages)" in page
    assert f"airq {a.provenance.airq_version}" in page


def test_report_without_query_or_land_use(demo_assessment):
    from airq.render.document import render_report_html

    prov = demo_assessment.provenance
    real = replace(demo_assessment, land_use=None, per_boundary=(),
                   provenance=replace(prov, synthetic=False, inputs=tuple(
                       {**i, "synthetic": False} for i in prov.inputs)))
    page = render_report_html(real, figure=None)
    assert 'class="banner"' not in page
    assert "--query-text" in page and "No land-use layers were screened" in page
    assert "<figure>" not in page and "Appendix" not in page
    assert "Open Government Licence" in page


def test_report_pdf_pages(demo_assessment, tmp_path):
    from airq.render.document import write_report

    out = write_report(demo_assessment, tmp_path / "report.pdf", query_text=QUERY)
    data = out.read_bytes()
    assert data[:5] == b"%PDF-"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                              check=True).stdout
        assert "(A4)" in info
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "SYNTHETIC DEMO DATA" in text and "Summary for the resident" in text
        n = text.count("\f")
        assert re.search(rf"Page 1 of {n}", text) and f"Page {n} of {n}" in text
        assert "airq 0.1.0" in text or "airq " in text
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(out),
                        str(ARTIFACTS / "report-page")], check=True)
    with pytest.raises(Exception, match="already exists"):
        write_report(demo_assessment, out)


def test_report_suffix(demo_assessment, tmp_path):
    from airq.errors import InputError
    from airq.render.document import write_report

    with pytest.raises(InputError, match=r"\.html or \.pdf"):
        write_report(demo_assessment, tmp_path / "report.docx")
    page = write_report(demo_assessment, tmp_path / "r.html").read_text("utf-8")
    assert "Woodlands Avenue" in page


def test_report_command_html(tmp_path_factory, monkeypatch, runner, tmp_path):
    demo_cli(tmp_path_factory, monkeypatch)
    out = tmp_path / "r.html"
    res = runner.invoke(cli, ["report", "boundaries/demo/residential_plots.gpkg", "--where",
                              "street=Woodlands Avenue", "--query-text", QUERY, "-o", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = out.read_text("utf-8")
    assert "Several neighbours on Woodlands Avenue" in page and "SYNTHETIC DEMO DATA" in page
    res = runner.invoke(cli, ["report", "boundaries/demo/residential_plots.gpkg", "-o",
                              str(tmp_path / "r.docx")])
    assert res.exit_code == 2 and "-o/--output" in res.stderr
