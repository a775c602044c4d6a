"""Bring a database made by an earlier version up to date, at startup, idempotently.

- SQLite tables created without AUTOINCREMENT are rebuilt with it, so ids and feed seqs are never
  handed out again. Ids that were deleted at the top before this upgrade cannot be recovered:
  the counter starts at the highest id still present.
- A feed that kept every past version is compacted to the latest entry per profile.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, Table, text
from sqlmodel import SQLModel

from services.profiles.db import WRITE_OPTIONS, lock_writes
from services.profiles.feed import compact_feed

__all__ = ["upgrade"]

log = logging.getLogger("crosslink.profiles.migrate")


def upgrade(engine: Engine) -> None:
    with engine.connect() as conn, conn.execution_options(**WRITE_OPTIONS).begin():
        lock_writes(conn)
        if conn.dialect.name == "sqlite":
            for name in ("profile", "profile_change"):
                _add_autoincrement(conn, SQLModel.metadata.tables[name])
        removed = compact_feed(conn)
        if removed:
            log.info("change feed compacted: %d superseded entries removed", removed)


def _add_autoincrement(conn: Connection, table: Table) -> None:
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
    ).scalar()
    if sql is None or "AUTOINCREMENT" in sql.upper():
        return
    old = f"_{table.name}_before_autoincrement"
    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" RENAME TO "{old}"')
    indexes = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (old,),
    ).scalars()
    for index in list(indexes):
        conn.exec_driver_sql(f'DROP INDEX "{index}"')
    table.create(conn)
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    conn.execute(text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{old}"'))
    conn.exec_driver_sql(f'DROP TABLE "{old}"')
    log.info("table %s rebuilt with AUTOINCREMENT: ids are no longer reused", table.name)
