"""Record and read cases: open, log, attach, close, show, list, verify.

Every change appends one event to the case (never an update in place), chained to the
one before it by hash (:mod:`airq.case.chain`). Attachment bytes are stored once in
the database, keyed by their SHA-256, so a team sharing a PostgreSQL register shares
them.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from airq.case import chain
from airq.case.events import (
    LOG_KINDS,
    OUTCOMES,
    TRACKS,
    Case,
    Event,
    check_reference,
    normalise_postcode,
    now_utc,
    officer_name,
    parse_at,
    parse_received,
)
from airq.case.store import Store, blobs, cases, events, lock_case, write
from airq.case.verify_figures import FIGURE_KINDS
from airq.errors import CaseError, InputError

#: Largest attachment airq stores (bytes).
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024
#: Prefix of generated references: ENQ-<year received>-<number>.
REFERENCE_PREFIX = "ENQ"


def _insert_event(conn: Connection, case_row, kind: str, at: str, officer: str, text: str,
                  data: dict) -> Event:
    """Append one event after the case's last (the caller holds the case's lock)."""
    last = conn.execute(
        select(events.c.seq, events.c.hash).where(events.c.case_id == case_row.id)
        .order_by(events.c.seq.desc()).limit(1)).first()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else chain.GENESIS
    recorded_at = now_utc()
    digest = chain.event_hash(case_row.reference, seq, kind, at, recorded_at, officer, text,
                              data, prev)
    conn.execute(insert(events).values(
        case_id=case_row.id, seq=seq, kind=kind, at=at, recorded_at=recorded_at,
        officer=officer, text=text, data=chain.dump_data(data), prev_hash=prev, hash=digest))
    return Event(seq, kind, at, recorded_at, officer, text, data, digest, prev)


def _row_event(row) -> Event:
    return Event(row.seq, row.kind, row.at, row.recorded_at, row.officer, row.text,
                 chain.load_data(row.data) or {}, row.hash, row.prev_hash)


def _unknown(conn: Connection, store: Store, reference: str) -> CaseError:
    refs = list(conn.execute(select(cases.c.reference)).scalars())
    close = difflib.get_close_matches(reference, refs, n=3)
    hint = f"; closest: {', '.join(close)}" if close else "; `airq case list` shows them"
    return CaseError(f"no case {reference!r} in the case register {store.name}{hint}")


def _next_reference(conn: Connection, year: int) -> str:
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    refs = conn.execute(select(cases.c.reference).where(
        cases.c.reference.like(f"{prefix}%"))).scalars()
    numbers = [int(r[len(prefix):]) for r in refs if r[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _officer_data(by: str | None) -> tuple[str, dict]:
    officer, source = officer_name(by)
    return officer, {"by_source": source}


def _text(text: str, what: str = "--text") -> str:
    if text is None or not text.strip():
        raise InputError(f"{what} is empty; say what happened")
    return text.strip()


def open_case(store: Store, *, reporter: str, concern: str, received: str | date,
              postcode: str | None = None, address: str | None = None,
              reference: str | None = None, by: str | None = None) -> Case:
    """Open a case: record who reported what, and when it was received.

    Parameters
    ----------
    store
        The register.
    reporter
        Who reported the concern.
    concern
        The concern as received, in the reporter's words where possible.
    received
        The date it was received (``YYYY-MM-DD``); not in the future.
    postcode, address
        Where the concern is about (the postcode is normalised, e.g. ``RM6 6EA``).
    reference
        The case reference; None for the next ``ENQ-<year>-<nnnn>``.
    by
        Who records it; None for ``$AIRQ_OFFICER`` or the OS user.

    Returns
    -------
    Case
        The new case (its reference, and the opening event).

    Raises
    ------
    InputError
        On an empty reporter or concern, a bad date, postcode or reference.
    CaseError
        If the reference is already in use.
    """
    day = parse_received(received.isoformat() if isinstance(received, date) else received)
    reporter = _text(reporter, "--reporter")
    concern = _text(concern, "--concern")
    pc = normalise_postcode(postcode)
    ref = check_reference(reference) if reference else None
    officer, data = _officer_data(by)
    data.update(reporter=reporter, postcode=pc,
                address=address.strip() if address and address.strip() else None)

    def run(conn: Connection) -> tuple[str, Event]:
        chosen = ref or _next_reference(conn, day.year)
        if conn.execute(select(cases.c.id).where(cases.c.reference == chosen)).first():
            if ref is not None:
                raise CaseError(f"case {chosen} already exists in {store.name}; choose "
                                "another --reference or leave it out to get a new one")
        case_id = conn.execute(insert(cases).values(reference=chosen, created_at=now_utc())
                               .returning(cases.c.id)).scalar_one()
        row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
        return chosen, _insert_event(conn, row, "opened", day.isoformat(), officer, concern,
                                     data)

    chosen, ev = write(store, run)
    return Case(chosen, (ev,), store.name)


def _append(store: Store, reference: str, make: Callable[[Case], tuple],
            before: Callable[[Connection], None] | None = None) -> Event:
    """Lock the case, check the change against it (``make``), append the event.

    ``before`` runs first in the same transaction (storing an attachment's bytes).
    """
    def run(conn: Connection) -> Event:
        row = lock_case(conn, reference)
        if row is None:
            raise _unknown(conn, store, reference)
        if before is not None:
            before(conn)
        kind, at, officer, text, data = make(_load(conn, row, store))
        return _insert_event(conn, row, kind, at, officer, text, data)

    return write(store, run)


def _check_after_received(case: Case, at: str, option: str = "--at") -> None:
    if date.fromisoformat(at[:10]) < case.received:
        raise InputError(f"{option} {at} is before case {case.reference} was received "
                         f"({case.received}); check the date")


def log_event(store: Store, reference: str, *, kind: str, text: str, at: str | None = None,
              by: str | None = None) -> Event:
    """Record a contact with the reporter, a note, a referral or a decision.

    Parameters
    ----------
    store
        The register.
    reference
        The case.
    kind
        ``contact`` (the reporter was given an update: a call, an email, a letter),
        ``note``, ``referral`` (handed to another team or body) or ``decision``.
    text
        What happened, and who decided or was contacted.
    at
        When it happened (``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``, UK time); None for now.
    by
        Who records it; None for ``$AIRQ_OFFICER`` or the OS user.

    Returns
    -------
    Event

    Raises
    ------
    InputError
        On an unknown kind, empty text, a time in the future or before the case.
    CaseError
        If the case is unknown.
    """
    if kind not in LOG_KINDS:
        raise InputError(f"unknown kind {kind!r}; use one of {', '.join(LOG_KINDS)}")
    text = _text(text)
    when = parse_at(at)
    officer, data = _officer_data(by)

    def make(case: Case):
        _check_after_received(case, when)
        return kind, when, officer, text, data

    return _append(store, reference, make)


def close_case(store: Store, reference: str, *, outcome: str, text: str,
               at: str | None = None, by: str | None = None) -> Event:
    """Record the stage 1 outcome and close the case.

    Parameters
    ----------
    outcome
        ``stop-agreed``, ``stop-not-public-health`` or ``proceed-stage-2a``.
    text
        The reasons, and who agreed or decided.
    at, by
        As for :func:`log_event`.

    Raises
    ------
    CaseError
        If the case is unknown or already closed.
    """
    if outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
    text = _text(text)
    when = parse_at(at)
    officer, data = _officer_data(by)
    data["outcome"] = outcome

    def make(case: Case):
        if case.closing is not None:
            c = case.closing
            raise CaseError(f"case {case.reference} was closed on {c.at} with outcome "
                            f"{c.data.get('outcome')}; log a decision to record a change")
        _check_after_received(case, when)
        return "closed", when, officer, text, data

    return _append(store, reference, make)


def attach_file(store: Store, reference: str, path: str | os.PathLike, *,
                note: str | None = None, track: str | None = None, at: str | None = None,
                by: str | None = None) -> Event:
    """Keep a copy of a file with the case, with its SHA-256 and its track.

    Parameters
    ----------
    path
        The file: any airq output (query or rates JSON, report, map, figure, batch
        table) or a letter or other document.
    note
        What it is for, in the officer's words.
    track
        Override the track airq recognises (``exposure``, ``health``, ``communication``).
    at, by
        As for :func:`log_event`.

    Returns
    -------
    Event
        The ``attachment`` event; its data holds name, sha256, size, kind, track,
        description, synthetic and the airq version that wrote it.

    Raises
    ------
    InputError
        If the file is missing, empty, too large, or the track unknown.
    """
    from airq.read.recognise import recognise

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p} is not a file; give the file to attach")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p} is empty; nothing to attach")
    if size > MAX_ATTACHMENT_BYTES:
        raise InputError(f"{p} is {size / 2**20:.0f} MB; attachments are limited to "
                         f"{MAX_ATTACHMENT_BYTES // 2**20} MB")
    if track is not None and track not in TRACKS:
        raise InputError(f"unknown track {track!r}; use one of {', '.join(TRACKS)}")
    content = p.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    found = recognise(p)
    when = parse_at(at)
    officer, data = _officer_data(by)
    data.update(name=p.name, sha256=sha, size=len(content), kind=found.kind,
                track=track or found.track, recognised_track=found.track,
                description=found.description, synthetic=found.synthetic,
                airq_version=found.airq_version)

    def make(case: Case):
        _check_after_received(case, when)
        return "attachment", when, officer, (note or "").strip(), data

    return _append(store, reference, make, before=lambda conn: _store_blob(conn, sha, content))


def _store_blob(conn: Connection, sha: str, content: bytes) -> None:
    if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first():
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(blobs).values(sha256=sha, size=len(content), content=content,
                                              stored_at=now_utc()).on_conflict_do_nothing())


def _case(reference: str, rows, store: Store) -> Case:
    """Build a Case from its stored rows, with what its hash chain says about them."""
    if not rows or rows[0].kind != "opened":
        raise CaseError(f"case {reference} in {store.name} has no opening event; run "
                        f"`airq case verify {reference}`")
    problems = chain.check_chain(reference, [r._asdict() for r in rows])
    return Case(reference, tuple(_row_event(r) for r in rows), store.name, tuple(problems))


def _load(conn: Connection, row, store: Store) -> Case:
    rows = conn.execute(select(events).where(events.c.case_id == row.id)
                        .order_by(events.c.seq)).all()
    return _case(row.reference, rows, store)


def load_case(store: Store, reference: str) -> Case:
    """Read a case with all its events.

    The hash chain is checked as it is read: :attr:`Case.problems` names any event
    changed behind airq's back, and every output of the case shows them.

    Raises
    ------
    CaseError
        If no case has that reference (the closest references are named), or it has
        no opening event.
    """
    with store.read() as conn:
        row = conn.execute(select(cases).where(cases.c.reference == reference)).first()
        if row is None:
            raise _unknown(conn, store, reference)
        return _load(conn, row, store)


def load_cases(store: Store, skipped: list[str] | None = None) -> list[Case]:
    """Read every case, in the order they were opened.

    Parameters
    ----------
    store
        The register.
    skipped
        If given, a message is appended for each case that cannot be read (no
        opening event); without it such a case is an error.
    """
    with store.read() as conn:
        rows = conn.execute(select(cases).order_by(cases.c.id)).all()
        every = conn.execute(select(events).order_by(events.c.case_id, events.c.seq)).all()
    by_case: dict[int, list] = {}
    for e in every:
        by_case.setdefault(e.case_id, []).append(e)
    out = []
    for row in rows:
        try:
            out.append(_case(row.reference, by_case.get(row.id, []), store))
        except CaseError as err:
            if skipped is None:
                raise
            skipped.append(f"not listed: {err}")
    return out


def attachment_bytes(store: Store, sha256: str) -> bytes | None:
    """Return the stored bytes of an attachment, or None if they are missing."""
    with store.read() as conn:
        return conn.execute(select(blobs.c.content).where(blobs.c.sha256 == sha256)).scalar()


@dataclass(frozen=True)
class Verification:
    """The result of ``airq case verify``.

    Attributes
    ----------
    reference
        The case.
    events
        Events checked.
    attachments
        Attachments checked.
    problems
        One line per difference, naming the event or attachment; empty if intact.
    checked
        One line per thing that matched.
    head
        ``(seq, hash)`` of the last event.
    notes
        What could not be checked, and why (e.g. figures not recomputed).
    """

    reference: str
    events: int
    attachments: int
    problems: tuple[str, ...]
    checked: tuple[str, ...]
    head: tuple[int, str] | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether everything matched."""
        return not self.problems


def verify_case(store: Store, reference: str, *, head: str | None = None,
                check_figures: Callable[[str, bytes], list[tuple[str, str]]] | None = None,
                ) -> Verification:
    """Re-check a case's event chain and every attachment's stored bytes.

    Parameters
    ----------
    store
        The register.
    reference
        The case.
    head
        A hash printed earlier (``airq case show``, the summary report): it must still
        be an event of the chain, so events after it cannot have been removed unseen.
    check_figures
        Called with the name and bytes of each attachment whose figures can be
        recomputed (:data:`~airq.case.verify_figures.FIGURE_KINDS`); returns
        ``(status, text)`` pairs (the hook for ``airq verify``); None to skip.

    Returns
    -------
    Verification
    """
    with store.read() as conn:
        row = conn.execute(select(cases).where(cases.c.reference == reference)).first()
        if row is None:
            raise _unknown(conn, store, reference)
        rows = [r._asdict() for r in conn.execute(
            select(events).where(events.c.case_id == row.id).order_by(events.c.seq))]
        wanted = [(chain.load_data(r["data"]) or {}).get("sha256") for r in rows
                  if r["kind"] == "attachment"]
        stored = {b.sha256: b for b in conn.execute(
            select(blobs.c.sha256, blobs.c.content).where(blobs.c.sha256.in_(wanted)))}
    problems = chain.check_chain(reference, rows)
    checked = [f"event chain: {len(rows)} events, each follows the one before and matches "
               "its hash"] if not problems else []
    notes: list[str] = []
    n_att = 0
    for r in rows:
        if r["kind"] != "attachment":
            continue
        n_att += 1
        d = chain.load_data(r["data"]) or {}
        name, sha = d.get("name", "?"), d.get("sha256", "")
        blob = stored.get(sha)
        label = f"attachment {name} (event {r['seq']})"
        if blob is None:
            problems.append(f"{label}: its bytes are missing from the register")
            continue
        actual = hashlib.sha256(blob.content).hexdigest()
        if actual != sha:
            problems.append(f"{label}: the stored bytes have SHA-256 {actual}, recorded "
                            f"{sha}")
            continue
        checked.append(f"{label}: SHA-256 {sha} matches")
        if check_figures is not None and d.get("kind") in FIGURE_KINDS:
            for status, text in check_figures(name, blob.content):
                {"same": checked, "note": notes}.get(status, problems).append(f"{label}: {text}")
    last = (rows[-1]["seq"], rows[-1]["hash"]) if rows else None
    if head is not None:
        hashes = {r["hash"]: r["seq"] for r in rows}
        if head not in hashes:
            problems.append(f"head {head} is not an event of the case: events recorded up to "
                            "it were removed or rewritten")
        else:
            checked.append(f"head {head[:12]}... is event {hashes[head]} of {len(rows)}")
    elif rows:
        notes.append("events removed from the end of the record cannot be seen without a "
                     "last-event hash printed earlier (case show, summary report): give it "
                     "with --head HASH")
    return Verification(reference, len(rows), n_att, tuple(problems), tuple(checked), last,
                        tuple(notes))


def count_events(store: Store, reference: str) -> int:
    """Count the events recorded for a case (0 if unknown)."""
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(events.join(cases)).where(
            cases.c.reference == reference)).scalar_one()
