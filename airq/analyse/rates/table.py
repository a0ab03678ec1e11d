"""The rate table: each area's rates, compared with a reference area or rate."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from airq.analyse.rates.limits import (
    DEFAULT_MULTIPLIER,
    _check_cases,
    _check_level,
    _check_method,
    _check_multiplier,
    _check_person_years,
)
from airq.analyse.rates.standardise import Estimate, crude_rate, dsr, isr
from airq.errors import InputError
from airq.read.rates_table import AreaCounts, StandardPopulation, read_standard_population

#: Outcomes of a comparison with a reference value.
SIGNIFICANCE = ("higher", "lower", "not different")

_MONTH_RE = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)


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
    from airq.record import working_dir

    return {"airq_version": __version__,
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": inputs, "settings": settings, "working_dir": working_dir()}
