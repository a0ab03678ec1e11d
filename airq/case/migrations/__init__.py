"""Alembic migrations of the case register (run by :func:`airq.case.store.ensure_schema`)."""
