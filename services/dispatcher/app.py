"""The dispatcher service: its lifespan follows the profiles change feed, checks alerts against
the matcher and delivers webhooks; its routes are the internal API the gateway calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from crosslink.errors import install_error_handlers
from crosslink.observability import instrument
from services.dispatcher.alerts import AlertWorker
from services.dispatcher.config import DispatcherSettings
from services.dispatcher.db import make_engine
from services.dispatcher.delivery import Deliverer, RetryPolicy
from services.dispatcher.feed import FeedFollower
from services.dispatcher.routes import router
from services.dispatcher.urls import AllowList

__all__ = ["create_app"]

log = logging.getLogger("crosslink.dispatcher")

SHUTDOWN_GRACE = 10.0  # seconds the background tasks get to stop


def create_app(
    settings: DispatcherSettings | None = None,
    *,
    profiles_transport: httpx.AsyncBaseTransport | None = None,
    matcher_transports: list[httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """The dispatcher app; transports let tests plug the real services in-process."""
    settings = settings or DispatcherSettings()
    allow = AllowList.parse(settings.webhook_allow)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        timeout = httpx.Timeout(settings.upstream_timeout)
        profiles = httpx.AsyncClient(
            base_url=settings.profiles_url, transport=profiles_transport, timeout=timeout
        )
        pairs: list[tuple[str, httpx.AsyncBaseTransport | None]]
        if matcher_transports is not None:
            pairs = [(f"http://matcher-{i}", t) for i, t in enumerate(matcher_transports)]
        else:
            pairs = [(url, None) for url in settings.matcher_urls]
        matchers = [
            httpx.AsyncClient(base_url=url, transport=t, timeout=timeout) for url, t in pairs
        ]
        receivers = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.delivery_timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.delivery_concurrency * 2),
        )
        policy = RetryPolicy(
            base=settings.retry_base, maximum=settings.retry_max, window=settings.retry_window
        )
        deliverer = Deliverer(
            engine,
            receivers,
            allow=allow,
            policy=policy,
            concurrency=settings.delivery_concurrency,
            poll=settings.poll_interval,
        )
        alerts = AlertWorker(
            engine, matchers, wait=settings.alert_wait, poll=settings.poll_interval
        )

        def applied(alert_work: bool) -> None:
            deliverer.wake.set()
            if alert_work:
                alerts.wake.set()

        follower = FeedFollower(
            engine,
            profiles,
            page_size=settings.feed_page_size,
            poll_interval=settings.poll_interval,
            on_applied=applied,
            wait=settings.feed_wait,
            timeout=settings.upstream_timeout,
        )
        app.state.engine = engine
        app.state.allow = allow
        app.state.deliverer, app.state.alerts, app.state.follower = deliverer, alerts, follower
        tasks = [
            asyncio.create_task(follower.run(), name="dispatcher-feed"),
            asyncio.create_task(alerts.run(), name="dispatcher-alerts"),
            asyncio.create_task(deliverer.run(), name="dispatcher-delivery"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a task stuck past its cancellation must not hold the shutdown forever
            # (what it had not committed is redone from the feed and the queue after a start).
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
            await deliverer.aclose(timeout=SHUTDOWN_GRACE)
            if stuck:
                log.warning("shutdown left %s running", ", ".join(t.get_name() for t in stuck))
            for client in (profiles, receivers, *matchers):
                await client.aclose()
            engine.dispose()

    app = FastAPI(title="crosslink dispatcher", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    instrument(app, service="dispatcher")
    app.include_router(router)
    return app
