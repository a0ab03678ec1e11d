"""The case register's database: SQLite under ``$AIRQ_HOME`` or a shared PostgreSQL.

One SQLAlchemy engine per register. The schema is created and upgraded by Alembic
migrations (``airq/case/migrations``) on first use, under a lock so that two processes
opening a fresh register at once both succeed: SQLite serialises the upgrade with
``BEGIN IMMEDIATE``; PostgreSQL with a transaction-level advisory lock.

Writes are serialised per case: SQLite's ``BEGIN IMMEDIATE`` takes the database's write
lock before anything is read, and on PostgreSQL :func:`lock_case` takes the case's row
lock (``SELECT ... FOR UPDATE``). The unique ``(case_id, seq)`` constraint is the last
guard: a write that still collides is retried (:func:`write`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    exc,
    select,
)
from sqlalchemy.engine import URL, make_url

from airq.errors import CaseError, ConfigError

log = logging.getLogger(__name__)

#: Environment variable naming a shared database, e.g. ``postgresql://airq@db/cases``.
DATABASE_ENV = "AIRQ_DATABASE_URL"
#: File name of the default SQLite register under ``$AIRQ_HOME``.
DEFAULT_FILE = "cases.sqlite"
#: How long a writer waits for another one (seconds) before giving up.
BUSY_TIMEOUT_S = 60
#: A write that collides with another on the same case is retried this many times.
MAX_ATTEMPTS = 25
#: Arbitrary 64-bit key of the PostgreSQL advisory lock held while migrating.
_MIGRATION_LOCK_KEY = 7_203_615_144_015_151_001

metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", String(32), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("officer", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", String(32), nullable=False),
)

T = TypeVar("T")


def resolve_url(url: str | None = None) -> URL:
    """Return the register's database URL.

    Parameters
    ----------
    url
        ``sqlite:///FILE``, ``postgresql://USER@HOST/DB`` (psycopg 3 is used), or a
        plain file path for SQLite; None for ``$AIRQ_DATABASE_URL``, else
        ``$AIRQ_HOME/cases.sqlite``.

    Returns
    -------
    sqlalchemy.engine.URL

    Raises
    ------
    ConfigError
        If the URL cannot be parsed or names a database airq does not support.
    """
    from airq.config import data_home

    given = url or os.environ.get(DATABASE_ENV) or ""
    if not given:
        return make_url(f"sqlite:///{data_home() / DEFAULT_FILE}")
    if "://" not in given:
        return make_url(f"sqlite:///{Path(given).expanduser().resolve()}")
    try:
        u = make_url(given)
    except exc.ArgumentError as err:
        raise ConfigError(f"cannot read database URL {given!r}: {err}") from err
    backend = u.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return u
    raise ConfigError(
        f"database {u.render_as_string(hide_password=True)!r} is not supported; use "
        "sqlite:///FILE (the default) or postgresql://USER@HOST/DATABASE"
    )


def describe_url(url: URL) -> str:
    """Return the URL as shown in outputs: no password, no driver name."""
    shown = url.set(drivername=url.get_backend_name())
    return shown.render_as_string(hide_password=True)


@dataclass(frozen=True, eq=False)
class Store:
    """An open case register.

    Attributes
    ----------
    engine
        The SQLAlchemy engine.
    url
        The database URL (with its password, if any; see :attr:`name`).
    """

    engine: Engine
    url: URL

    @property
    def name(self) -> str:
        """The database as shown in outputs (password hidden)."""
        return describe_url(self.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """Begin a read transaction (a consistent view of the register)."""
        return self.engine.begin()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_engine(url: URL) -> Engine:
    path = url.database
    if path and path != ":memory:" and not Path(path).parent.is_dir():
        raise CaseError(f"folder {Path(path).parent} of the case register {path} does not "
                        "exist; create it or give another --database")
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # airq emits BEGIN itself (below), so that a writer can take the lock up front.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # BEGIN IMMEDIATE takes the write lock before the writer reads the last event,
        # so two writers never both append after the same event.
        immediate = conn.get_execution_options().get("airq_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the case register, creating or upgrading its schema if needed.

    Parameters
    ----------
    url
        See :func:`resolve_url`.
    migrate
        Run the migrations (default). Without, a register that is not at the
        current schema is an error.

    Returns
    -------
    Store

    Raises
    ------
    CaseError
        If the database cannot be reached, or its schema is newer than this airq.
    ConfigError
        If the URL is not usable.
    """
    u = resolve_url(url)
    if u.get_backend_name() == "sqlite":
        engine = _sqlite_engine(u)
    else:
        try:
            engine = create_engine(u, connect_args={"connect_timeout": 10})
        except ImportError as err:
            raise CaseError("a PostgreSQL register needs psycopg: pip install "
                            "'airq-eho[postgresql]'") from err
    store = Store(engine, u)
    try:
        ensure_schema(store, migrate=migrate)
    except exc.OperationalError as err:
        engine.dispose()
        raise CaseError(f"cannot open the case register {store.name}: {_first_line(err)}; "
                        f"check --database or ${DATABASE_ENV}") from err
    except exc.DatabaseError as err:  # not a database at all ("file is not a database")
        engine.dispose()
        raise CaseError(_damaged(store, err)) from err
    except BaseException:
        engine.dispose()
        raise
    return store


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = connection
    return cfg


