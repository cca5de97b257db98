"""Registry database: engine, sessions, and Alembic migrations run at start.

SQLite gets WAL mode and a busy timeout so the ingest thread and the API can share one file
(30 s unless the URL sets its own, ``sqlite:///registry.sqlite3?timeout=5``).

Several collectors may start at once on a fresh registry (systemd starts every instance
together). Each runs the migrations and imports the school file, so ``startup_lock`` makes
them take turns: the first migrates, the others find the schema at head and do nothing.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from schoolnet_collector.registry.models import Base

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another's lock before failing
# The PostgreSQL advisory lock key of the start-up phase (any fixed 64-bit number will do).
STARTUP_LOCK_KEY = zlib.crc32(b"schoolnet-collector registry start-up")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        connect_args: dict[str, object] = {"check_same_thread": False}
        if "timeout" not in make_url(url).query:
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
        engine = create_engine(url, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on the registry for the start-up writes (migrations, the school
    file, the default calendar), so collectors started together take turns.

    SQLite: ``flock`` on ``<database>.lock`` beside the file (Alembic's DDL and SQLite's own
    locking cannot serialise "is the table there? create it"). PostgreSQL: a session-level
    advisory lock on a connection of its own, held until the block ends. Both are released by
    the kernel or the server if the process dies inside the block. An in-memory SQLite
    database has no other user and needs none. Not re-entrant: a second ``startup_lock`` on
    the same registry inside the block waits for ever."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
            yield
            return
        with open(f"{database}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
                conn.commit()
    else:
        yield


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it already is).

    Safe beside another collector or CLI command migrating the same registry: it waits for
    the other's migration to end (``startup_lock``; not to be called inside that block)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with startup_lock(engine), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def rowcount(result: object) -> int:
    """The rows an INSERT, UPDATE or DELETE touched. ``Session.execute`` returns a
    ``CursorResult`` for those, though its signature promises only a ``Result``."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def upsert(session: Session, table: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """``INSERT … ON CONFLICT`` for the registry's dialect: SQLite and PostgreSQL spell it the
    same way in SQLAlchemy, but each has its own ``insert``."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
