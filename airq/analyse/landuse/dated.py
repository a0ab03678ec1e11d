"""Which land-use records a map of a given year would show: by map epoch or by their dates."""

from __future__ import annotations

from collections.abc import Iterable


def _year(value: str | None) -> int | None:
    if value and len(value) >= 4 and value[:4].isdigit():
        return int(value[:4])
    return None


def records_at_epoch(records: Iterable, year: int | None, tolerance_years: int = 0) -> list:
    """Return the records that existed in ``year``: those dated to it, nothing undated.

    A record of a map-epoch layer belongs to the year of its epoch; any other record
    counts when its start year is at or before ``year`` and its end year (if any) at or
    after it, within ``tolerance_years``. Records without a readable start date are
    left out: an extract shows only what is dated to it.

    Parameters
    ----------
    records
        :class:`~airq.analyse.landuse.LandUseRecord` objects.
    year
        The map's year; None gives no records.
    tolerance_years
        Slack on both ends (map epochs are survey years, dates are often rounded).

    Returns
    -------
    list
        The records, in the order given.

    Examples
    --------
    >>> [r.name for r in records_at_epoch(screening.records, 1938)]  # doctest: +SKIP
    ['Former Clay Lane Pit', 'Clay Lane Gravel Pit']
    """
    if year is None:
        return []
    out = []
    for r in records:
        if r.epoch is not None:
            if isinstance(r.epoch, int) and abs(r.epoch - year) <= tolerance_years:
                out.append(r)
            continue
        start, end = _year(r.start), _year(r.end)
        if start is None:
            continue
        if start - tolerance_years <= year and (end is None or year <= end + tolerance_years):
            out.append(r)
    return out
