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


def load_demo_data(engine: Engine, *paths: Path | None) -> None:
    """Import the demo files into an empty database (files that are absent are skipped)."""
    with Session(engine, expire_on_commit=False) as session:
        if session.exec(select(func.count()).select_from(Profile)).one() > 0:
            return
        session.commit()
        for path in paths:
            if path is None or not path.is_file():
                log.info("no demo data at %s", path)
                continue
            result = import_records(read_file(path), session=session)
            log.info(
                "demo data: %d profiles loaded, %d rejected from %s",
                result.created,
                result.rejected,
                path.name,
            )
    log.info("demo data: Source: CORDIS, (c) European Union; example:* profiles are fictional")


def create_app(settings: ProfilesSettings | None = None) -> FastAPI:
    settings = settings or ProfilesSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        create_tables(engine)
        if settings.demo_data:
            load_demo_data(engine, settings.demo_file, settings.demo_examples_file)
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
