"""The Environment Agency Historic Landfill Sites schema: field names and the details of a site.

Field names as published; matched case-insensitively because shapefile exports are
often upper case.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from airq.read.layers.dates import parse_date
from airq.read.layers.values import flag_set, text_value

# Environment Agency Historic Landfill Sites (field names as published; matched
# case-insensitively because shapefile exports are often upper case).
EA_SCHEMA = "ea-historic-landfill"


EA_REQUIRED = ("hld_ref", "site_name")


EA_DATES = ("firstinput", "lastinput")


EA_WASTE_FLAGS = {
    "inert": "inert",
    "industrial": "industrial",
    "commercial": "commercial",
    "household": "household",
    "special": "special",
    "liqsludge": "liquid sludge",
    "wasteunk": "unknown",
}


EA_TEXT_DETAILS = {
    "site_add": "site_address",
    "lic_hold": "licence_holder",
    "licholdadd": "licence_holder_address",
    "siteopname": "operator",
    "siteopadd": "operator_address",
    "ea_region": "ea_region",
    "ea_area": "ea_area",
}


EA_DATE_DETAILS = {"lic_issue": "licence_issued", "lic_surren": "licence_surrendered"}


EA_LICENCE_FLAGS = {"licenced": "licensed", "exempt": "exempt", "nolicreq": "no licence required"}


def landfill_details(row: pd.Series) -> dict:
    """Waste types from the Yes/blank flags, controls, licence holder and dates."""
    lower = {str(c).lower(): c for c in row.index}

    def get(name):
        return row[lower[name]] if name in lower else None

    details: dict[str, Any] = {
        "waste_types": [label for f, label in EA_WASTE_FLAGS.items() if flag_set(get(f))],
        "gas_control": "yes" if flag_set(get("gascontrol")) else "not recorded",
        "leachate_control": "yes" if flag_set(get("leachatcnt")) else "not recorded",
        "licence": [label for f, label in EA_LICENCE_FLAGS.items() if flag_set(get(f))],
    }
    for f, key in EA_TEXT_DETAILS.items():
        if (v := text_value(get(f))) is not None:
            details[key] = v
    for f, key in EA_DATE_DETAILS.items():
        parsed = parse_date(get(f))
        if parsed.raw is not None:
            details[key] = parsed.value or parsed.raw
    return details
