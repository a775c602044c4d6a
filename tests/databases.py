"""A fresh, empty database: a SQLite file, or on PostgreSQL (CROSSLINK_TEST_DATABASE_URL) a schema
of its own selected through the URL's search_path, so suites running at the same time on the same
server never see each other's tables. The schema is dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("CROSSLINK_TEST_DATABASE_URL")


@contextmanager
def fresh_database(directory: Path, prefix: str = "test") -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{directory / 'crosslink.db'}"
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
