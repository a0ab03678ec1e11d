"""What a case is made of: its events, stage 1 outcomes, PHE's tracks, the frozen Case.

Events are opened, contact, note, referral, decision, attachment and closed.

Pure: no database here. :mod:`airq.case.register` stores events; renderers take a
:class:`Case`.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from airq.errors import InputError

#: Kinds an officer logs with ``airq case log``.
LOG_KINDS = ("contact", "note", "referral", "decision")
#: Every kind of event.
KINDS = ("opened", *LOG_KINDS, "attachment", "closed")

#: Stage 1 outcomes (PHE 2019 guidance on non-infectious disease clusters).
OUTCOMES = ("stop-agreed", "stop-not-public-health", "proceed-stage-2a")
#: Each outcome in plain language, for the reporter.
OUTCOME_TEXT = {
    "stop-agreed": (
        "You and the investigating officer agreed that no further investigation is needed, "
        "so the investigation stopped at stage 1."),
    "stop-not-public-health": (
        "The investigation found that the cases reported are not of public health "
        "importance, so it stopped at stage 1, although you may not agree with this. We "
        "will still answer your questions."),
    "proceed-stage-2a": (
        "Further investigation is needed: the enquiry moves on to stage 2a, a closer look "
        "at the cases and at possible causes in the environment. We will keep you informed."),
}
#: Short label of each outcome, for tables.
OUTCOME_LABEL = {"stop-agreed": "stop, agreed with the reporter",
                 "stop-not-public-health": "stop, not of public health importance",
                 "proceed-stage-2a": "proceed to stage 2a"}

#: PHE's three tracks, run in parallel.
TRACKS = ("exposure", "health", "communication")
TRACK_TEXT = {"exposure": "exposure (air quality, land use, maps)",
              "health": "health (cancer rates)",
              "communication": "communication (letters and other documents)"}

#: Environment variable naming the officer who records events.
OFFICER_ENV = "AIRQ_OFFICER"
#: Times officers give are UK local time.
UK = ZoneInfo("Europe/London")

_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]{0,63}$")
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


@dataclass(frozen=True)
class Event:
    """One recorded event of a case.

    Attributes
    ----------
    seq
        Its number in the case, from 1 (the order it was recorded in).
    kind
        One of :data:`KINDS`.
    at
        When it happened: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` (UK local time).
    recorded_at
        When airq recorded it (UTC, ``...Z``).
    officer
        Who recorded it.
    text
        The officer's words (the concern, for the opening event).
    data
        Details by kind: the reporter (opened), the file and its SHA-256
        (attachment), the outcome (closed), how the officer was named (all).
    hash, prev_hash
        Its link in the case's hash chain.
    """

    seq: int
    kind: str
    at: str
    recorded_at: str
    officer: str
    text: str
    data: dict
    hash: str
    prev_hash: str

    @property
    def when(self) -> str:
        """When it happened, for display: ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``."""
        return self.at.replace("T", " ")

    @property
    def day(self) -> date:
        """The date it happened.

        Raises
        ------
        CaseError
            If ``at`` holds no date (changed outside airq).
        """
        try:
            return date.fromisoformat(self.at[:10])
        except (TypeError, ValueError) as err:
            from airq.errors import CaseError

            raise CaseError(f"event {self.seq} ({self.kind}) has the date {self.at!r}, not a "
                            "date airq wrote: the record was changed outside airq; run "
                            "`airq case verify`") from err

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {"seq": self.seq, "kind": self.kind, "at": self.at,
                "recorded_at": self.recorded_at, "by": self.officer, "text": self.text,
                "data": dict(self.data), "hash": self.hash, "prev_hash": self.prev_hash}


@dataclass(frozen=True)
class Attachment:
    """A file attached to a case: what it is, its track and its checksum."""

    seq: int
    at: str
    officer: str
    name: str
    sha256: str
    size: int
    kind: str
    track: str
    description: str
    synthetic: bool
    note: str

    @classmethod
    def from_event(cls, e: Event) -> Attachment:
        """Build from an ``attachment`` event."""
        d = e.data
        return cls(seq=e.seq, at=e.at, officer=e.officer, name=str(d.get("name", "")),
                   sha256=str(d.get("sha256", "")), size=int(d.get("size", 0)),
                   kind=str(d.get("kind", "document")), track=str(d.get("track", "")),
                   description=str(d.get("description", "")),
                   synthetic=bool(d.get("synthetic", False)), note=e.text)

    def to_dict(self) -> dict:
        """Return JSON-ready values."""
        return {"event": self.seq, "at": self.at, "by": self.officer, "name": self.name,
                "sha256": self.sha256, "size": self.size, "kind": self.kind,
                "track": self.track, "description": self.description,
                "synthetic": self.synthetic, "note": self.note}


@dataclass(frozen=True)
class Case:
    """A case as recorded: its opening details and every event, in recording order.

    Attributes
    ----------
    reference
        The case reference.
    events
        Every event, by ``seq``.
    database
        The register it was read from (password hidden).
    problems
        What the hash chain found wrong when the case was read (events changed behind
        airq's back); empty when the record is intact.
    """

    reference: str
    events: tuple[Event, ...]
    database: str = ""
    problems: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "attachments", tuple(
            Attachment.from_event(e) for e in self.events if e.kind == "attachment"))

    @property
    def opening(self) -> Event:
        """The opening event."""
        return next(e for e in self.events if e.kind == "opened")

    @property
    def reporter(self) -> str:
        """Who reported the concern."""
        return str(self.opening.data.get("reporter", ""))

    @property
    def concern(self) -> str:
        """The concern as received."""
        return self.opening.text

    @property
    def received(self) -> date:
        """The date the enquiry was received."""
        return self.opening.day

    @property
    def postcode(self) -> str | None:
        """The postcode given, if any."""
        return self.opening.data.get("postcode")

    @property
    def address(self) -> str | None:
        """The address given, if any."""
        return self.opening.data.get("address")

    @property
    def closing(self) -> Event | None:
        """The ``closed`` event, or None while the case is open."""
        return next((e for e in self.events if e.kind == "closed"), None)

    @property
    def outcome(self) -> str | None:
        """The stage 1 outcome, or None while open."""
        c = self.closing
        return None if c is None else c.data.get("outcome")

    @property
    def synthetic(self) -> bool:
        """Whether any attachment is built from synthetic demo data."""
        return any(a.synthetic for a in self.attachments)

    @property
    def head(self) -> Event:
        """The last event recorded (the chain's head)."""
        return self.events[-1]

    def timeline(self) -> tuple[Event, ...]:
        """Return the events in the order they happened (recording order breaks ties)."""
        return tuple(sorted(self.events, key=lambda e: (sort_key(e.at), e.seq)))

    def as_of(self, day: date) -> Case:
        """Return the case as it stood at the end of ``day``: events that happened by then."""
        return Case(self.reference, tuple(e for e in self.events if e.day <= day),
                    self.database, self.problems)


def sort_key(at: str) -> str:
    """Return a key that orders ``YYYY-MM-DD`` before any time on that day."""
    return at if "T" in at else f"{at}T00:00"


def now_utc() -> str:
    """Return the current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today_uk() -> date:
    """Today's date in the UK."""
    return datetime.now(UK).date()


def parse_day(text: str, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD``.

    Raises
    ------
    InputError
        If ``text`` is not a calendar date written so.

    Examples
    --------
    >>> parse_day("2018-04-09")
    datetime.date(2018, 4, 9)
    """
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError as err:
        raise InputError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD, "
                         "e.g. 2018-04-09") from err


def parse_received(text: str) -> date:
    """Parse the date an enquiry was received: ``YYYY-MM-DD``, not in the future.

    Raises
    ------
    InputError
        If it is not a date, or lies in the future.
    """
    day = parse_day(text)
    if day > today_uk():
        raise InputError(f"{day} is in the future; give the date the enquiry was received")
    return day


def parse_at(text: str | None, now: datetime | None = None) -> str:
    """Parse when something happened into ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` (UK time).

    Parameters
    ----------
    text
        ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DDTHH:MM[:SS]``, optionally
        with a UTC offset (converted to UK time); None for now.
    now
        The current time (for tests).

    Raises
    ------
    InputError
        If the text is not a date or time, or lies in the future.

    Examples
    --------
    >>> parse_at("2018-04-30 14:05")
    '2018-04-30T14:05'
    >>> parse_at("2021-03-10T09:30:00+00:00")
    '2021-03-10T09:30'
    """
    now = (now or datetime.now(UK)).astimezone(UK)
    if text is None:
        return now.strftime("%Y-%m-%dT%H:%M")
    t = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        day = parse_day(t)
        if day > now.date():
            raise InputError(f"date {t} is in the future; give the date it happened")
        return day.isoformat()
    try:
        when = datetime.fromisoformat(t.replace(" ", "T", 1))
    except ValueError as err:
        raise InputError(f"{text!r} is not a date or time; write YYYY-MM-DD or "
                         "YYYY-MM-DD HH:MM (UK time)") from err
    when = when.replace(tzinfo=UK) if when.tzinfo is None else when.astimezone(UK)
    if when > now:
        raise InputError(f"time {t} is in the future; give the time it happened")
    return when.strftime("%Y-%m-%dT%H:%M")


def check_reference(reference: str) -> str:
    """Check a case reference: 1-64 letters, digits, ``/ _ . -``, starting alphanumeric.

    Raises
    ------
    InputError
        If it has other characters (spaces, quotes...).
    """
    ref = reference.strip()
    if not _REFERENCE_RE.fullmatch(ref):
        raise InputError(f"case reference {reference!r} must be 1-64 letters, digits, "
                         "'/', '_', '.' or '-', starting with a letter or digit")
    return ref


def normalise_postcode(text: str | None) -> str | None:
    """Write a UK postcode as typed loosely (``rm66ea``) in its standard form (``RM6 6EA``).

    Raises
    ------
    InputError
        If it is not shaped like a UK postcode.

    Examples
    --------
    >>> normalise_postcode(" rm66ea ")
    'RM6 6EA'
    """
    if text is None or not text.strip():
        return None
    compact = re.sub(r"\s+", "", text).upper()
    m = _POSTCODE_RE.fullmatch(compact)
    if not m:
        raise InputError(f"postcode {text!r} does not look like a UK postcode, e.g. RM6 6EA")
    return f"{m[1]} {m[2]}"


def officer_name(given: str | None) -> tuple[str, str]:
    """Who records an event, and how that was decided.

    Returns
    -------
    tuple of str
        The name and its source: ``--by``, ``$AIRQ_OFFICER`` or ``the OS user``.
    """
    if given and given.strip():
        return given.strip(), "--by"
    env = os.environ.get(OFFICER_ENV, "").strip()
    if env:
        return env, f"${OFFICER_ENV}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without /etc/passwd entry)
        user = "unknown"
    return user, "the OS user"