def _revisions(connection: Connection) -> tuple[str | None, str, set[str]]:
    """Return the register's revision, the newest this airq knows, and all it knows."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(connection))
    current = MigrationContext.configure(connection).get_current_revision()
    known = {r.revision for r in script.walk_revisions()}
    return current, script.get_current_head(), known


def ensure_schema(store: Store, *, migrate: bool = True) -> None:
    """Bring the register's schema to the newest revision this airq knows.

    Safe to run from several processes at once: the upgrade runs inside one
    transaction holding the database's write lock (SQLite) or an advisory lock
    (PostgreSQL), and re-reads the revision once it holds the lock.

    Raises
    ------
    CaseError
        If the register was made by a newer airq (unknown revision), or is not at
        the current revision and ``migrate`` is false.
    """
    from alembic import command

    with store.engine.connect() as conn:
        current, head, known = _revisions(conn)
    if current == head:
        return
    if current is not None and current not in known:
        raise CaseError(f"the case register {store.name} has schema revision {current}, "
                        "made by a newer airq; upgrade airq to use it")
    if not migrate:
        raise CaseError(f"the case register {store.name} needs an upgrade (revision "
                        f"{current or 'none'}, airq needs {head})")
    with store.engine.execution_options(airq_write=True).begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        current, head, _ = _revisions(conn)
        if current != head:
            log.info("upgrading the case register %s from %s to %s", store.name, current, head)
            command.upgrade(_alembic_config(conn), "head")


def lock_case(conn: Connection, reference: str):
    """Return the case row of ``reference``, locked for this transaction, or None.

    On PostgreSQL the row lock makes a second writer to the same case wait until
    the first commits; SQLite's ``BEGIN IMMEDIATE`` has already locked the database.
    """
    q = select(cases).where(cases.c.reference == reference)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def _busy(err: exc.OperationalError) -> bool:
    text = str(err.orig).lower()
    return "database is locked" in text or "database is busy" in text


def write(store: Store, fn: Callable[[Connection], T]) -> T:
    """Run ``fn(connection)`` in one write transaction, retrying on a collision.

    Parameters
    ----------
    store
        The register.
    fn
        Does the reads and inserts of one change; it must not commit.

    Returns
    -------
    Whatever ``fn`` returns.

    Raises
    ------
    CaseError
        If the register stays busy (another writer holds it longer than
        :data:`BUSY_TIMEOUT_S`) or the write keeps colliding.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with store.engine.execution_options(airq_write=True).begin() as conn:
                return fn(conn)
        except exc.IntegrityError as err:
            if attempt == MAX_ATTEMPTS:
                raise CaseError(f"could not record the change in {store.name}: "
                                f"{_first_line(err)}") from err
            log.info("write collided with another (attempt %d): %s", attempt, _first_line(err))
        except exc.OperationalError as err:
            if not _busy(err) or attempt == MAX_ATTEMPTS:
                raise CaseError(f"the case register {store.name} is busy or unusable: "
                                f"{_first_line(err)}; try again") from err
        time.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def opened(url: str | None = None) -> Iterator[Store]:
    """Open the register for a ``with`` block and close its connections after."""
    store = open_store(url)
    try:
        yield store
    except exc.SQLAlchemyError as err:  # a table or column removed or changed by hand
        raise CaseError(_damaged(store, err)) from err
    finally:
        store.dispose()


def _damaged(store: Store, err: Exception) -> str:
    return (f"the case register {store.name} cannot be read as airq wrote it: "
            f"{_first_line(err)}; it was damaged or changed outside airq: restore it from a "
            "backup")
