"""Poisson confidence limits of a count: exact, Byar's approximation, and Dobson's method.

The checks of counts, levels and methods that every rate function shares live here too.
"""

from __future__ import annotations

import math

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
