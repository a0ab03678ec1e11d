"""Case-register databases for tests: a fresh SQLite file, or a fresh PostgreSQL database.

PostgreSQL tests need a server: ``.ci/run`` starts one and exports
``AIRQ_TEST_DATABASE_URL`` (a role that may create databases) and
``AIRQ_TEST_POSTGRES_REQUIRED=1``, so that there they fail rather than skip when the
server is missing. On a clone without PostgreSQL they skip, saying why.
"""

from __future__ import annotations

import os
import uuid

import pytest

TEST_URL_ENV = "AIRQ_TEST_DATABASE_URL"
REQUIRED_ENV = "AIRQ_TEST_POSTGRES_REQUIRED"
BACKENDS = ("sqlite", "postgresql")


def _no_server(reason: str):
    if os.environ.get(REQUIRED_ENV) == "1":
        pytest.fail(f"PostgreSQL is required here ({REQUIRED_ENV}=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (set {TEST_URL_ENV}, see .ci/run)")


def fresh_database(backend: str, tmp_path):
    """Yield the URL of an empty register on ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return
    base = os.environ.get(TEST_URL_ENV)
    if not base:
        _no_server(f"{TEST_URL_ENV} is not set")
    from sqlalchemy import create_engine, exc
    from sqlalchemy.engine import make_url

    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"airq_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except exc.OperationalError as err:
        admin.dispose()
        _no_server(f"cannot reach {admin_url.render_as_string(hide_password=True)}: "
                   f"{str(err.orig).strip().splitlines()[0]}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
