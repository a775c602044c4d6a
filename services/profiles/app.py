"""The profiles service: the system of record for profiles, with a change feed."""

from __future__ import annotations

import asyncio
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
from services.profiles.db import create_tables, make_engine, on_write_commit
from services.profiles.export_routes import router as export_router
from services.profiles.feedback_routes import router as feedback_router
from services.profiles.importer import import_records
from services.profiles.longpoll import FeedSignal
from services.profiles.readers import read_file
from services.profiles.routes import router
from services.profiles.tables import Profile

log = logging.getLogger("crosslink.profiles")


class FeedPollsAtDebug(logging.Filter):
    """Access-log lines of `GET /changes` (a follower polls it all day) are DEBUG, not INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not (isinstance(args, tuple) and len(args) >= 3 and str(args[2]).startswith("/changes")):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _demote_feed_polls() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, FeedPollsAtDebug) for f in access.filters):
        access.addFilter(FeedPollsAtDebug())


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
        signal = FeedSignal()
        signal.bind(asyncio.get_running_loop())
        on_write_commit(engine, signal.notify)
        app.state.engine = engine
        app.state.feed_signal = signal
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="crosslink profiles", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    _demote_feed_polls()
    install_error_handlers(app)
    instrument(app, service="profiles")
    app.include_router(export_router)  # before /profiles/{profile_id}, which would take it
    app.include_router(router)
    app.include_router(feedback_router)
    return app
