"""Crude and age-standardised rates with confidence intervals, for stage 1 cluster screening.

The methods are the ones English public-health bodies publish (Fingertips technical
guidance on confidence intervals, as implemented in PHEindicatormethods):

- crude rates: Byar's approximation for counts of 10 or more, exact Poisson
  (chi-squared / gamma) limits below 10;
- directly standardised rates (DSR): Dobson et al. (1991), on the European
  Standard Population 2013 by default; not calculated for fewer than 10 cases;
- indirectly standardised ratios (ISR): observed / expected, with the exact or
  Byar limits of the observed count divided by the expected count;
- comparison with a reference: significantly higher or lower when the area's
  interval lies wholly above or below the reference value.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import gammaincinv, ndtri

from airq.errors import InputError

#: Confidence levels the command line offers (Fingertips publishes both).
LEVELS = (0.95, 0.998)
#: Ways to compute the Poisson limits of a count.
CI_METHODS = ("auto", "byar", "exact")
#: ``auto`` uses Byar's approximation from this count upwards and exact limits below it.
MIN_CASES_BYAR = 10
#: Directly standardised rates are not calculated for fewer cases than this.
MIN_CASES_DSR = 10
#: Rates are per this many person-years unless told otherwise.
DEFAULT_MULTIPLIER = 100_000
#: Outcomes of a comparison with a reference value.
SIGNIFICANCE = ("higher", "lower", "not different")

_ESP2013_RESOURCE = "esp2013.csv"
_MAX_LISTED_PROBLEMS = 12


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Estimate:
    """A rate or ratio with its confidence interval.

    Attributes
    ----------
    value, lower, upper
        The estimate and its confidence limits; all None when not calculated.
    level
        Confidence level of the interval, e.g. 0.95.
    method
        How the limits were found: ``byar``, ``exact``, ``dobson-byar`` or
        ``dobson-exact``; None when not calculated.
    note
        Why the estimate was not calculated, in words; None when it was.
    """

    value: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str | None
    note: str | None = None


@dataclass(frozen=True)
class StandardisedRatio:
    """An indirectly standardised ratio (observed / expected) with its interval.

    Attributes
    ----------
    observed
        Observed cases in the area.
    expected
        Cases expected if the area had the reference's age-specific rates.
    ratio, lower, upper
        ``observed / expected`` and its confidence limits (1 means "as expected").
    level
        Confidence level of the interval.
    method
        ``byar`` or ``exact``: how the limits of the observed count were found.
    """

    observed: int
    expected: float
    ratio: float
    lower: float
    upper: float
    level: float
    method: str


@dataclass(frozen=True)
class StandardPopulation:
    """A standard population: age bands and their weights.

    Attributes
    ----------
    name
        Short name shown in outputs, e.g. ``ESP2013``.
    age_bands
        Normalised band labels (``0-4`` ... ``90+``), in order.
    population
        The standard population of each band.
    source, version
        Where the figures come from, as recorded in the file.
    """

    name: str
    age_bands: tuple[str, ...]
    population: tuple[float, ...]
    source: str = ""
    version: str = ""


@dataclass(frozen=True)
class AreaCounts:
    """Cases and person-years of one area, by age band or as totals.

    Attributes
    ----------
    area
        Name of the area.
    cases
        Cases in each age band (one value when there are no bands).
    person_years
        Person-years (or population) in each age band, in the same order.
    age_bands
        Normalised age-band labels in the same order, or None for totals only.
    denominator
        What the denominator is called in outputs: ``person-years`` or ``population``.
    """

    area: str
    cases: tuple[int, ...]
    person_years: tuple[float, ...]
    age_bands: tuple[str, ...] | None = None
    denominator: str = "person-years"

    def __post_init__(self):
        n = len(self.cases)
        bands = n if self.age_bands is None else len(self.age_bands)
        if n == 0 or len(self.person_years) != n or bands != n:
            raise InputError(
                f"area {self.area!r} needs the same, non-zero number of cases, "
                "person-years and age bands"
            )

    @property
    def total_cases(self) -> int:
        """All cases in the area."""
        return int(sum(self.cases))

    @property
    def total_person_years(self) -> float:
        """All person-years in the area."""
        return float(sum(self.person_years))


@dataclass(frozen=True)
class RateResult:
    """One area's line of the rate table: crude rate, DSR, ISR and comparison.

    Attributes
    ----------
    area, cases, person_years, denominator
        The area and its totals.
    multiplier
        Rates are per this many person-years.
    level
        Confidence level of every interval in the line.
    crude_rate, crude_lower, crude_upper, method
        Crude rate, its limits, and ``byar`` or ``exact``.
    dsr, dsr_lower, dsr_upper, dsr_method, dsr_note
        Directly standardised rate and limits (Dobson); None, with the reason in
        ``dsr_note``, when not calculated.
    standard
        Name of the standard population, or None without age bands.
    expected, isr, isr_lower, isr_upper
        Expected cases at the reference's age-specific rates and the indirectly
        standardised ratio with its limits; None unless a reference area with age
        bands was named (and for the reference itself).
    reference, reference_value, comparison_basis
        What the area was compared with, the value compared against, and what was
        compared: ``age-standardised rate`` (both areas have a DSR), ``standardised
        ratio`` (the ISR against 1, when the area has too few cases for a DSR) or
        ``crude rate`` (no age bands, or a ``reference_rate``).
    significance
        ``higher``, ``lower`` or ``not different``; None for the reference itself
        or without a reference.
    comparison
        The comparison in words, e.g. "not significantly different from England".
    """

    area: str
    cases: int
    person_years: float
    denominator: str
    multiplier: float
    level: float
    crude_rate: float
    crude_lower: float
    crude_upper: float
    method: str
    dsr: float | None = None
    dsr_lower: float | None = None
    dsr_upper: float | None = None
    dsr_method: str | None = None
    dsr_note: str | None = None
    standard: str | None = None
    expected: float | None = None
    isr: float | None = None
    isr_lower: float | None = None
    isr_upper: float | None = None
    reference: str | None = None
    reference_value: float | None = None
    comparison_basis: str | None = None
    significance: str | None = None
    comparison: str | None = None

    def to_dict(self) -> dict:
        """Return the fields as a plain dict (JSON-ready), in a fixed order."""
        return asdict(self)


# --------------------------------------------------------------------------- checks


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise InputError(f"confidence level {level} must be between 0 and 1, e.g. 0.95 or 0.998")
    return level


def _check_method(method: str) -> str:
    if method not in CI_METHODS:
        raise InputError(f"unknown interval method {method!r}; use one of {', '.join(CI_METHODS)}")
    return method


def _check_cases(cases, what: str = "cases") -> int:
    if isinstance(cases, bool) or not isinstance(cases, int | float | np.integer | np.floating):
        raise InputError(f"{what} must be a whole number, not {cases!r}")
    if not math.isfinite(cases) or cases != int(cases):
        raise InputError(f"{what} must be a whole number of cases, not {cases}")
    if cases < 0:
        raise InputError(f"{what} is {int(cases)}; counts cannot be negative")
    return int(cases)


def _check_person_years(person_years, what: str = "person-years") -> float:
    try:
        value = float(person_years)
    except (TypeError, ValueError) as err:
        raise InputError(f"{what} must be a number, not {person_years!r}") from err
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{what} is {person_years}; it must be a number greater than 0")
    return value


def _check_multiplier(multiplier) -> int | float:
    value = float(multiplier)
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"multiplier {multiplier} must be greater than 0, e.g. 100000")
    return int(value) if value.is_integer() else value


# --------------------------------------------------------------------------- Poisson limits


def exact_poisson_limits(cases: int, level: float = 0.95) -> tuple[float, float]:
    """Exact Poisson confidence limits of a count.

    The chi-squared (equivalently gamma) limits: the lower limit is
    ``chi2.ppf(a/2, 2*O) / 2`` and the upper ``chi2.ppf(1 - a/2, 2*O + 2) / 2``,
    where ``a = 1 - level`` and ``O`` is the count (Armitage and Berry).

    Parameters
    ----------
    cases
        The observed count, a whole number 0 or more.
    level
        Confidence level, e.g. 0.95 or 0.998.

    Returns
    -------
    tuple of float
        Lower and upper limits of the expected count (lower is 0 for a count of 0).

    Raises
    ------
    InputError
        If ``cases`` is negative or not whole, or ``level`` is not between 0 and 1.

    Examples
    --------
    >>> [round(x, 3) for x in exact_poisson_limits(9)]
    [4.115, 17.085]
    """
    cases = _check_cases(cases)
    alpha = 1.0 - _check_level(level)
    lower = float(gammaincinv(cases, alpha / 2)) if cases > 0 else 0.0
    upper = float(gammaincinv(cases + 1, 1.0 - alpha / 2))
    return lower, upper


def byar_limits(cases: int, level: float = 0.95) -> tuple[float, float]:
    """Byar's approximation to the Poisson confidence limits of a count.

    ``O * (1 - 1/(9O) - z/(3 sqrt(O)))**3`` and
    ``(O+1) * (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))**3`` (Breslow and Day 1987). The
    lower limit is 0 for a count of 0, and never below 0.

    Parameters
    ----------
    cases
        The observed count, a whole number 0 or more.
    level
        Confidence level, e.g. 0.95 or 0.998.

    Returns
    -------
    tuple of float
        Lower and upper limits of the expected count.

    Raises
    ------
    InputError
        If ``cases`` is negative or not whole, or ``level`` is not between 0 and 1.

    Examples
    --------
    >>> [round(x, 2) for x in byar_limits(79)]
    [62.54, 98.46]
    """
    cases = _check_cases(cases)
    z = float(ndtri(1.0 - (1.0 - _check_level(level)) / 2))
    if cases == 0:
        lower = 0.0
    else:
        lower = cases * max(0.0, 1 - 1 / (9 * cases) - z / (3 * math.sqrt(cases))) ** 3
    up = cases + 1
    upper = up * (1 - 1 / (9 * up) + z / (3 * math.sqrt(up))) ** 3
    return lower, upper


def poisson_limits(
    cases: int, level: float = 0.95, method: str = "auto"
) -> tuple[float, float, str]:
    """Confidence limits of a count by the chosen method.

    Parameters
    ----------
    cases
        The observed count.
    level
        Confidence level.
    method
        ``auto`` (Byar for 10 or more cases, exact below), ``byar`` or ``exact``.

    Returns
    -------
    tuple
        Lower limit, upper limit, and the method used (``byar`` or ``exact``).

    Raises
    ------
    InputError
        On a bad count, level or method.
    """
    method = _check_method(method)
    cases = _check_cases(cases)
    if method == "auto":
        method = "byar" if cases >= MIN_CASES_BYAR else "exact"
    limits = byar_limits if method == "byar" else exact_poisson_limits
    lower, upper = limits(cases, level)
    return lower, upper, method


# --------------------------------------------------------------------------- rates


def crude_rate(
    cases: int,
    person_years: float,
    multiplier: float = DEFAULT_MULTIPLIER,
    level: float = 0.95,
    method: str = "auto",
) -> Estimate:
    """Crude rate per ``multiplier`` person-years with its confidence interval.

    Parameters
    ----------
    cases
        Observed cases, a whole number 0 or more.
    person_years
        Person-years at risk (or population), greater than 0.
    multiplier
        Express the rate per this many person-years (default 100,000).
    level
        Confidence level, e.g. 0.95 or 0.998.
    method
        ``auto`` (Byar for 10 or more cases, exact below; the Fingertips rule),
        ``byar`` or ``exact``.

    Returns
    -------
    Estimate
        The rate, its limits and the method used.

    Raises
    ------
    InputError
        On a negative or non-whole count, person-years not above 0, or a bad
        level, method or multiplier.

    Examples
    --------
    >>> r = crude_rate(79, 21_507)
    >>> f"{r.value:.1f} ({r.lower:.1f}, {r.upper:.1f})"
    '367.3 (290.8, 457.8)'
    """
    person_years = _check_person_years(person_years)
    multiplier = _check_multiplier(multiplier)
    lower, upper, used = poisson_limits(cases, level, method)
    scale = multiplier / person_years
    return Estimate(cases * scale, lower * scale, upper * scale, float(level), used)


def dobson_limits(
    value: float, variance: float, total_cases: int, level: float = 0.95, method: str = "auto"
) -> tuple[float, float, str]:
    """Dobson's confidence limits of a weighted sum of Poisson counts, such as a DSR.

    ``value + sqrt(variance / O) * (O_lower - O)`` and likewise for the upper
    limit, where ``O`` is the total count and ``O_lower``, ``O_upper`` its Poisson
    limits (Dobson et al. 1991).

    Parameters
    ----------
    value
        The weighted sum (e.g. the DSR).
    variance
        Its variance, in the same units squared.
    total_cases
        The total observed count, 1 or more.
    level
        Confidence level.
    method
        How to find the limits of the total count: ``auto`` or ``byar`` (Byar's
        approximation, as Fingertips) or ``exact``.

    Returns
    -------
    tuple
        Lower limit, upper limit and the method (``dobson-byar`` or ``dobson-exact``).

    Raises
    ------
    InputError
        If the total count is below 1, or on a bad level or method.
    """
    total_cases = _check_cases(total_cases, "total cases")
    if total_cases < 1:
        raise InputError("Dobson's method needs at least one case")
    # The DSR is only calculated from 10 cases, where Fingertips uses Byar's limits.
    count_method = "exact" if _check_method(method) == "exact" else "byar"
    o_lower, o_upper, used = poisson_limits(total_cases, level, count_method)
    scale = math.sqrt(variance / total_cases)
    return (
        value + scale * (o_lower - total_cases),
        value + scale * (o_upper - total_cases),
        f"dobson-{used}",
    )


def dsr(
    cases: Sequence[int],
    person_years: Sequence[float],
    standard_population: Sequence[float],
    multiplier: float = DEFAULT_MULTIPLIER,
    level: float = 0.95,
    method: str = "auto",
    min_cases: int = MIN_CASES_DSR,
) -> Estimate:
    """Directly standardised rate with Dobson's confidence interval.

    ``DSR = sum(w_i * O_i / n_i) / sum(w_i)`` per ``multiplier``, with variance
    ``sum(w_i**2 * O_i / n_i**2) / sum(w_i)**2``, where ``O_i`` are the cases,
    ``n_i`` the person-years and ``w_i`` the standard population of band ``i``.

    Parameters
    ----------
    cases
        Cases in each age band.
    person_years
        Person-years in each age band, same order; each greater than 0.
    standard_population
        Standard population of each age band, same order.
    multiplier
        Express the rate per this many person-years.
    level
        Confidence level.
    method
        Poisson limits of the total count inside Dobson's method: ``auto`` and
        ``byar`` use Byar's approximation (Fingertips), ``exact`` exact limits.
    min_cases
        Below this total the DSR is not calculated (Fingertips: 10).

    Returns
    -------
    Estimate
        The DSR and its limits, or None values with the reason in ``note``.

    Raises
    ------
    InputError
        If the sequences differ in length or hold bad counts, person-years or
        weights.

    Examples
    --------
    >>> r = dsr([2, 8, 30], [5000, 8000, 4000], [3, 2, 1])
    >>> round(r.value, 1)
    178.3
    """
    counts = [_check_cases(c) for c in cases]
    pys = np.array([_check_person_years(p) for p in person_years], dtype=float)
    weights = np.asarray(standard_population, dtype=float)
    if not (len(counts) == len(pys) == len(weights)) or not counts:
        raise InputError(
            f"cases ({len(counts)}), person-years ({len(pys)}) and standard population "
            f"({len(weights)}) must have the same, non-zero number of age bands"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise InputError("standard population weights must be 0 or more, with a positive total")
    multiplier = _check_multiplier(multiplier)
    level = _check_level(level)
    _check_method(method)
    if min_cases < 1:
        raise InputError("min_cases must be at least 1: Dobson's method needs a case")
    total = sum(counts)
    if total < min_cases:
        note = f"not calculated: fewer than {min_cases} cases"
        return Estimate(None, None, None, level, None, note)
    obs = np.array(counts, dtype=float)
    share = weights / weights.sum()
    value = float(np.sum(share * obs / pys)) * multiplier
    variance = float(np.sum(share**2 * obs / pys**2)) * multiplier**2
    lower, upper, used = dobson_limits(value, variance, total, level, method)
    return Estimate(value, lower, upper, level, used)


def isr(
    cases: Sequence[int],
    person_years: Sequence[float],
    reference_cases: Sequence[int],
    reference_person_years: Sequence[float],
    level: float = 0.95,
    method: str = "auto",
) -> StandardisedRatio:
    """Indirectly standardised ratio: observed cases over those expected at reference rates.

    Expected cases are ``sum(n_i * R_i / N_i)`` over age bands, where ``n_i`` are the
    area's person-years and ``R_i / N_i`` the reference's age-specific rates. The
    limits are the Poisson limits of the observed count (exact or Byar) divided by
    the expected count.

    Parameters
    ----------
    cases, person_years
        The area's cases and person-years in each age band.
    reference_cases, reference_person_years
        The reference's cases and person-years in the same bands, same order.
    level
        Confidence level.
    method
        ``auto`` (Byar for 10 or more observed cases, exact below), ``byar`` or ``exact``.

    Returns
    -------
    StandardisedRatio
        Observed, expected, the ratio and its limits.

    Raises
    ------
    InputError
        On mismatched lengths, bad values, or a reference with no cases (nothing
        would be expected).

    Examples
    --------
    >>> r = isr([5, 10], [1000, 1000], [50, 200], [10000, 20000])
    >>> round(r.expected, 1), round(r.ratio, 2)
    (15.0, 1.0)
    """
    lengths = {len(cases), len(person_years), len(reference_cases), len(reference_person_years)}
    if len(lengths) != 1 or 0 in lengths:
        raise InputError("the area and the reference need the same, non-zero number of age bands")
    observed = sum(_check_cases(c) for c in cases)
    pys = np.array([_check_person_years(p) for p in person_years])
    ref_rates = np.array(
        [_check_cases(c, "reference cases") for c in reference_cases], dtype=float
    ) / np.array([_check_person_years(p, "reference person-years") for p in reference_person_years])
    expected = float(np.sum(pys * ref_rates))
    if expected <= 0:
        raise InputError("the reference has no cases, so no cases are expected; choose another")
    lower, upper, used = poisson_limits(observed, level, method)
    return StandardisedRatio(
        observed,
        expected,
        observed / expected,
        lower / expected,
        upper / expected,
        float(level),
        used,
    )


def compare(lower: float, upper: float, reference_value: float) -> str:
    """Compare an interval with a reference value.

    Parameters
    ----------
    lower, upper
        The area's confidence limits.
    reference_value
        The reference's rate (or 1 for a ratio).

    Returns
    -------
    str
        ``higher`` if the whole interval lies above the reference value, ``lower``
        if below, otherwise ``not different`` (the interval includes the value).

    Examples
    --------
    >>> compare(290.8, 457.8, 385.2)
    'not different'
    >>> compare(621.2, 649.6, 602.7)
    'higher'
    """
    if lower > reference_value:
        return "higher"
    if upper < reference_value:
        return "lower"
    return "not different"


def describe_comparison(significance: str, reference: str) -> str:
    """Put a comparison in words a resident can read.

    Parameters
    ----------
    significance
        ``higher``, ``lower`` or ``not different``, from :func:`compare`.
    reference
        What was compared with, e.g. ``England``.

    Returns
    -------
    str
        E.g. "significantly higher than England" or "not significantly different
        from England".
    """
    if significance == "not different":
        return f"not significantly different from {reference}"
    return f"significantly {significance} than {reference}"


# --------------------------------------------------------------------------- age bands

_RANGE_RE = re.compile(r"^(\d+)\s*(?:-|–|—|to)\s*(\d+)$")
_OPEN_RE = re.compile(
    r"^(\d+)\s*(?:\+|plus|and over|and above|and older|or over|or older|or more)$"
)
_NOISE_RE = re.compile(r"\b(?:aged|ages|age|years|year|yrs|yr)\b")
_MONTH_RE = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)


def normalise_age_band(label: str) -> str:
    """Return the standard spelling of an age-band label.

    ``"0-4"``, ``"00-04"``, ``"0 to 4"`` and ``"0-4 years"`` become ``"0-4"``;
    ``"90+"``, ``"90 and over"`` and ``"90 plus"`` become ``"90+"``. A label that
    is not recognised comes back stripped, so that a mismatch can name it.

    Parameters
    ----------
    label
        An age-band label as written in a table.

    Returns
    -------
    str
        ``"<low>-<high>"`` or ``"<low>+"``, or the stripped label.

    Examples
    --------
    >>> [normalise_age_band(s) for s in ["00-04", "5 to 9", "90 and over", "Aged 85+"]]
    ['0-4', '5-9', '90+', '85+']
    """
    text = str(label).strip()
    key = " ".join(_NOISE_RE.sub(" ", text.lower()).split())
    if match := _RANGE_RE.match(key):
        return f"{int(match[1])}-{int(match[2])}"
    if match := _OPEN_RE.match(key):
        return f"{int(match[1])}+"
    return text


def _match_bands(counts: AreaCounts, standard: StandardPopulation) -> str | None:
    """Describe how an area's age bands differ from the standard's, or None if they match."""
    have = set(counts.age_bands or ())
    want = set(standard.age_bands)
    if have == want:
        return None
    missing = [b for b in standard.age_bands if b not in have]
    extra = [b for b in counts.age_bands or () if b not in want]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("extra " + ", ".join(extra))
    hint = ""
    if any(_MONTH_RE.search(b) for b in extra):
        hint = " (some look like dates: a spreadsheet may have turned bands such as 5-9 into dates)"
    return f"{counts.area!r}: {'; '.join(parts)}{hint}"


# --------------------------------------------------------------------------- readers


def _read_csv(path: str | os.PathLike, what: str) -> tuple[dict[str, str], list[str], list]:
    """Read a CSV file that may start with ``# key: value`` comment lines.

    Returns the comments as a dict, the header, and ``(line number, row)`` pairs.
    """
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            lines = list(enumerate(csv.reader(fh), start=1))
    except FileNotFoundError as err:
        raise InputError(f"{what} {p} not found") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{what} {p} is not UTF-8 text; save it as CSV UTF-8") from err
    except (OSError, csv.Error) as err:
        raise InputError(f"cannot read {what} {p}: {err}") from err
    comments: dict[str, str] = {}
    header: list[str] | None = None
    rows = []
    for line_no, row in lines:
        if not row or not any(cell.strip() for cell in row):
            continue
        if row[0].lstrip().startswith("#"):
            key, _, value = ",".join(row).lstrip().lstrip("#").partition(":")
            if value:
                comments[key.strip().lower()] = value.strip()
            continue
        if header is None:
            header = [cell.strip() for cell in row]
        else:
            rows.append((line_no, row))
    if header is None:
        raise InputError(f"{what} {p} is empty: it needs a header row and data rows")
    return comments, header, rows


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _find_column(
    header: list[str], names: tuple[str, ...], required: bool, p: Path, what: str
) -> int | None:
    keys = [_column_key(h) for h in header]
    found = [i for i, k in enumerate(keys) if k in names]
    if len(found) > 1:
        both = " and ".join(header[i] for i in found)
        raise InputError(f"{what} {p} has columns {both}, which mean the same; keep one")
    if not found:
        if required:
            raise InputError(
                f"{what} {p} has no {names[0]} column (also accepted: "
                f"{', '.join(names[1:]) or 'none'}); its columns are {', '.join(header)}"
            )
        return None
    return found[0]


def _parse_number(text: str) -> float:
    # Published tables write 8,234; a quoted CSV cell keeps the comma.
    return float(text.strip().replace(",", "").replace("_", ""))


def read_standard_population(path: str | os.PathLike | None = None) -> StandardPopulation:
    """Read a standard population: the packaged ESP 2013 by default, or a CSV file.

    The file has columns ``age_band`` and ``population`` (one row per band) and
    may start with ``# name:``, ``# source:`` and ``# version:`` comment lines.

    Parameters
    ----------
    path
        A CSV file; None for the European Standard Population 2013 shipped in
        ``airq/data/esp2013.csv``.

    Returns
    -------
    StandardPopulation
        Normalised band labels and weights, in file order.

    Raises
    ------
    InputError
        If the file is missing, lacks a column, repeats a band, or holds a
        population that is not a number 0 or more.

    Examples
    --------
    >>> esp = read_standard_population()
    >>> esp.name, len(esp.age_bands), sum(esp.population)
    ('ESP2013', 19, 100000.0)
    """
    what = "standard population"
    if path is None:
        with resources.as_file(resources.files("airq.data") / _ESP2013_RESOURCE) as res:
            return read_standard_population(res)
    p = Path(path)
    comments, header, rows = _read_csv(p, what)
    band_col = _find_column(header, ("age_band", "ageband", "age", "age_group"), True, p, what)
    pop_col = _find_column(header, ("population", "weight", "standard_population"), True, p, what)
    bands: list[str] = []
    weights: list[float] = []
    problems: list[str] = []
    for line_no, row in rows:
        cells = row + [""] * (len(header) - len(row))
        band = normalise_age_band(cells[band_col])
        try:
            weight = _parse_number(cells[pop_col])
        except ValueError:
            weight = float("nan")
        if not math.isfinite(weight) or weight < 0:
            problems.append(
                f"line {line_no}, column {header[pop_col]}: {cells[pop_col]!r} "
                "is not a population of 0 or more"
            )
        if not band:
            problems.append(f"line {line_no}, column {header[band_col]}: empty age band")
        elif band in bands:
            problems.append(f"line {line_no}: age band {band} appears twice")
        bands.append(band)
        weights.append(weight)
    if not rows:
        problems.append("no age bands")
    elif not problems and sum(weights) <= 0:
        problems.append("the populations add up to 0")
    if problems:
        raise InputError(f"{what} {p}: " + "; ".join(problems))
    return StandardPopulation(
        name=comments.get("name", p.stem),
        age_bands=tuple(bands),
        population=tuple(weights),
        source=comments.get("source", ""),
        version=comments.get("version", ""),
    )


def read_rates_table(path: str | os.PathLike) -> list[AreaCounts]:
    """Read cases and person-years by area (and age band) from a CSV file.

    Columns (names are case-insensitive; spaces and hyphens count as ``_``):
    ``area``; ``age_band`` (or ``ageband``, ``age``, ``age_group``), optional;
    ``cases`` (or ``count``); ``person_years`` or ``population``. With age bands,
    give one row per area and band; without, one row per area.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    list of AreaCounts
        One per area, in the order areas first appear.

    Raises
    ------
    InputError
        If the file is missing or unreadable, a column is missing, or a value is
        bad (counts must be whole numbers 0 or more, person-years greater than 0);
        every problem is listed with its line and column.

    Examples
    --------
    >>> areas = read_rates_table("cancers.csv")  # doctest: +SKIP
    >>> areas[0].area, areas[0].total_cases  # doctest: +SKIP
    ('LSOA of interest', 79)
    """
    what = "rates table"
    p = Path(path)
    _, header, rows = _read_csv(p, what)
    area_col = _find_column(header, ("area", "area_name"), True, p, what)
    band_col = _find_column(header, ("age_band", "ageband", "age", "age_group"), False, p, what)
    cases_col = _find_column(header, ("cases", "count"), True, p, what)
    py_col = _find_column(header, ("person_years", "population"), True, p, what)
    denominator = "population" if _column_key(header[py_col]) == "population" else "person-years"
    problems: list[str] = []
    data: dict[str, list[tuple[str | None, int, float]]] = {}
    seen: dict[tuple[str, str | None], int] = {}
    for line_no, row in rows:
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        where = f"line {line_no}"
        area = cells[area_col]
        band = normalise_age_band(cells[band_col]) if band_col is not None else None
        if not area:
            problems.append(f"{where}, column {header[area_col]}: empty area name")
        if band_col is not None and not band:
            problems.append(f"{where}, column {header[band_col]}: empty age band")
        cases = _parse_cell(cells[cases_col], header[cases_col], where, problems, whole=True)
        person_years = _parse_cell(cells[py_col], header[py_col], where, problems, whole=False)
        if (area, band) in seen:
            again = f"age band {band} of " if band is not None else ""
            problems.append(
                f"{where}: {again}area {area!r} already given on line {seen[area, band]}"
            )
            continue
        seen[area, band] = line_no
        data.setdefault(area, []).append((band, cases, person_years))
    if not rows:
        problems.append("no data rows")
    if problems:
        shown = problems[:_MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        tail = f"; and {more} more" if more else ""
        raise InputError(f"{what} {p}: " + "; ".join(shown) + tail)
    return [
        AreaCounts(
            area=area,
            cases=tuple(int(r[1]) for r in recs),
            person_years=tuple(float(r[2]) for r in recs),
            age_bands=tuple(r[0] for r in recs) if band_col is not None else None,
            denominator=denominator,
        )
        for area, recs in data.items()
    ]


def _parse_cell(text: str, column: str, where: str, problems: list[str], whole: bool):
    """Parse a count (``whole``) or a person-years cell, noting any problem."""
    place = f"{where}, column {column}"
    if not text:
        problems.append(f"{place}: empty value")
        return None
    try:
        value = _parse_number(text)
    except ValueError:
        problems.append(f"{place}: {text!r} is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"{place}: {text!r} is not a finite number")
    elif whole and value != int(value):
        problems.append(f"{place}: {text!r} is not a whole number of cases")
    elif whole and value < 0:
        problems.append(f"{place}: {text!r} is negative; counts are 0 or more")
    elif not whole and value <= 0:
        problems.append(f"{place}: {text!r} must be greater than 0")
    else:
        return value
    return None


def area_totals(
    area: str, cases: int, person_years: float, denominator: str = "person-years"
) -> AreaCounts:
    """Build the counts of one area from its totals (no age bands).

    Parameters
    ----------
    area
        Name of the area.
    cases
        Observed cases, a whole number 0 or more.
    person_years
        Person-years (or population), greater than 0.
    denominator
        ``person-years`` or ``population``, for the output labels.

    Returns
    -------
    AreaCounts
        The totals, ready for :func:`rate_table`.

    Raises
    ------
    InputError
        On a bad count or person-years.
    """
    return AreaCounts(
        area=area,
        cases=(_check_cases(cases),),
        person_years=(_check_person_years(person_years),),
        denominator=denominator,
    )


# --------------------------------------------------------------------------- the table


def rate_table(
    areas: Sequence[AreaCounts],
    standard: StandardPopulation | None = None,
    multiplier: float = DEFAULT_MULTIPLIER,
    level: float = 0.95,
    method: str = "auto",
    reference: str | None = None,
    reference_rate: float | None = None,
) -> list[RateResult]:
    """Compute the rate table: crude rate, DSR, ISR and comparison for each area.

    Parameters
    ----------
    areas
        Counts of each area, from :func:`read_rates_table` or :func:`area_totals`.
    standard
        Standard population for the DSR; None for ESP 2013. Only used for areas
        with age bands, whose bands must match it.
    multiplier
        Rates per this many person-years.
    level
        Confidence level of every interval, e.g. 0.95 or 0.998.
    method
        ``auto``, ``byar`` or ``exact`` (see :func:`crude_rate` and :func:`dsr`).
    reference
        Name of the area to compare with. With age bands, each area also gets its
        ISR against the reference's age-specific rates. The comparison uses the
        DSRs when both the area and the reference have one; else the ISR (whose
        interval must include 1); else, without age bands, the crude rates.
    reference_rate
        Alternatively, a crude rate per ``multiplier`` to compare crude rates with.

    Returns
    -------
    list of RateResult
        One per area, in input order.

    Raises
    ------
    InputError
        If an area's age bands do not match the standard (missing and extra bands
        named), the reference area is not in the table, both kinds of reference
        are given, or any value is bad.

    Examples
    --------
    >>> [r] = rate_table([area_totals("LSOA", 79, 21_507)], reference_rate=385.2)
    >>> round(r.crude_rate, 1), r.comparison
    (367.3, 'not significantly different from the reference rate of 385.2')
    """
    if reference is not None and reference_rate is not None:
        raise InputError("give a reference area or a reference rate, not both")
    if reference_rate is not None and (not math.isfinite(reference_rate) or reference_rate < 0):
        raise InputError(f"reference rate {reference_rate} must be a number 0 or more")
    multiplier = _check_multiplier(multiplier)
    level = _check_level(level)
    _check_method(method)
    by_name = {a.area: a for a in areas}
    if reference is not None and reference not in by_name:
        raise InputError(
            f"reference area {reference!r} is not in the table; its areas are "
            + ", ".join(repr(a.area) for a in areas)
        )
    if any(a.age_bands is not None for a in areas) and standard is None:
        standard = read_standard_population()
    mismatches = [m for a in areas if a.age_bands is not None and (m := _match_bands(a, standard))]
    if mismatches:
        raise InputError(
            f"age bands do not match the standard population {standard.name} "
            f"({', '.join(standard.age_bands)}): " + "; ".join(mismatches)
        )
    base = {a.area: _area_rates(a, standard, multiplier, level, method) for a in areas}
    if reference is not None:
        return [
            _compare_with_area(base[a.area], a, base[reference], by_name[reference], method)
            for a in areas
        ]
    if reference_rate is not None:
        return [_compare_with_rate(base[a.area], reference_rate) for a in areas]
    return [base[a.area] for a in areas]


def _in_standard_order(counts: AreaCounts, standard: StandardPopulation):
    """Return cases and person-years ordered like the standard's bands."""
    index = {band: i for i, band in enumerate(counts.age_bands or ())}
    order = [index[band] for band in standard.age_bands]
    return [counts.cases[i] for i in order], [counts.person_years[i] for i in order]


