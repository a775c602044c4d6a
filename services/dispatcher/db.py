"""The dispatcher's engine: SQLite gets WAL and a busy timeout (several delivery workers write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, create_engine

from services.dispatcher import tables

TABLES = [
    tables.Subscription,
    tables.Alert,
    tables.Event,
    tables.Delivery,
    tables.Attempt,
    tables.Cursor,
    tables.ProfileOwner,
    tables.AlertCheck,
    tables.AlertMember,
    tables.AlertMatchRow,
]


def make_engine(url: str) -> Engine:
    """An engine for `url` with the dispatcher's tables created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])  # type: ignore[attr-defined]
    return engine
