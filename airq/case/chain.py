"""The per-case hash chain: each event carries the hash of the one before it.

An event's hash is the SHA-256 of a canonical serialisation of everything recorded
about it (the case reference, its number, kind, times, officer, text, data and the
previous event's hash): JSON with sorted keys, no spaces, UTF-8. Changing any field
of any event, deleting one, inserting one or reordering them breaks the chain at that
event, and :func:`check_chain` names it.

A chain cannot show that its last events were removed: the head (number and hash of
the last event) printed in ``airq case show`` and in the summary report is the
anchor for that (``airq case verify --head``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

#: Version of the canonical serialisation (part of every hash).
CHAIN_VERSION = 1
#: The "previous hash" of a case's first event.
GENESIS = "0" * 64


def canonical(reference: str, seq: int, kind: str, at: str, recorded_at: str, officer: str,
              text: str, data: Mapping, prev_hash: str) -> bytes:
    """Return the canonical bytes of one event.

    Examples
    --------
    >>> canonical("ENQ-1", 1, "note", "2018-04-09", "2021-03-01T10:00:00Z", "jo", "hi", {},
    ...           GENESIS)[:40]
    b'{"at":"2018-04-09","case":"ENQ-1","data"'
    """
    doc = {"v": CHAIN_VERSION, "case": reference, "seq": seq, "kind": kind, "at": at,
           "recorded_at": recorded_at, "by": officer, "text": text, "data": dict(data),
           "prev": prev_hash}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def event_hash(reference: str, seq: int, kind: str, at: str, recorded_at: str, officer: str,
               text: str, data: Mapping, prev_hash: str) -> str:
    """Return the SHA-256 (hex) of the event's canonical bytes."""
    return hashlib.sha256(canonical(reference, seq, kind, at, recorded_at, officer, text, data,
                                    prev_hash)).hexdigest()


def dump_data(data: Mapping) -> str:
    """Serialise an event's data for storage (canonical JSON text)."""
    return json.dumps(dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def load_data(text: str) -> dict | None:
    """Parse stored event data; None if it is not a JSON object (the row was damaged)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def check_chain(reference: str, rows: Sequence[Mapping]) -> list[str]:
    """Check a case's events: numbering, links and hashes.

    Parameters
    ----------
    reference
        The case reference (part of every hash).
    rows
        The stored events as mappings with keys ``seq``, ``kind``, ``at``,
        ``recorded_at``, ``officer``, ``text``, ``data`` (JSON text), ``prev_hash``
        and ``hash``, in any order.

    Returns
    -------
    list of str
        One message per problem, naming the event; empty when the chain is intact.

    Examples
    --------
    >>> check_chain("ENQ-1", [])
    ['the case has no events: its opening event is missing']
    """
    problems: list[str] = []
    ordered = sorted(rows, key=lambda r: r["seq"])
    if not ordered:
        return ["the case has no events: its opening event is missing"]
    expected_seq = 1
    prev_hash = GENESIS
    for row in ordered:
        seq = row["seq"]
        label = f"event {seq} ({row['kind']}, {str(row['at']).replace('T', ' ')})"
        if seq != expected_seq:
            missing = (f"event {expected_seq}" if seq == expected_seq + 1
                       else f"events {expected_seq}-{seq - 1}")
            problems.append(f"{missing} missing: the numbering jumps from {expected_seq - 1} "
                            f"to {seq} (an event was deleted or renumbered)")
        data = load_data(row["data"])
        if data is None:
            problems.append(f"{label}: its data is not the JSON airq wrote (edited after it "
                            "was recorded)")
        elif event_hash(reference, seq, row["kind"], row["at"], row["recorded_at"],
                        row["officer"], row["text"], data, row["prev_hash"]) != row["hash"]:
            problems.append(f"{label}: its content does not match its hash (edited after it "
                            "was recorded)")
        if row["prev_hash"] != prev_hash:
            before = f"event {seq - 1}" if seq > 1 else "the start of the case"
            problems.append(f"{label}: does not follow {before} (its previous-event hash "
                            "differs: an event before it was edited, deleted, inserted or "
                            "reordered)")
        if seq == 1 and row["kind"] != "opened":
            problems.append(f"{label}: the first event is not the opening of the case")
        expected_seq = seq + 1
        prev_hash = row["hash"]
    return problems


def heads_digest(cases) -> str:
    """Return one SHA-256 over every case's reference and last event hash.

    It stands for a whole register in an output's provenance: any change to any case's
    chain changes it.
    """
    lines = "".join(f"{c.reference} {c.head.seq} {c.head.hash}\n"
                    for c in sorted(cases, key=lambda c: c.reference))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
