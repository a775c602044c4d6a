"""Engine, tables and the single-writer rule that makes commit order equal change-feed order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

import services.profiles.tables  # noqa: F401  (registers the tables)

# Any constant works; every writer of the profiles database takes this transaction-level lock.
_WRITE_LOCK_KEY = 0x0C105511
_WRITE_OPTION = "crosslink_write"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and write transactions that begin
    IMMEDIATE, so a reader never has to upgrade to a writer (which SQLite refuses)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
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
    tables = [SQLModel.metadata.tables[name] for name in ("profile", "profile_change")]
    SQLModel.metadata.create_all(engine, tables=tables)


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
    conn = session.connection(execution_options={_WRITE_OPTION: True})
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY})
