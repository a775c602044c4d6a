"""Engine, tables and the single-writer rule that makes commit order equal change-feed order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

import services.profiles.tables  # noqa: F401  (registers the tables)
from crosslink.files import private_file, restrict

# Any constant works; every writer of the profiles database takes this transaction-level lock.
_WRITE_LOCK_KEY = 0x0C105511
_WRITE_OPTION = "crosslink_write"
_WROTE = "crosslink_wrote"
_write_listeners: WeakKeyDictionary[Engine, Callable[[], None]] = WeakKeyDictionary()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and write transactions that begin
    IMMEDIATE, so a reader never has to upgrade to a writer (which SQLite refuses). The SQLite
    file (contacts) and its WAL and SHM are owner-only (0600), a directory made for it 0700."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        private_file(path)  # SQLite gives the WAL and SHM the database file's mode
        restrict(path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_tables(engine: Engine) -> None:
    """Create the tables, and upgrade those an earlier version made (services.profiles.migrate)."""
    from services.profiles.migrate import upgrade  # it uses this module's write lock

    tables = [
        SQLModel.metadata.tables[name]
        for name in ("profile", "profile_change", "feedback", "create_request")
    ]
    SQLModel.metadata.create_all(engine, tables=tables)
    upgrade(engine)


def lock_writes(conn: Connection) -> None:
    """Take the writers' lock on PostgreSQL (SQLite: a connection with `WRITE_OPTIONS` begins
    IMMEDIATE, which takes SQLite's write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY})


WRITE_OPTIONS = {_WRITE_OPTION: True}


def begin_write(session: Session) -> None:
    """Open the session's transaction as the one writer of the database.

    Writers are serialised (PostgreSQL advisory lock, SQLite's write lock), so change-feed
    sequence numbers are assigned and committed in the same order: a follower reading
    `after=SEQ` can never see seq N+1 before seq N is visible.
    """
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must open the transaction; commit or roll back first")
        session.commit()  # end the read-only transaction: SQLite cannot upgrade it to a write
    lock_writes(session.connection(execution_options=WRITE_OPTIONS))
    session.info[_WROTE] = True


def on_write_commit(engine: Engine, callback: Callable[[], None]) -> None:
    """Call `callback` (in the committing thread) after each commit of a `begin_write` session
    of this process on `engine`; other processes' writes are not seen (poll the database)."""
    _write_listeners[engine] = callback


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        callback = _write_listeners.get(session.get_bind())  # type: ignore[arg-type]
        if callback is not None:
            callback()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
