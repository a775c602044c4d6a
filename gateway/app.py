"""The gateway app: the one public API under /v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from crosslink.errors import install_error_handlers
from crosslink.observability import instrument
from gateway import batch, feedback, health, intel, matching, profiles, visits, vouchers, web
from gateway.access import RateLimiter, make_engine
from gateway.config import GatewaySettings
from gateway.deps import Services, reject_nul_in_query
from gateway.gate import BodyLimit
from gateway.idempotency import create_idempotency_table
from gateway.openapi import document, install_method_not_allowed
from gateway.profiles import BULK_PATHS
from gateway.upstream import Upstream, UpstreamPool
from gateway.visits import create_plan_table
from gateway.webhooks import build_dispatcher
from gateway.webhooks import router as webhooks

DESCRIPTION = """Cross-regional partner matchmaking for SMEs, research bodies and clusters.

Anonymous callers may read and search (rate-limited per address). Writes, batch matching and
contact details need an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) with the
scopes `write`, `contacts` or `admin`. Every error is `{"error": {"code", "message", "details"}}`.
"""


def _build_services(
    settings: GatewaySettings,
    profiles_transport: httpx.AsyncBaseTransport | None,
    matcher_transports: list[httpx.AsyncBaseTransport | None] | None,
) -> Services:
    timeout = httpx.Timeout(settings.upstream_timeout, connect=settings.upstream_connect_timeout)
    profiles_upstream = Upstream(
        "profiles",
        settings.profiles_url,
        timeout=timeout,
        retries=settings.upstream_retries,
        transport=profiles_transport,
    )
    transports: list[httpx.AsyncBaseTransport | None] = list(
        matcher_transports or [None] * len(settings.matcher_urls)
    )
    urls = settings.matcher_urls
    if len(urls) < len(transports):  # in-process matchers need distinct base URLs
        urls = [f"http://matcher-{i}" for i in range(len(transports))]
    matchers = [
        Upstream("matcher", url, timeout=timeout, retries=settings.upstream_retries, transport=t)
        for url, t in zip(urls, transports, strict=False)
    ]
    engine = make_engine(settings.keys_url())
    create_plan_table(engine)
    create_idempotency_table(engine)
    return Services(
        settings=settings,
        profiles=profiles_upstream,
        matchers=UpstreamPool("matcher", matchers, cooldown=settings.matcher_cooldown),
        keys_engine=engine,
        limiter=RateLimiter(
            anonymous=settings.rate_limit_anonymous, per_key=settings.rate_limit_key
        ),
    )


def create_app(
    settings: GatewaySettings | None = None,
    *,
    profiles_transport: httpx.AsyncBaseTransport | None = None,
    matcher_transports: list[httpx.AsyncBaseTransport | None] | None = None,
    dispatcher_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the gateway; transports let tests plug the real services in-process."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = _build_services(settings, profiles_transport, matcher_transports)
        app.state.services = services
        app.state.dispatcher = build_dispatcher(settings, dispatcher_transport)
        try:
            yield
        finally:
            await app.state.dispatcher.aclose()
            await services.profiles.aclose()
            await services.matchers.aclose()
            services.keys_engine.dispose()

    app = FastAPI(title="crosslink", version="1", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    instrument(app, service="gateway")  # X-Request-ID in, out and in logs; /metrics
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        bulk=settings.max_bulk_body_bytes,
        bulk_paths=BULK_PATHS,
    )
    if settings.trusted_proxies:  # the caller's address from X-Forwarded-For, only from these
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(health.router)
    for domain in (profiles, matching, feedback, vouchers, batch, visits, intel):
        app.include_router(domain.router, prefix="/v1", dependencies=[Depends(reject_nul_in_query)])
    app.include_router(webhooks, prefix="/v1", dependencies=[Depends(reject_nul_in_query)])
    app.include_router(web.router)
    document(app)
    install_method_not_allowed(app)
    return app
