"""Attribute values of land-use layers made JSON-ready: text, plain values, Yes/blank flags."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd


def text_value(value: Any) -> str | None:
    """Return an attribute value as stripped text, or None when missing or blank."""
    v = plain_value(value)
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def plain_value(value: Any) -> Any:
    """Return a JSON-ready version of an attribute value (None for missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


_FLAG_TRUE = {"yes", "y", "true", "t", "1"}


def flag_set(value: Any) -> bool:
    """Whether a Yes/blank flag field is set."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).strip().lower() in _FLAG_TRUE
