"""The matcher service: FastAPI app whose lifespan loads the encoder, restores the index snapshot
and follows the profiles change feed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator

import faiss
import httpx
import threadpoolctl
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from crosslink.errors import install_error_handlers
from crosslink.observability import instrument
from services.matcher.config import MatcherSettings
from services.matcher.encoder import Encoder
from services.matcher.metrics import encoding_observer, register_matcher_metrics
from services.matcher.routes import router
from services.matcher.routes_intel import router as intel_router
from services.matcher.service import MatchEngine
from services.matcher.sync import FeedFollower

log = logging.getLogger("crosslink.matcher")


async def _snapshot_periodically(engine: MatchEngine, settings: MatcherSettings) -> None:
    while True:
        await asyncio.sleep(settings.snapshot_interval)
        if engine.changed:
            try:
                await run_in_threadpool(engine.save, settings.resolved_index_dir)
            except OSError:
                log.exception("writing the index snapshot failed; will retry")


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
        faiss.omp_set_num_threads(settings.search_threads)
        # numpy's OpenBLAS would start its own threads for each product and spin them: with
        # requests in parallel that doubled the CPU per match (43 vs 26 ms on the full set).
        threadpoolctl.threadpool_limits(limits=settings.search_threads, user_api="blas")
        model = encoder
        if model is None:
            model = await run_in_threadpool(
                functools.partial(
                    Encoder,
                    settings.model,
                    backend=settings.encoder_backend,
                    cache_dir=settings.model_cache_dir,
                    threads=settings.encoder_threads,
                    query_cache=settings.query_cache,
                    passage_cache=settings.passage_cache,
                )
            )
        model.observer = observe_encoding
        engine = MatchEngine(model, concurrency=settings.match_concurrency)
        await run_in_threadpool(engine.load, settings.resolved_index_dir)
        client = httpx.AsyncClient(
            base_url=settings.profiles_url,
            transport=profiles_transport,
            timeout=httpx.Timeout(settings.upstream_timeout),
        )
        follower = FeedFollower(
            engine, client, page_size=settings.feed_page_size, poll_interval=settings.poll_interval
        )
        app.state.follower = follower
        tasks = [
            asyncio.create_task(follower.run(), name="matcher-feed"),
            asyncio.create_task(_snapshot_periodically(engine, settings), name="matcher-snap"),
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
            await run_in_threadpool(engine.save, settings.resolved_index_dir)

    app = FastAPI(title="crosslink matcher", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    registry = instrument(app, service="matcher")
    register_matcher_metrics(app, registry)
    observe_encoding = encoding_observer(registry)
    app.include_router(router)
    app.include_router(intel_router)
    return app
