"""The profiles service: the system of record for profiles, with a change feed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from crosslink.errors import install_error_handlers
from crosslink.observability import instrument
from services.profiles.config import ProfilesSettings
from services.profiles.db import create_tables, make_engine
from services.profiles.importer import import_records
from services.profiles.readers import read_file
from services.profiles.routes import router
from services.profiles.tables import Profile

log = logging.getLogger("crosslink.profiles")


def load_demo_data(engine: Engine, path: Path) -> None:
    """Import the demo profiles into an empty database (a no-op when the file is absent)."""
    if not path.exists():
        log.info("no demo data at %s", path)
        return
    with Session(engine, expire_on_commit=False) as session:
        if session.exec(select(func.count()).select_from(Profile)).one() > 0:
            return
        session.commit()
        result = import_records(read_file(path), session=session)
    log.info(
        "demo data: %d profiles loaded, %d rejected (Source: CORDIS, (c) European Union)",
        result.created,
        result.rejected,
    )


def create_app(settings: ProfilesSettings | None = None) -> FastAPI:
    settings = settings or ProfilesSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        create_tables(engine)
        if settings.demo_data:
            load_demo_data(engine, settings.demo_file)
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="crosslink profiles", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    instrument(app, service="profiles")
    app.include_router(router)
    return app
