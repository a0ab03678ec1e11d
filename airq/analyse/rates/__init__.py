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

The code is split by concept: :mod:`~airq.analyse.rates.limits` (Poisson, Byar and
Dobson limits), :mod:`~airq.analyse.rates.standardise` (crude rate, DSR, ISR) and
:mod:`~airq.analyse.rates.table` (the table and its comparisons); the CSV readers are
in :mod:`airq.read.rates_table`. Every public name is re-exported here.
"""

from __future__ import annotations

from airq.analyse.rates.limits import (
    CI_METHODS,
    DEFAULT_MULTIPLIER,
    LEVELS,
    MIN_CASES_BYAR,
    MIN_CASES_DSR,
    byar_limits,
    dobson_limits,
    exact_poisson_limits,
    poisson_limits,
)
from airq.analyse.rates.standardise import Estimate, StandardisedRatio, crude_rate, dsr, isr
from airq.analyse.rates.table import (
    SIGNIFICANCE,
    RateResult,
    area_totals,
    compare,
    describe_comparison,
    rate_table,
    rates_provenance,
)
from airq.read.rates_table import (
    AreaCounts,
    StandardPopulation,
    normalise_age_band,
    read_rates_table,
    read_standard_population,
)

__all__ = ["CI_METHODS", "DEFAULT_MULTIPLIER", "LEVELS", "MIN_CASES_BYAR", "MIN_CASES_DSR",
           "SIGNIFICANCE", "AreaCounts", "Estimate", "RateResult", "StandardPopulation",
           "StandardisedRatio", "area_totals", "byar_limits", "compare", "crude_rate",
           "describe_comparison", "dobson_limits", "dsr", "exact_poisson_limits", "isr",
           "normalise_age_band", "poisson_limits", "rate_table", "rates_provenance",
           "read_rates_table", "read_standard_population"]
