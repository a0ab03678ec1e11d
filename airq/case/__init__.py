"""The case register: a record of each enquiry, its timeline and the figures that answer it.

An officer opens a case when a resident reports a concern, logs every contact,
referral and decision, attaches airq's outputs (and letters), and closes it with one
of PHE's three stage 1 outcomes. Every change is an appended event carrying the hash
of the one before it, in SQLite under ``$AIRQ_HOME`` or a shared PostgreSQL.

    from airq.case import open_store, open_case, log_event, load_case
    with opened() as store:
        case = open_case(store, reporter="A resident", concern="...", received="2018-04-09")
        log_event(store, case.reference, kind="contact", text="Called back", at="2018-04-30")
"""

from __future__ import annotations

from airq.case.events import (
    KINDS,
    LOG_KINDS,
    OUTCOME_TEXT,
    OUTCOMES,
    TRACKS,
    Attachment,
    Case,
    Event,
)
from airq.case.register import (
    Verification,
    attach_file,
    attachment_bytes,
    close_case,
    load_case,
    load_cases,
    log_event,
    open_case,
    verify_case,
)
from airq.case.store import DATABASE_ENV, Store, open_store, opened, resolve_url
from airq.case.workdays import DEFAULT_WORKING_DAYS, CaseStatus, case_status

__all__ = ["DATABASE_ENV", "DEFAULT_WORKING_DAYS", "KINDS", "LOG_KINDS", "OUTCOMES",
           "OUTCOME_TEXT", "TRACKS", "Attachment", "Case", "CaseStatus", "Event", "Store",
           "Verification", "attach_file", "attachment_bytes", "case_status", "close_case",
           "load_case", "load_cases", "log_event", "open_case", "open_store", "opened",
           "resolve_url", "verify_case"]
