"""Rate limits, upstreams that are down or slow, several matchers, the request id upstream."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from gateway.access.keys import Scope, create_key
from gateway.app import create_app
from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Counting(httpx.AsyncBaseTransport):
    """Passes requests on and remembers them."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A real HTTP port that accepts requests and never answers (timeouts need real sockets)."""
    release = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release.set()
        server.close()
        await server.wait_closed()


async def serve(app: FastAPI, *requests: tuple[str, str, dict]) -> list[httpx.Response]:
    """Run the gateway's lifespan and send the requests in order."""
    responses = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            for method, url, kwargs in requests:
                responses.append(await client.request(method, url, **kwargs))
    return responses


async def test_anonymous_callers_get_429_with_retry_after(stack: Stack) -> None:
    app = create_app(
        stack.settings(rate_limit_anonymous="3/minute"),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    responses = await serve(app, *[("GET", "/v1/profiles", {})] * 4)
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    limited = responses[-1]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "3 per 1 minute" in limited.json()["error"]["message"]


async def test_each_key_has_its_own_limit(stack: Stack) -> None:
    app = create_app(
        stack.settings(rate_limit_key="2/minute", rate_limit_anonymous="1/minute"),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    async with app.router.lifespan_context(app):
        engine = app.state.services.keys_engine
        one = {"X-API-Key": create_key(engine=engine, hub="h1", scopes=[Scope.read])[1]}
        two = {"X-API-Key": create_key(engine=engine, hub="h2", scopes=[Scope.read])[1]}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            codes = [
                (await client.get("/v1/profiles", headers=headers)).status_code
                for headers in (one, one, one, two, two, {}, {})
            ]
    assert codes == [200, 200, 429, 200, 200, 200, 429]


async def test_profiles_down_gives_503_fast(stack: Stack) -> None:
    app = create_app(
        stack.settings(profiles_url=closed_port_url()), matcher_transports=[stack.matcher]
    )
    started = time.monotonic()
    responses = await serve(
        app,
        ("GET", "/v1/profiles/1", {}),
        ("POST", "/v1/profiles", {"json": {}, "headers": stack.auth("hub_a")}),
        ("GET", "/health", {}),
    )
    assert time.monotonic() - started < 3
    assert responses[0].status_code == 503
    assert responses[0].json()["error"]["code"] == "upstream_unavailable"
    assert "profiles" in responses[0].json()["error"]["message"]
    assert responses[1].status_code == 422  # the body is checked before any upstream call
    health = responses[2].json()
    assert health["ready"] is False and health["details"]["profiles"]["ready"] is False


async def test_matcher_down_gives_503(stack: Stack) -> None:
    app = create_app(
        stack.settings(matcher_urls=closed_port_url()), profiles_transport=stack.profiles
    )
    (response,) = await serve(app, ("POST", "/v1/match", {"json": {"text": "laser"}}))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "upstream_unavailable"


async def test_slow_upstream_gives_504_within_the_timeout(stack: Stack) -> None:
    async with silent_server() as url:
        app = create_app(stack.settings(upstream_timeout=0.3, profiles_url=url, matcher_urls=url))
        started = time.monotonic()
        responses = await serve(
            app,
            ("GET", "/v1/profiles/1", {}),
            ("POST", "/v1/match", {"json": {"text": "laser"}}),
        )
    assert time.monotonic() - started < 2.5
    for response in responses:
        assert response.status_code == 504, response.text
        assert response.json()["error"]["code"] == "upstream_timeout"


async def test_matchers_share_the_load_and_a_dead_one_is_skipped(stack: Stack) -> None:
    first, second = Counting(stack.matcher), Counting(stack.matcher)
    app = create_app(
        stack.settings(matcher_urls="http://m1,http://m2"),
        profiles_transport=stack.profiles,
        matcher_transports=[first, second],
    )
    responses = await serve(app, *[("POST", "/v1/match", {"json": {"text": "solar"}})] * 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert (len(first.requests), len(second.requests)) == (2, 2)

    alive = Counting(stack.matcher)
    app = create_app(
        stack.settings(matcher_urls=f"{closed_port_url()},http://alive"),
        profiles_transport=stack.profiles,
        matcher_transports=[None, alive],
    )
    responses = await serve(
        app, *[("POST", "/v1/match", {"json": {"text": "solar"}})] * 3, ("GET", "/health", {})
    )
    assert [r.status_code for r in responses[:3]] == [200] * 3
    assert [r.url.path for r in alive.requests][:3] == ["/match"] * 3
    health = responses[3].json()
    assert health["ready"] is True and health["status"] == "degraded"


async def test_request_id_reaches_the_upstreams(stack: Stack) -> None:
    profiles, matcher = Counting(stack.profiles), Counting(stack.matcher)
    app = create_app(stack.settings(), profiles_transport=profiles, matcher_transports=[matcher])
    headers = {"X-Request-ID": "visit-42"}
    await serve(
        app,
        ("GET", f"/v1/profiles/{stack.ids['gw-lasertec']}", {"headers": headers}),
        ("POST", "/v1/match", {"json": {"text": "solar"}, "headers": headers}),
    )
    assert profiles.requests[0].headers["X-Request-ID"] == "visit-42"
    assert matcher.requests[0].headers["X-Request-ID"] == "visit-42"
