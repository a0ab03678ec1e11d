"""Alembic environment: run the migrations on the connection airq passes in.

airq never runs Alembic from the command line; :func:`airq.case.store.ensure_schema`
opens a transaction holding the register's lock and passes its connection here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
