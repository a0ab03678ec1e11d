"""Working days (Monday to Friday, not an England and Wales bank holiday) and overdue cases.

Bank holidays come from the ``holidays`` package (offline): England's list, which is
also Wales's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from airq.case.events import Case

#: Default: the reporter should hear from the council at least every 20 working days.
DEFAULT_WORKING_DAYS = 20
#: Where the bank holidays come from, for outputs.
HOLIDAYS_NOTE = "England and Wales bank holidays from the holidays package"


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in England and Wales.

    Examples
    --------
    >>> is_working_day(date(2018, 8, 27))  # Late Summer Bank Holiday
    False
    """
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """Return the ``n``-th working day after ``start``.

    Examples
    --------
    >>> add_working_days(date(2018, 12, 21), 2)  # over Christmas
    datetime.date(2018, 12, 27)
    """
    day = start
    left = n
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Count working days after ``start`` up to and including ``end`` (0 if end <= start).

    Examples
    --------
    >>> working_days_between(date(2018, 7, 16), date(2018, 7, 23))
    5
    """
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


@dataclass(frozen=True)
class CaseStatus:
    """Where a case stood on a day: open or closed, and whether an update is overdue.

    Attributes
    ----------
    reference, reporter, received
        The case.
    as_of
        The day this status describes.
    state
        ``open`` or ``closed``.
    outcome
        The stage 1 outcome once closed.
    last_update
        The last day the reporter was given an update (a ``contact`` event), or None.
    since
        The day the clock runs from: the last update, else the day received.
    working_days
        Working days from ``since`` to ``as_of``.
    due
        The day the next update was due (``limit`` working days after ``since``).
    overdue
        Open, and ``as_of`` is after ``due``.
    limit
        The working days allowed between updates.
    events
        Events recorded by then.
    """

    reference: str
    reporter: str
    received: date
    as_of: date
    state: str
    outcome: str | None
    last_update: date | None
    since: date
    working_days: int
    due: date
    overdue: bool
    limit: int
    events: int

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {"reference": self.reference, "reporter": self.reporter,
                "received": self.received.isoformat(), "as_of": self.as_of.isoformat(),
                "state": self.state, "outcome": self.outcome,
                "last_update": self.last_update and self.last_update.isoformat(),
                "working_days_since_update": self.working_days, "update_due": self.due.isoformat(),
                "overdue": self.overdue, "limit_working_days": self.limit,
                "events": self.events}


def case_status(case: Case, as_of: date, limit: int = DEFAULT_WORKING_DAYS) -> CaseStatus | None:
    """Return where ``case`` stood at the end of ``as_of``, or None if not yet received.

    An open case is overdue when the reporter has had no update (a ``contact`` event)
    for more than ``limit`` working days: since the last contact, or since the
    enquiry was received when there has been none.

    Parameters
    ----------
    case
        The case with all its events.
    as_of
        The day to judge; only events that happened by its end count.
    limit
        Working days allowed between updates (default 20).

    Returns
    -------
    CaseStatus or None
    """
    if limit < 1:
        raise ValueError("the working-day limit must be at least 1")
    if case.received > as_of:
        return None
    then = case.as_of(as_of)
    contacts = [e.day for e in then.events if e.kind == "contact"]
    last_update = max(contacts) if contacts else None
    since = max(last_update or then.received, then.received)
    due = add_working_days(since, limit)
    closed = then.closing is not None
    return CaseStatus(
        reference=case.reference, reporter=case.reporter, received=case.received, as_of=as_of,
        state="closed" if closed else "open", outcome=then.outcome, last_update=last_update,
        since=since, working_days=working_days_between(since, as_of), due=due,
        overdue=not closed and as_of > due, limit=limit, events=len(then.events))


def case_statuses(cases, as_of: date, limit: int = DEFAULT_WORKING_DAYS, *,
                  only_open: bool = False, only_overdue: bool = False) -> list[CaseStatus]:
    """Return the status of every case received by ``as_of``, filtered as asked.

    Parameters
    ----------
    cases
        The cases (:func:`airq.case.register.load_cases`).
    as_of, limit
        As for :func:`case_status`.
    only_open, only_overdue
        Keep only open cases, or only overdue ones.
    """
    out = [s for c in cases if (s := case_status(c, as_of, limit)) is not None]
    return [s for s in out if (not only_open or s.state == "open")
            and (not only_overdue or s.overdue)]