def _area_rates(
    counts: AreaCounts, standard: StandardPopulation | None, multiplier, level, method
) -> RateResult:
    for band, py in zip(counts.age_bands or (), counts.person_years, strict=False):
        if py <= 0:
            raise InputError(f"{counts.area!r}, age band {band}: person-years must be above 0")
    crude = crude_rate(counts.total_cases, counts.total_person_years, multiplier, level, method)
    if counts.age_bands is None or standard is None:
        direct = Estimate(None, None, None, level, None, "not calculated: no age bands given")
    else:
        cases, pys = _in_standard_order(counts, standard)
        direct = dsr(cases, pys, standard.population, multiplier, level, method)
    return RateResult(
        area=counts.area,
        cases=counts.total_cases,
        person_years=counts.total_person_years,
        denominator=counts.denominator,
        multiplier=multiplier,
        level=level,
        crude_rate=crude.value,
        crude_lower=crude.lower,
        crude_upper=crude.upper,
        method=crude.method,
        dsr=direct.value,
        dsr_lower=direct.lower,
        dsr_upper=direct.upper,
        dsr_method=direct.method,
        dsr_note=direct.note,
        standard=standard.name if counts.age_bands is not None and standard else None,
    )


def _compare_with_area(
    result: RateResult, counts: AreaCounts, ref: RateResult, ref_counts: AreaCounts, method: str
) -> RateResult:
    changes: dict = {"reference": ref.area}
    if result.area == ref.area:
        changes["comparison"] = "reference"
        return replace(result, **changes)
    ratio = None
    if counts.age_bands is not None and ref_counts.age_bands is not None and ref.cases > 0:
        order = StandardPopulation("order", ref_counts.age_bands, (1.0,) * len(ref_counts.cases))
        cases, pys = _in_standard_order(counts, order)
        ref_cases, ref_pys = _in_standard_order(ref_counts, order)
        ratio = isr(cases, pys, ref_cases, ref_pys, result.level, method)
        changes.update(
            expected=ratio.expected, isr=ratio.ratio, isr_lower=ratio.lower, isr_upper=ratio.upper
        )
    # Prefer an age-adjusted comparison: the DSRs, or for too few cases for a DSR the
    # ratio to the reference's age-specific rates (1 = as expected); crude rates last.
    if result.dsr is not None and ref.dsr is not None:
        basis, value = "age-standardised rate", ref.dsr
        lower, upper = result.dsr_lower, result.dsr_upper
    elif ratio is not None:
        basis, value, lower, upper = "standardised ratio", 1.0, ratio.lower, ratio.upper
    else:
        basis, value = "crude rate", ref.crude_rate
        lower, upper = result.crude_lower, result.crude_upper
    significance = compare(lower, upper, value)
    changes.update(
        comparison_basis=basis,
        reference_value=value,
        significance=significance,
        comparison=describe_comparison(significance, ref.area),
    )
    return replace(result, **changes)


