"""Tests for airq.analyse.rates: crude rates, DSR (Dobson), ISR, comparison, readers (issue 6)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from airq.analyse import rates
from airq.errors import InputError

# The published cancer-rate table (CASE.md): cases, person-years, crude rate and 95% CI,
# age-standardised rate and 95% CI.
PUBLISHED = [
    ("LSOA of interest", 79, 21_507, (367.3, 290.8, 457.8), (650.9, 510.9, 816.5)),
    ("Barking and Dagenham CCG", 8_234, 2_137_780, (385.2, 376.9, 393.6), (635.3, 621.2, 649.6)),
    ("England", 3_236_192, 593_089_021, (545.7, 545.1, 546.2), (602.7, 602.0, 603.4)),
]
ESP2013 = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
           5500, 5000, 4000, 2500, 1500, 1000]  # fmt: skip
ESP_BANDS = [f"{lo}-{lo + 4}" for lo in range(0, 90, 5)] + ["90+"]

# Bounds for generated data, named so the strategies read plainly.
MAX_CASES = 10_000_000
MIN_PERSON_YEARS = 1.0
MAX_PERSON_YEARS = 1e9
MAX_BAND_CASES = 500
MIN_BAND_PERSON_YEARS = 50.0
MAX_BAND_PERSON_YEARS = 1e6
FAST = settings(max_examples=200, deadline=None)


def _round3(estimate) -> tuple[float, float, float]:
    return tuple(round(x, 1) for x in (estimate.value, estimate.lower, estimate.upper))


# --------------------------------------------------------------------- the published table


@pytest.mark.parametrize(("area", "cases", "person_years", "crude", "_dsr"), PUBLISHED)
@pytest.mark.parametrize("method", ["auto", "byar", "exact"])
def test_published_crude_rates_reproduced_to_one_decimal(
    area, cases, person_years, crude, _dsr, method
):
    # CASE.md calls the intervals exact Poisson limits; Byar's (the default for 10+
    # cases) agrees to one decimal place on all three rows.
    estimate = rates.crude_rate(cases, person_years, method=method)
    assert _round3(estimate) == crude


def test_published_table_through_rate_table():
    areas = [rates.area_totals(a, c, p) for a, c, p, _, _ in PUBLISHED]
    results = rates.rate_table(areas, reference="Barking and Dagenham CCG")
    got = [(r.area, round(r.crude_rate, 1), round(r.crude_lower, 1), round(r.crude_upper, 1))
           for r in results]  # fmt: skip
    assert got == [(a, *crude) for a, _, _, crude, _ in PUBLISHED]
    lsoa, ccg, england = results
    # CASE.md: "the LSOA rate is not significantly different from the borough's".
    assert lsoa.significance == "not different"
    assert lsoa.comparison == "not significantly different from Barking and Dagenham CCG"
    assert lsoa.comparison_basis == "crude rate"
    assert ccg.comparison == "reference" and ccg.significance is None
    assert england.significance == "higher"


@pytest.mark.parametrize(("area", "cases", "person_years", "_crude", "dsr"), PUBLISHED)
def test_published_age_standardised_intervals_have_dobsons_shape(
    area, cases, person_years, _crude, dsr
):
    # Without the age-banded counts the published DSRs cannot be recomputed; but
    # Dobson's interval is DSR + k * (O_limit - O) with one k for both limits. Take k
    # from the published lower limit and the upper limit must follow.
    value, lower, upper = dsr
    o_lower, _ = rates.byar_limits(cases)
    k = (value - lower) / (cases - o_lower)
    got_lower, got_upper, method = rates.dobson_limits(value, k**2 * cases, cases)
    assert method == "dobson-byar"
    assert got_lower == pytest.approx(lower, abs=1e-9)
    assert got_upper == pytest.approx(upper, abs=0.15)  # published figures are rounded


# --------------------------------------------------------------------- Poisson limits


def _exact_reference(cases: int, level: float) -> tuple[float, float]:
    alpha = 1 - level
    lower = 0.0 if cases == 0 else stats.chi2.ppf(alpha / 2, 2 * cases) / 2
    return lower, stats.chi2.ppf(1 - alpha / 2, 2 * cases + 2) / 2


def _byar_reference(cases: int, level: float) -> tuple[float, float]:
    z = stats.norm.ppf(1 - (1 - level) / 2)
    lower = cases * (1 - 1 / (9 * cases) - z / (3 * math.sqrt(cases))) ** 3
    upper = (cases + 1) * (1 - 1 / (9 * (cases + 1)) + z / (3 * math.sqrt(cases + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("cases", [0, 1, 2, 5, 9, 10, 11, 79, 1000, 8234, 3_236_192])
@pytest.mark.parametrize("level", rates.LEVELS)
def test_exact_limits_match_chi_squared(cases, level):
    assert rates.exact_poisson_limits(cases, level) == pytest.approx(
        _exact_reference(cases, level), rel=1e-10, abs=1e-12
    )


@pytest.mark.parametrize("cases", [10, 11, 79, 1000, 8234, 3_236_192])
@pytest.mark.parametrize("level", rates.LEVELS)
def test_byar_limits_match_formula(cases, level):
    assert rates.byar_limits(cases, level) == pytest.approx(_byar_reference(cases, level))


def test_known_exact_limits():
    # For 0 cases the exact upper limit is -ln(alpha/2): 3.689 at 95%.
    assert rates.exact_poisson_limits(0) == pytest.approx((0.0, -math.log(0.025)))
    lower, upper = rates.exact_poisson_limits(9)
    assert (round(lower, 3), round(upper, 3)) == (4.115, 17.085)


def test_auto_uses_exact_below_ten_and_byar_from_ten():
    assert rates.poisson_limits(9)[2] == "exact"
    assert rates.poisson_limits(10)[2] == "byar"
    assert rates.poisson_limits(10, method="exact")[2] == "exact"
    assert rates.poisson_limits(3, method="byar")[2] == "byar"
    assert rates.crude_rate(0, 1000).method == "exact"


def test_byar_and_exact_agree_closely_for_large_counts():
    for cases in (100, 1000, 10_000):
        assert rates.byar_limits(cases) == pytest.approx(
            rates.exact_poisson_limits(cases), rel=2e-3
        )


def test_byar_lower_limit_is_never_negative():
    assert rates.byar_limits(0)[0] == 0.0
    assert rates.byar_limits(1, 0.998)[0] >= 0.0


def test_multiplier_and_level():
    per_1000 = rates.crude_rate(79, 21_507, multiplier=1000)
    assert per_1000.value == pytest.approx(79 / 21.507)
    wide = rates.crude_rate(79, 21_507, level=0.998)
    narrow = rates.crude_rate(79, 21_507, level=0.95)
    assert wide.lower < narrow.lower and wide.upper > narrow.upper
    assert wide.level == 0.998


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cases": -1, "person_years": 100}, "negative"),
        ({"cases": 2.5, "person_years": 100}, "whole number"),
        ({"cases": "7", "person_years": 100}, "whole number"),
        ({"cases": 7, "person_years": 0}, "greater than 0"),
        ({"cases": 7, "person_years": -5}, "greater than 0"),
        ({"cases": 7, "person_years": float("nan")}, "greater than 0"),
        ({"cases": 7, "person_years": 100, "level": 95}, "between 0 and 1"),
        ({"cases": 7, "person_years": 100, "method": "wald"}, "auto, byar, exact"),
        ({"cases": 7, "person_years": 100, "multiplier": 0}, "multiplier"),
    ],
)
def test_crude_rate_rejects_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        rates.crude_rate(**kwargs)


# --------------------------------------------------------------------- DSR (Dobson)


def _dobson_reference(obs, pop, std, level=0.95, limits="byar", multiplier=100_000):
    """Dobson et al. (1991), written out independently of airq with scipy.stats."""
    obs = np.asarray(obs, dtype=float)
    pop = np.asarray(pop, dtype=float)
    w = np.asarray(std, dtype=float) / np.sum(std)
    value = np.sum(w * obs / pop) * multiplier
    var = np.sum(w**2 * obs / pop**2) * multiplier**2
    total = int(obs.sum())
    if limits == "byar":
        o_lo, o_hi = _byar_reference(total, level)
    else:
        o_lo, o_hi = _exact_reference(total, level)
    half = math.sqrt(var / total)
    return value, value + half * (o_lo - total), value + half * (o_hi - total)


def _banded(rng: np.random.Generator, scale: str):
    """Generate age-banded cases and person-years for the 19 ESP bands."""
    pop = rng.integers(200, 5000, size=19).astype(float) * (11 if scale == "large" else 1)
    if scale == "small":
        # Small counts: mostly zeros, 10 to 25 cases in all, bunched in older bands.
        cases = np.zeros(19, dtype=int)
        total = rng.integers(10, 26)
        for band in rng.choice(np.arange(8, 19), size=total):
            cases[band] += 1
    else:
        risk = np.linspace(0.0002, 0.03, 19)
        cases = rng.poisson(risk * pop)
    return cases.tolist(), pop.tolist()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("scale", ["small", "medium", "large"])
@pytest.mark.parametrize("level", rates.LEVELS)
def test_dsr_matches_independent_dobson(seed, scale, level):
    cases, pop = _banded(np.random.default_rng(seed), scale)
    if sum(cases) < 10:
        pytest.skip("generated fewer than 10 cases")
    for method, limits in [("auto", "byar"), ("byar", "byar"), ("exact", "exact")]:
        got = rates.dsr(cases, pop, ESP2013, level=level, method=method)
        want = _dobson_reference(cases, pop, ESP2013, level, limits)
        assert (got.value, got.lower, got.upper) == pytest.approx(want, rel=1e-10)
        assert got.method == f"dobson-{limits}"


@pytest.mark.parametrize("total", [1, 2, 5, 9])
def test_dsr_below_ten_can_be_forced_and_still_matches(total):
    cases = [0] * 19
    cases[-1] = total
    pop = [1000.0] * 19
    got = rates.dsr(cases, pop, ESP2013, method="exact", min_cases=1)
    assert (got.value, got.lower, got.upper) == pytest.approx(
        _dobson_reference(cases, pop, ESP2013, limits="exact"), rel=1e-10
    )


def test_dsr_not_calculated_below_ten_cases():
    cases = [0] * 18 + [9]
    got = rates.dsr(cases, [1000.0] * 19, ESP2013)
    assert got.value is None and got.lower is None and got.upper is None
    assert got.note == "not calculated: fewer than 10 cases"
    assert rates.dsr([0] * 18 + [10], [1000.0] * 19, ESP2013).value is not None


def test_dsr_equals_crude_rate_when_every_band_has_the_same_rate():
    pop = [1000.0 * (i + 1) for i in range(19)]
    cases = [2 * (i + 1) for i in range(19)]  # 200 per 100,000 in every band
    assert rates.dsr(cases, pop, ESP2013).value == pytest.approx(200.0)


def test_dsr_rejects_bad_bands():
    with pytest.raises(InputError, match="same, non-zero number"):
        rates.dsr([1, 2], [100.0], [1, 1])
    with pytest.raises(InputError, match="greater than 0"):
        rates.dsr([5, 6], [100.0, 0.0], [1, 1])
    with pytest.raises(InputError, match="weights"):
        rates.dsr([5, 6], [100.0, 100.0], [0, 0])


# --------------------------------------------------------------------- ISR and comparison


def test_isr_known_answer():
    # Reference rates 0.5% and 1%; the area has 1,000 person-years in each band.
    got = rates.isr([5, 25], [1000, 1000], [50, 200], [10_000, 20_000])
    assert got.observed == 30
    assert got.expected == pytest.approx(15.0)
    assert got.ratio == pytest.approx(2.0)
    lower, upper = rates.byar_limits(30)
    assert (got.lower, got.upper) == pytest.approx((lower / 15, upper / 15))
    assert got.method == "byar"


def test_isr_small_count_uses_exact_limits():
    got = rates.isr([1, 2], [1000, 1000], [50, 200], [10_000, 20_000])
    lower, upper = _exact_reference(3, 0.95)
    assert got.method == "exact"
    assert (got.lower, got.upper) == pytest.approx((lower / 15, upper / 15))


def test_isr_rejects_reference_without_cases():
    with pytest.raises(InputError, match="no cases"):
        rates.isr([1, 2], [10, 10], [0, 0], [100, 100])


@pytest.mark.parametrize(
    ("lower", "upper", "reference", "expected"),
    [
        (290.8, 457.8, 385.2, "not different"),
        (621.2, 649.6, 602.7, "higher"),
        (290.8, 457.8, 545.7, "lower"),
        (10.0, 20.0, 10.0, "not different"),  # the limits themselves count as included
        (10.0, 20.0, 20.0, "not different"),
    ],
)
def test_compare(lower, upper, reference, expected):
    assert rates.compare(lower, upper, reference) == expected


def test_describe_comparison_in_plain_words():
    assert rates.describe_comparison("higher", "England") == "significantly higher than England"
    assert rates.describe_comparison("lower", "England") == "significantly lower than England"
    assert (
        rates.describe_comparison("not different", "England")
        == "not significantly different from England"
    )


# --------------------------------------------------------------------- age bands and readers


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("0-4", "0-4"),
        ("00-04", "0-4"),
        ("0 to 4", "0-4"),
        ("0 - 4 years", "0-4"),
        ("Aged 5-9", "5-9"),
        ("5–9", "5-9"),
        ("90+", "90+"),
        ("90 +", "90+"),
        ("90 and over", "90+"),
        ("90 plus", "90+"),
        ("90 years and over", "90+"),
        ("  85-89 ", "85-89"),
        ("unknown", "unknown"),
    ],
)
def test_normalise_age_band(label, expected):
    assert rates.normalise_age_band(label) == expected


def test_packaged_esp2013():
    esp = rates.read_standard_population()
    assert esp.name == "ESP2013"
    assert list(esp.age_bands) == ESP_BANDS
    assert list(esp.population) == ESP2013
    assert sum(esp.population) == 100_000
    assert esp.version == "2013" and "Eurostat" in esp.source


def test_custom_standard_population(tmp_path):
    path = tmp_path / "std.csv"
    path.write_text("# name: three-band\nage band,population\n0 to 39,50\n40-69,30\n70+,20\n")
    std = rates.read_standard_population(path)
    assert std.name == "three-band"
    assert std.age_bands == ("0-39", "40-69", "70+")
    assert std.population == (50.0, 30.0, 20.0)


def test_standard_population_errors(tmp_path):
    path = tmp_path / "std.csv"
    path.write_text("age_band,population\n0-4,5000\n0-4,100\n5-9,-1\n")
    with pytest.raises(InputError) as err:
        rates.read_standard_population(path)
    assert "appears twice" in str(err.value) and "line 4" in str(err.value)
    path.write_text("age_band,weights_x\n0-4,1\n")
    with pytest.raises(InputError, match="no population column"):
        rates.read_standard_population(path)


def _write_banded(path, areas: dict[str, tuple[list[int], list[float]]], bands=ESP_BANDS):
    lines = ["area,age_band,cases,person_years"]
    for area, (cases, pys) in areas.items():
        lines += [f"{area},{b},{c},{p}" for b, c, p in zip(bands, cases, pys, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_rates_table_with_bands_in_any_order_and_spelling(tmp_path):
    rng = np.random.default_rng(1)
    cases, pop = _banded(rng, "medium")
    bands = ["00-04"] + ESP_BANDS[1:18] + ["90 and over"]
    rows = list(zip(bands, cases, pop, strict=True))[::-1]
    text = "Area,Age band,Cases,Person-years\n" + "".join(f"X,{b},{c},{p}\n" for b, c, p in rows)
    path = tmp_path / "t.csv"
    path.write_text(text)
    [area] = rates.read_rates_table(path)
    assert area.area == "X" and set(area.age_bands) == set(ESP_BANDS)
    [result] = rates.rate_table([area])
    want = _dobson_reference(cases, pop, ESP2013)
    assert (result.dsr, result.dsr_lower, result.dsr_upper) == pytest.approx(want, rel=1e-10)
    assert result.standard == "ESP2013" and result.dsr_method == "dobson-byar"


def test_read_rates_table_totals_with_thousands_separators(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('area,cases,population\nB,"8,234","2,137,780"\n')
    [area] = rates.read_rates_table(path)
    assert area.cases == (8234,) and area.person_years == (2_137_780.0,)
    assert area.age_bands is None and area.denominator == "population"


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ("A,-3,100\n", ["line 2, column cases", "negative"]),
        ("A,2.5,100\n", ["line 2, column cases", "not a whole number"]),
        ("A,x,100\n", ["line 2, column cases", "not a number"]),
        ("A,3,0\n", ["line 2, column person_years", "greater than 0"]),
        ("A,3,\n", ["line 2, column person_years", "empty value"]),
        ("A,3,100\nA,4,100\n", ["line 3", "already given on line 2"]),
        ("A,-3,100\nB,1.5,0\n", ["line 2", "line 3, column cases", "line 3, column person_years"]),
        # columns swapped: a rate of 52,000 per 100,000 was reported as significant
        ("A,21507,79\n", ["line 2: 21507 cases but 79 person-years", "columns swapped"]),
    ],
)
def test_read_rates_table_bad_values_name_file_line_and_column(tmp_path, body, messages):
    path = tmp_path / "bad.csv"
    path.write_text("area,cases,person_years\n" + body)
    with pytest.raises(InputError) as err:
        rates.read_rates_table(path)
    assert str(path) in str(err.value)
    for message in messages:
        assert message in str(err.value)


def test_read_rates_table_missing_column_and_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("area,cases,people\nA,1,2\n")
    with pytest.raises(InputError, match="no person_years column.*population"):
        rates.read_rates_table(path)
    path.write_text("area,cases,person_years,population\nA,1,2,2\n")
    with pytest.raises(InputError, match="mean the same"):
        rates.read_rates_table(path)
    with pytest.raises(InputError, match="not found"):
        rates.read_rates_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        rates.read_rates_table(tmp_path / "empty.csv")


def test_band_mismatch_names_missing_and_extra_bands(tmp_path):
    bands = ESP_BANDS[:17] + ["85+"]
    path = _write_banded(tmp_path / "t.csv", {"A": ([1] * 18, [100.0] * 18)}, bands)
    with pytest.raises(InputError) as err:
        rates.rate_table(rates.read_rates_table(path))
    message = str(err.value)
    assert "ESP2013" in message and "'A'" in message
    assert "missing 85-89, 90+" in message and "extra 85+" in message


def test_band_mismatch_hints_at_spreadsheet_dates(tmp_path):
    bands = ["0-4", "05-Sep", "Oct-14"] + ESP_BANDS[3:]
    path = _write_banded(tmp_path / "t.csv", {"A": ([1] * 19, [100.0] * 19)}, bands)
    with pytest.raises(InputError, match="look like dates"):
        rates.rate_table(rates.read_rates_table(path))


def test_missing_reference_area_is_named():
    areas = [rates.area_totals("A", 10, 1000), rates.area_totals("B", 20, 1000)]
    with pytest.raises(InputError, match="'England' is not in the table.*'A', 'B'"):
        rates.rate_table(areas, reference="England")
    with pytest.raises(InputError, match="not both"):
        rates.rate_table(areas, reference="A", reference_rate=5.0)


def test_area_totals_rejects_bad_values():
    with pytest.raises(InputError, match="negative"):
        rates.area_totals("A", -1, 100)
    with pytest.raises(InputError, match="greater than 0"):
        rates.area_totals("A", 1, 0)


# --------------------------------------------------------------------- the whole table


def test_rate_table_with_reference_area_uses_dsr_and_isr():
    rng = np.random.default_rng(7)
    ref_cases, ref_pop = _banded(rng, "large")
    area_cases, area_pop = _banded(rng, "medium")
    small_cases = [0] * 18 + [4]
    areas = [
        rates.AreaCounts("Area", tuple(area_cases), tuple(area_pop), tuple(ESP_BANDS)),
        rates.AreaCounts("Borough", tuple(ref_cases), tuple(ref_pop), tuple(ESP_BANDS)),
        rates.AreaCounts("Tiny", tuple(small_cases), tuple(area_pop), tuple(ESP_BANDS)),
    ]
    area, borough, tiny = rates.rate_table(areas, reference="Borough")
    assert area.comparison_basis == "age-standardised rate"
    assert area.reference_value == borough.dsr
    assert area.significance == rates.compare(area.dsr_lower, area.dsr_upper, borough.dsr)
    expected = sum(p * c / n for p, c, n in zip(area_pop, ref_cases, ref_pop, strict=True))
    assert area.expected == pytest.approx(expected)
    assert area.isr == pytest.approx(sum(area_cases) / expected)
    assert borough.isr is None and borough.comparison == "reference"
    # Too few cases for a DSR: compared by the ISR against 1 instead, and says so.
    assert tiny.dsr is None and tiny.dsr_note == "not calculated: fewer than 10 cases"
    assert tiny.comparison_basis == "standardised ratio" and tiny.reference_value == 1.0
    assert tiny.significance == rates.compare(tiny.isr_lower, tiny.isr_upper, 1.0)
    assert tiny.method == "exact"


def test_rate_table_with_reference_rate():
    [r] = rates.rate_table([rates.area_totals("LSOA", 79, 21_507)], reference_rate=545.7)
    assert r.significance == "lower"
    assert r.comparison == "significantly lower than the reference rate of 545.7"
    assert r.dsr is None and r.dsr_note == "not calculated: no age bands given"


def test_rate_result_to_dict_has_the_documented_fields():
    [r] = rates.rate_table([rates.area_totals("LSOA", 79, 21_507)])
    d = r.to_dict()
    for key in ("area", "cases", "person_years", "crude_rate", "crude_lower", "crude_upper",
                "dsr", "dsr_lower", "dsr_upper", "method", "comparison"):  # fmt: skip
        assert key in d


def test_library_does_not_import_click():
    code = "import sys, airq.analyse.rates, airq.render.rates_text; print('click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------- properties

methods = st.sampled_from(rates.CI_METHODS)
levels = st.sampled_from(rates.LEVELS)
person_years = st.floats(MIN_PERSON_YEARS, MAX_PERSON_YEARS, allow_nan=False)


@FAST
@given(st.integers(0, MAX_CASES), person_years, levels, methods)
def test_crude_interval_contains_rate(cases, py, level, method):
    r = rates.crude_rate(cases, py, level=level, method=method)
    assert 0.0 <= r.lower <= r.value <= r.upper


@FAST
@given(st.integers(1, MAX_CASES), st.integers(1, 1000), levels, methods)
def test_crude_interval_narrows_as_counts_grow(cases, extra, level, method):
    # Relative width (width / count) shrinks as the count grows, at any rate.
    small = rates.poisson_limits(cases, level, method)
    large = rates.poisson_limits(cases + extra, level, method)
    assert (large[1] - large[0]) / (cases + extra) < (small[1] - small[0]) / cases


@FAST
@given(st.integers(0, 100_000), levels)
def test_exact_limits_have_the_stated_tail_probabilities(cases, level):
    alpha = 1 - level
    lower, upper = rates.exact_poisson_limits(cases, level)
    assert stats.poisson.cdf(cases, upper) == pytest.approx(alpha / 2, rel=1e-6)
    if cases > 0:
        assert stats.poisson.sf(cases - 1, lower) == pytest.approx(alpha / 2, rel=1e-6)


@FAST
@given(st.integers(0, MAX_CASES), person_years, methods)
def test_wider_level_gives_wider_interval(cases, py, method):
    narrow = rates.crude_rate(cases, py, level=0.95, method=method)
    wide = rates.crude_rate(cases, py, level=0.998, method=method)
    assert wide.lower <= narrow.lower and wide.upper > narrow.upper


banded = st.lists(
    st.tuples(
        st.integers(0, MAX_BAND_CASES),
        st.floats(MIN_BAND_PERSON_YEARS, MAX_BAND_PERSON_YEARS, allow_nan=False),
        st.integers(1, 10_000),
    ),
    min_size=1,
    max_size=19,
).filter(lambda rows: sum(r[0] for r in rows) >= rates.MIN_CASES_DSR)


@FAST
@given(banded, levels, methods)
def test_dsr_interval_contains_rate_and_matches_dobson(rows, level, method):
    cases, pys, std = (list(x) for x in zip(*rows, strict=True))
    got = rates.dsr(cases, pys, std, level=level, method=method)
    assert got.lower <= got.value <= got.upper
    limits = "exact" if method == "exact" else "byar"
    want = _dobson_reference(cases, pys, std, level, limits)
    assert (got.value, got.lower, got.upper) == pytest.approx(want, rel=1e-9, abs=1e-9)


@FAST
@given(banded, st.integers(2, 50), methods)
def test_dsr_interval_narrows_as_counts_grow(rows, factor, method):
    # Scaling every count and person-years keeps the DSR but narrows its interval.
    cases, pys, std = (list(x) for x in zip(*rows, strict=True))
    small = rates.dsr(cases, pys, std, method=method)
    large = rates.dsr([c * factor for c in cases], [p * factor for p in pys], std, method=method)
    assert large.value == pytest.approx(small.value, rel=1e-9)
    assert large.upper - large.lower < small.upper - small.lower


@FAST
@given(banded, st.floats(0.01, 1000, allow_nan=False))
def test_dsr_does_not_depend_on_the_size_of_the_standard(rows, scale):
    cases, pys, std = (list(x) for x in zip(*rows, strict=True))
    a = rates.dsr(cases, pys, std)
    b = rates.dsr(cases, pys, [w * scale for w in std])
    assert (b.value, b.lower, b.upper) == pytest.approx((a.value, a.lower, a.upper), rel=1e-9)
