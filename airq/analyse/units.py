"""Units of a grid against the objectives' µg/m³: conversions where defined, else no verdict.

Objectives are in µg/m³. A grid in ppb (NO2 or NOx) is converted with the factor at
20 °C and 1013 hPa used in UK and EU air-quality reporting (1 ppb NO2 = 1.91 µg/m³;
NOx is expressed as NO2); mass concentrations in mg/m³ or ng/m³ are scaled. Where no
conversion is defined (PM in ppb, unknown units) the result gets no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from airq.read.grids import UGM3, normalise_units

#: ppb to µg/m³ at 20 °C and 1013 hPa: molar mass of NO2 (46.01 g/mol) over the molar
#: volume at those conditions (24.06 l/mol). NOx is reported as NO2.
PPB_TO_UGM3 = {"no2": 1.91, "nox": 1.91}
CONDITIONS = "20 °C and 1013 hPa"
_MASS = {UGM3: 1.0, "mg/m³": 1000.0, "ng/m³": 0.001}
@dataclass(frozen=True)
class UnitsPlan:
    """How a grid's values become comparable with the objectives.

    ``factor`` multiplies the values (1 when already in µg/m³; None when no conversion
    is defined, so the result gets no verdict); ``note`` says what was done, for the
    method text; ``no_verdict`` why there is no verdict.
    """

    units: str
    factor: float | None
    note: str | None = None
    no_verdict: str | None = None


def plan_units(pollutant: str, units: str | None) -> UnitsPlan:
    """Decide how to compare a grid of ``pollutant`` in ``units`` with the objectives.

    Examples
    --------
    >>> plan_units("no2", "ppb").factor
    1.91
    >>> plan_units("pm10", "ppb").no_verdict
    'units ppb cannot be compared with the objective in µg/m³ (no conversion is defined for PM10)'
    """
    from airq.read.grids import POLLUTANTS

    u = normalise_units(units) or UGM3
    if pollutant == "pm10d" or u == UGM3:
        return UnitsPlan(u, 1.0)
    name = POLLUTANTS.get(pollutant, pollutant)
    if u in _MASS:
        f = _MASS[u]
        return UnitsPlan(UGM3, f, f"values in {u} converted to µg/m³ (x {f:g})")
    if u in ("ppb", "ppm") and pollutant in PPB_TO_UGM3:
        f = PPB_TO_UGM3[pollutant] * (1000.0 if u == "ppm" else 1.0)
        return UnitsPlan(UGM3, f, f"values in {u} converted to µg/m³ (x {f:g}, {name} at "
                                  f"{CONDITIONS})")
    why = (f"no conversion is defined for {name}" if u in ("ppb", "ppm") else
           "airq does not know these units")
    return UnitsPlan(u, None, None, f"units {u} cannot be compared with the objective in "
                                    f"µg/m³ ({why})")