def _compare_with_rate(result: RateResult, reference_rate: float) -> RateResult:
    name = f"the reference rate of {reference_rate:g}"
    significance = compare(result.crude_lower, result.crude_upper, reference_rate)
    return replace(
        result,
        reference=name,
        reference_value=float(reference_rate),
        comparison_basis="crude rate",
        significance=significance,
        comparison=describe_comparison(significance, name),
    )


def rates_provenance(table=None, standard=None, **settings) -> dict:
    """Record what a rate table was made from: inputs with SHA-256, settings, airq version.

    Parameters
    ----------
    table
        The CSV of cases and person-years, or ``None`` for the one-line form.
    standard
        A standard population CSV, or ``None`` for the packaged ESP 2013.
    **settings
        The options used (multiplier, level, CI method, reference...).

    Returns
    -------
    dict
        JSON-ready provenance.
    """
    from datetime import UTC, datetime

    from airq import __version__
    from airq.read.grids import sha256_file

    inputs = []
    for role, path in (("table", table), ("standard_population", standard)):
        if path is not None:
            inputs.append({"role": role, "source": str(path), "sha256": sha256_file(path)})
    if standard is None:
        inputs.append({"role": "standard_population",
                       "source": "airq/data/esp2013.csv (European Standard Population 2013)"})
    return {"airq_version": __version__,
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": inputs, "settings": settings}
