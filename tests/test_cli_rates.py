"""End-to-end tests of ``airq rates`` through the Click group (issue 6)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from airq.cli import cli

ESP_BANDS = [f"{lo}-{lo + 4}" for lo in range(0, 90, 5)] + ["90+"]
JSON_FIELDS = ["area", "cases", "person_years", "crude_rate", "crude_lower", "crude_upper",
               "dsr", "dsr_lower", "dsr_upper", "method", "comparison"]  # fmt: skip
PUBLISHED_CSV = (
    "area,cases,person_years\n"
    "LSOA of interest,79,21507\n"
    'Barking and Dagenham CCG,"8,234","2,137,780"\n'
    "England,3236192,593089021\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def published(tmp_path) -> Path:
    path = tmp_path / "published.csv"
    path.write_text(PUBLISHED_CSV)
    return path


@pytest.fixture
def banded(tmp_path) -> Path:
    """Cases and person-years by ESP band for an area and a borough around it."""
    rng = np.random.default_rng(3)
    lines = ["area,age_band,cases,person_years"]
    for area, scale in [("Street", 1), ("Borough", 100)]:
        pop = rng.integers(200, 2000, size=19) * scale
        cases = rng.poisson(np.linspace(0.0005, 0.03, 19) * pop)
        lines += [f"{area},{b},{c},{p}" for b, c, p in zip(ESP_BANDS, cases, pop, strict=True)]
    path = tmp_path / "banded.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _json(result) -> list[dict]:
    return json.loads(result.stdout)


# --------------------------------------------------------------------- success paths


def test_one_line_form_reproduces_published_row(runner):
    args = ["rates", "--cases", "79", "--person-years", "21507", "--area", "LSOA of interest"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    assert "LSOA of interest" in result.stdout
    assert "367.3 (290.8, 457.8)" in result.stdout
    assert "per 100,000 person-years, 95% confidence intervals" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("cases", "person_years", "expected"),
    [
        ("79", "21507", [367.3, 290.8, 457.8]),
        ("8234", "2137780", [385.2, 376.9, 393.6]),
        ("3236192", "593089021", [545.7, 545.1, 546.2]),
    ],
)
def test_one_line_json_reproduces_every_published_row(runner, cases, person_years, expected):
    args = ["rates", "--cases", cases, "--person-years", person_years, "-f", "json"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    [row] = _json(result)
    for key in JSON_FIELDS:
        assert key in row
    got = [round(row[k], 1) for k in ("crude_rate", "crude_lower", "crude_upper")]
    assert got == expected
    assert row["method"] == "byar" and row["dsr"] is None and row["level"] == 0.95


def test_table_form_with_reference(runner, published):
    args = ["rates", str(published), "--reference", "Barking and Dagenham CCG"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    out = result.stdout
    assert "367.3 (290.8, 457.8)" in out and "385.2 (376.9, 393.6)" in out
    assert "545.7 (545.1, 546.2)" in out
    assert "not significantly different from Barking and Dagenham CCG" in out
    assert "(reference)" in out
    assert "confidence interval lies above or below the reference value" in out

    result = runner.invoke(cli, [*args, "-f", "json"], catch_exceptions=False)
    lsoa, ccg, england = _json(result)
    assert lsoa["significance"] == "not different" and lsoa["comparison_basis"] == "crude rate"
    assert ccg["comparison"] == "reference"
    assert england["comparison"] == "significantly higher than Barking and Dagenham CCG"


def test_age_banded_table_gives_dsr_and_isr(runner, banded):
    args = ["rates", str(banded), "--reference", "Borough"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    assert "age-standardised rate (95% CI)" in result.stdout
    assert "ESP2013" in result.stdout and "Dobson" in result.stdout
    street, borough = _json(runner.invoke(cli, [*args, "-f", "json"], catch_exceptions=False))
    assert street["dsr_lower"] <= street["dsr"] <= street["dsr_upper"]
    assert street["dsr_method"] == "dobson-byar" and street["standard"] == "ESP2013"
    assert street["comparison_basis"] == "age-standardised rate"
    assert street["reference_value"] == borough["dsr"]
    assert street["isr"] == pytest.approx(street["cases"] / street["expected"])


def test_small_area_gets_no_dsr_and_is_compared_by_its_ratio(runner, tmp_path):
    lines = ["area,age_band,cases,person_years"]
    lines += [f"Close,{b},{1 if i in (12, 15, 17) else 0},300" for i, b in enumerate(ESP_BANDS)]
    lines += [f"Borough,{b},{10 + i * 20},30000" for i, b in enumerate(ESP_BANDS)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    args = ["rates", str(path), "--reference", "Borough"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert "not calculated: fewer than 10 cases" in result.stdout
    assert "(age-standardised ratio)" in result.stdout
    close, _ = _json(runner.invoke(cli, [*args, "-f", "json"], catch_exceptions=False))
    assert close["dsr"] is None and close["method"] == "exact"
    assert close["comparison_basis"] == "standardised ratio" and close["reference_value"] == 1.0


def test_level_and_ci_method_options(runner):
    base = ["rates", "--cases", "79", "--person-years", "21507"]
    result = runner.invoke(cli, [*base, "--level", "0.998"], catch_exceptions=False)
    assert "99.8% CI" in result.stdout
    assert "367.3 (252.6, 513.9)" in result.stdout
    result = runner.invoke(cli, [*base, "--ci-method", "exact", "-f", "json"])
    [row] = _json(result)
    assert row["method"] == "exact"
    assert round(row["crude_lower"], 1) == 290.8 and round(row["crude_upper"], 1) == 457.8


def test_multiplier_and_reference_rate(runner):
    args = ["rates", "--cases", "79", "--person-years", "21507", "--multiplier", "1000"]
    result = runner.invoke(cli, [*args, "--reference-rate", "5.457"], catch_exceptions=False)
    assert "per 1,000 person-years" in result.stdout
    assert "3.7 (2.9, 4.6)" in result.stdout
    assert "significantly lower than the reference rate of 5.457" in result.stdout


def test_markdown_and_csv(runner, published):
    result = runner.invoke(cli, ["rates", str(published), "-f", "markdown"], catch_exceptions=False)
    assert "| area | cases | person-years | crude rate (95% CI) |" in result.stdout
    assert "| LSOA of interest | 79 | 21,507 | 367.3 (290.8, 457.8) |" in result.stdout
    result = runner.invoke(cli, ["rates", str(published), "-f", "csv"], catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["area"] for r in rows] == ["LSOA of interest", "Barking and Dagenham CCG", "England"]
    assert all(key in rows[0] for key in JSON_FIELDS)
    assert round(float(rows[1]["crude_lower"]), 1) == 376.9 and rows[1]["dsr"] == ""


def test_custom_standard_population(runner, tmp_path):
    std = tmp_path / "std.csv"
    std.write_text("# name: two-band\nage_band,population\n0-64,80\n65+,20\n")
    table = tmp_path / "t.csv"
    table.write_text("area,age,cases,population\nA,0 to 64,5,10000\nA,65 and over,20,2000\n")
    args = ["rates", str(table), "--standard", str(std), "-f", "json"]
    [row] = _json(runner.invoke(cli, args, catch_exceptions=False))
    assert row["standard"] == "two-band" and row["denominator"] == "population"
    assert row["dsr"] == pytest.approx((0.8 * 5 / 10000 + 0.2 * 20 / 2000) * 100_000)


def test_output_file_written_and_not_overwritten(runner, tmp_path):
    out = tmp_path / "rates.json"
    args = ["rates", "--cases", "79", "--person-years", "21507", "-f", "json", "-o", str(out)]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout == ""
    assert "Wrote" in result.stderr
    assert round(json.loads(out.read_text())[0]["crude_rate"], 1) == 367.3

    out.write_text("keep me")
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--overwrite" in result.stderr
    assert out.read_text() == "keep me"

    result = runner.invoke(cli, [*args, "--overwrite"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(out.read_text())[0]["cases"] == 79


def test_help_text(runner):
    result = runner.invoke(cli, ["rates", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Crude and age-standardised rates" in result.stdout
    assert "airq rates --cases 79 --person-years 21507" in result.stdout
    assert "rates" in runner.invoke(cli, ["--help"]).stdout


def test_documented():
    doc = Path(__file__).parents[1] / "docs" / "rates.md"
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("### airq rates")
    for key in JSON_FIELDS:
        assert f"`{key}`" in text


# --------------------------------------------------------------------- usage errors (exit 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "-3", "--person-years", "100"], "--cases"),
        (["--cases", "2.5", "--person-years", "100"], "--cases"),
        (["--cases", "3", "--person-years", "0"], "--person-years"),
        (["--cases", "3", "--person-years", "-1"], "--person-years"),
        (["--cases", "3"], "--cases needs --person-years"),
        (["--person-years", "100"], "--person-years needs --cases"),
        ([], "give a TABLE.csv"),
        (["--cases", "3", "--person-years", "100", "--reference", "X"], "--reference-rate"),
        (["--cases", "3", "--person-years", "100", "--level", "0.9"], "--level"),
        (["--cases", "3", "--person-years", "100", "--ci-method", "wald"], "--ci-method"),
        (["--cases", "3", "--person-years", "100", "--multiplier", "0"], "--multiplier"),
        (["missing.csv"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(runner, args, message):
    result = runner.invoke(cli, ["rates", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_table_and_cases_together_is_a_usage_error(runner, published):
    result = runner.invoke(cli, ["rates", str(published), "--cases", "3"])
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_standard_and_both_references_are_usage_errors(runner, published, tmp_path):
    std = tmp_path / "std.csv"
    std.write_text("age_band,population\n0+,1\n")
    args = ["rates", "--cases", "3", "--person-years", "100", "--standard", str(std)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "--standard" in result.stderr
    args = ["rates", str(published), "--reference", "England", "--reference-rate", "5"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "--reference or --reference-rate" in result.stderr


# --------------------------------------------------------------------- data errors (exit 1)


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ("A,-3,100\n", ["line 2, column cases", "negative"]),
        ("A,2.5,100\n", ["line 2, column cases", "not a whole number"]),
        ("A,3,0\n", ["line 2, column person_years", "greater than 0"]),
        ("A,3,100\nA,4,100\n", ["already given on line 2"]),
    ],
)
def test_bad_table_values_exit_1(runner, tmp_path, body, messages):
    path = tmp_path / "bad.csv"
    path.write_text("area,cases,person_years\n" + body)
    result = runner.invoke(cli, ["rates", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: rates table")
    assert "bad.csv" in result.stderr
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.output


def test_missing_column_exit_1(runner, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("area,cases\nA,3\n")
    result = runner.invoke(cli, ["rates", str(path)])
    assert result.exit_code == 1
    assert "no person_years column" in result.stderr and "area, cases" in result.stderr


def test_band_mismatch_exit_1_names_missing_and_extra(runner, tmp_path):
    bands = ESP_BANDS[:17] + ["85 and over"]
    path = tmp_path / "t.csv"
    path.write_text(
        "area,age_band,cases,person_years\n" + "".join(f"A,{b},2,1000\n" for b in bands)
    )
    result = runner.invoke(cli, ["rates", str(path)])
    assert result.exit_code == 1
    assert "missing 85-89, 90+" in result.stderr and "extra 85+" in result.stderr


def test_missing_reference_area_exit_1(runner, published):
    result = runner.invoke(cli, ["rates", str(published), "--reference", "Havering"])
    assert result.exit_code == 1
    assert "reference area 'Havering' is not in the table" in result.stderr
    assert "'England'" in result.stderr


def test_outputs_record_provenance(runner, published):
    from airq import __version__
    from airq.read.grids import sha256_file

    text = runner.invoke(cli, ["rates", str(published)], catch_exceptions=False).stdout
    assert f"airq {__version__}" in text and sha256_file(published) in text
    rows = json.loads(runner.invoke(cli, ["rates", str(published), "-f", "json"]).stdout)
    assert rows[0]["provenance"]["inputs"][0]["sha256"] == sha256_file(published)
    out = runner.invoke(cli, ["rates", str(published), "-f", "csv"]).stdout
    assert "table_sha256" in out.splitlines()[0] and sha256_file(published) in out
