"""Open an engine for a database URL and bring its schema to the newest migration."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from monitor.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 0x726D6D67  # any constant shared by every rights-monitor process ("rmmg")
_MIGRATING = threading.Lock()


def parse_url(url: str) -> URL:
    """Parse a database URL; a bare `postgresql://` means psycopg 3, the driver we ship."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # The text itself is not repeated: it may hold a password.
        hint = "e.g. sqlite:///var/monitor.db or postgresql://user@host/db"
        raise StoreError(f"not a database URL ({hint})") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and (parsed.database or ":memory:") == ":memory:":
        # each connection would see its own empty database, and everything is lost at exit
        raise StoreError("an in-memory SQLite store forgets everything; give a file, e.g. sqlite:///var/monitor.db")
    return parsed


def sqlite_file(url: str) -> Path | None:
    """Return the file of a SQLite store URL, or None for another database (or an unreadable URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def shown(url: URL) -> str:
    """Return the URL as safe to print (no password)."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    """Create the engine; SQLite gets its parent directory, WAL, foreign keys and a busy timeout."""
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Take over transaction control from pysqlite and set the connection's pragmas."""
    # pysqlite's own BEGIN handling breaks SAVEPOINT and deferred locking; SQLAlchemy's recipe.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    # In WAL mode NORMAL still survives a killed process (only a power loss can drop the last commits),
    # and a commit no longer waits for an fsync: ten times more small transactions per second.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any, attempts: int = 100) -> None:
    """Set WAL mode; SQLite answers "locked" at once, without its busy handler, while another process
    switches a new file, so wait for that here (a few ms in practice)."""
    import sqlite3
    import time

    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _begin_immediate(connection: Connection) -> None:
    """Start every SQLite transaction holding the write lock, so two processes queue, not deadlock."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_head(engine: Engine) -> None:
    """Run Alembic `upgrade head` on the engine, without an alembic.ini."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # alembic's migration context is process-global: two threads must not migrate at once.
    with _MIGRATING, engine.begin() as connection:
        _lock_against_other_processes(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _lock_against_other_processes(connection: Connection) -> None:
    """Hold a lock for the migration's transaction, so two processes starting together migrate once."""
    # SQLite needs nothing: BEGIN IMMEDIATE already holds its write lock.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")


def open_engine(url: str) -> Engine:
    """Return an engine on `url` with its schema at head, or raise StoreError saying why not."""
    from alembic.util import CommandError

    parsed = parse_url(url)
    try:
        engine = make_engine(parsed)
    except (SQLAlchemyError, OSError, ImportError) as exc:
        raise StoreError(f"cannot open store {shown(parsed)}: {_reason(exc)}") from exc
    try:
        upgrade_head(engine)
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise StoreError(f"cannot open store {shown(parsed)}: {_reason(exc)}") from exc
    except CommandError as exc:  # e.g. a revision newer than this code knows
        engine.dispose()
        raise StoreError(f"store {shown(parsed)} has a schema this version does not know: {exc}") from exc
    return engine


def _reason(exc: BaseException) -> str:
    """Return the first line of a driver error, the part a person can act on."""
    cause = getattr(exc, "orig", None) or exc
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
