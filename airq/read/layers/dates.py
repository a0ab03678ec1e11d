"""Dates as written in land-use layers (years, ISO, UK day-first, months), with the raw text."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ParsedDate:
    """A date as written and as understood.

    Attributes
    ----------
    value
        ISO text at the precision written: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
        None when blank or not understood.
    raw
        The value as written in the layer (None when blank).
    flag
        Why the date needs a human look (not understood, in the future), or None.
    """

    value: str | None
    raw: str | None
    flag: str | None = None

    @property
    def year(self) -> int | None:
        """The year, or None."""
        return int(self.value[:4]) if self.value else None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


_RE_YEAR = re.compile(r"^(\d{4})$")


_RE_ISO = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


_RE_UK = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


_RE_YM = re.compile(r"^(\d{4})-(\d{1,2})$")


_RE_MY = re.compile(r"^(\d{1,2})/(\d{4})$")


_RE_DMY_TEXT = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,})\.?,?\s+(\d{4})$")


_RE_MY_TEXT = re.compile(r"^([A-Za-z]{3,})\.?,?\s+(\d{4})$")


def parse_date(value: Any) -> ParsedDate:
    """Understand a date as written in a land-use layer, keeping the original text.

    Accepts years (``1931``), ISO dates (``1931-05-01``, with or without a time),
    UK day-first dates (``01/05/1931``), months (``1931-05``, ``05/1931``, ``May 1931``),
    ``1 May 1931``, numbers holding a year, and date or datetime objects. Anything
    else is kept as written with a flag; it is never dropped.

    Parameters
    ----------
    value
        The attribute value.

    Returns
    -------
    ParsedDate
        ``value`` None with ``flag`` set when the text is not understood;
        all None when blank.

    Examples
    --------
    >>> parse_date("31/12/1948").value
    '1948-12-31'
    >>> parse_date("about 1930").flag
    "'about 1930' is not a date airq understands; kept as written"
    """
    if value is None:
        return ParsedDate(None, None)
    if isinstance(value, float) and math.isnan(value):
        return ParsedDate(None, None)
    if value is pd.NaT:
        return ParsedDate(None, None)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return _unparsed(str(value))
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return _checked(value.date().isoformat(), value.isoformat())
    if isinstance(value, dt.date):
        return _checked(value.isoformat(), value.isoformat())
    if isinstance(value, (int, float)):
        raw = str(value)
        if float(value).is_integer() and 1000 <= value <= 2999:
            return _checked(f"{int(value):04d}", raw)
        return _unparsed(raw)
    raw = str(value)
    text = raw.strip()
    if not text:
        return ParsedDate(None, None)
    iso = _parse_text(text)
    if iso is None:
        return _unparsed(raw)
    return _checked(iso, raw)


def _parse_text(text: str) -> str | None:
    if m := _RE_YEAR.match(text):
        return m.group(1)
    if m := _RE_ISO.match(text):
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _RE_UK.match(text):
        return _ymd(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _RE_YM.match(text):
        return _ym(int(m.group(1)), int(m.group(2)))
    if m := _RE_MY.match(text):
        return _ym(int(m.group(2)), int(m.group(1)))
    if m := _RE_DMY_TEXT.match(text):
        month = _MONTHS.get(m.group(2)[:3].lower())
        return _ymd(int(m.group(3)), month, int(m.group(1))) if month else None
    if m := _RE_MY_TEXT.match(text):
        month = _MONTHS.get(m.group(1)[:3].lower())
        return _ym(int(m.group(2)), month) if month else None
    return None


def _ymd(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _ym(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


def _unparsed(raw: str) -> ParsedDate:
    return ParsedDate(None, raw, f"{raw!r} is not a date airq understands; kept as written")


def _checked(iso: str, raw: str) -> ParsedDate:
    if iso[:4] > str(dt.date.today().year):
        return ParsedDate(iso, raw, f"{raw!r} is in the future; check the layer")
    return ParsedDate(iso, raw)
