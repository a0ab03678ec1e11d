"""Rates of one area: the crude rate, the directly standardised rate (DSR) and the ISR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from airq.analyse.rates.limits import (
    DEFAULT_MULTIPLIER,
    MIN_CASES_DSR,
    _check_cases,
    _check_level,
    _check_method,
    _check_multiplier,
    _check_person_years,
    dobson_limits,
    poisson_limits,
)
from airq.errors import InputError


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
