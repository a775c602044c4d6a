"""The matcher service: FastAPI app whose lifespan loads the encoder, restores the index snapshot
and follows the profiles change feed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from crosslink.errors import install_error_handlers
from crosslink.observability import instrument
from services.matcher import wiring
from services.matcher.api import intel_router, router
from services.matcher.config import MatcherSettings
from services.matcher.embedding import Encoder
from services.matcher.feedback import sync_feedback
from services.matcher.intel import IntelState
from services.matcher.metrics import encoding_observer, register_matcher_metrics
from services.matcher.ranking import MatchEngine
from services.matcher.sync import FeedFollower, demote_feed_requests
from services.matcher.text import load_detector

__all__ = ["create_app"]

log = logging.getLogger("crosslink.matcher")


async def _snapshot_periodically(engine: MatchEngine, settings: MatcherSettings) -> None:
    while True:
        await asyncio.sleep(settings.snapshot_interval)
        if engine.changed:
            try:
                await run_in_threadpool(engine.save, settings.resolved_index_dir)
            except OSError:
                log.exception("writing the index snapshot failed; will retry")


async def _refresh_intel(intel: IntelState, follower: FeedFollower, interval: float) -> None:
    """Compute the intelligence once the feed is caught up, and again when writes settle."""
    while True:
        await asyncio.sleep(interval)
        if not follower.ready:
            continue
        try:
            await run_in_threadpool(intel.refresh)
        except Exception:  # the last computed state keeps being served
            log.exception("computing the cluster intelligence failed; will retry")


def create_app(
    settings: MatcherSettings | None = None,
    *,
    profiles_transport: httpx.AsyncBaseTransport | None = None,
    encoder: Encoder | None = None,
) -> FastAPI:
    """The matcher app. `encoder` lets a caller share an already loaded model (tests, eval)."""
    settings = settings or MatcherSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wiring.limit_threads(settings)
        demote_feed_requests()
        prefetch = asyncio.ensure_future(run_in_threadpool(wiring.prefetch_imports))
        # The language detector loads beside the encoder's build and the restore; the index's
        # warm-up (before the first healthy answer) waits for it if it is not done by then.
        detector = asyncio.ensure_future(run_in_threadpool(load_detector))
        model = encoder
        if model is None:
            model = await run_in_threadpool(functools.partial(wiring.build_encoder, settings))
        await prefetch
        model.observer = observe_encoding
        engine = wiring.build_engine(settings, model)
        await run_in_threadpool(engine.load, settings.resolved_index_dir)
        await detector
        client = httpx.AsyncClient(
            base_url=settings.profiles_url,
            transport=profiles_transport,
            timeout=httpx.Timeout(settings.upstream_timeout),
        )
        follower = wiring.build_follower(settings, engine, client)
        intel = wiring.build_intel(settings, engine)
        app.state.intel = intel
        app.state.follower = follower
        tasks = [
            asyncio.create_task(follower.run(), name="matcher-feed"),
            asyncio.create_task(_snapshot_periodically(engine, settings), name="matcher-snap"),
            asyncio.create_task(
                _refresh_intel(intel, follower, settings.intel_poll_interval), name="matcher-intel"
            ),
            asyncio.create_task(
                sync_feedback(engine.feedback, client, settings.feedback_sync_interval),
                name="matcher-feedback",
            ),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await client.aclose()
            if engine.changed:  # an unchanged index is on disk already: stop (and restart) fast
                await run_in_threadpool(engine.save, settings.resolved_index_dir)

    app = FastAPI(title="crosslink matcher", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    registry = instrument(app, service="matcher")
    register_matcher_metrics(app, registry)
    observe_encoding = encoding_observer(registry)
    app.include_router(router)
    app.include_router(intel_router)
    return app
