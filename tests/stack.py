"""The whole stack (profiles, matcher, gateway) in this process, for tests: one helper, two ways
to reach it.

- `in_process_stack(...)`: the apps joined by ASGI transports, lifespans run (the gateway suite).
- `served_stack(...)`: each app behind a uvicorn server on a free loopback port, in a thread of
  this process, for clients that need sockets (a browser: the web suite).

Both use the same settings (`*_settings` below: no demo data, fast feed polling, rate limits
out of the way) and leave loading data to the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from fastapi import FastAPI

from gateway.app import create_app as create_gateway
from gateway.config import GatewaySettings
from services.matcher.app import create_app as create_matcher
from services.matcher.config import MatcherSettings
from services.profiles.app import create_app as create_profiles
from services.profiles.config import ProfilesSettings

OPEN = "100000/minute"
STARTUP_DEADLINE = 120.0


def profiles_settings(*, database_url: str, data_dir: Path) -> ProfilesSettings:
    return ProfilesSettings(database_url=database_url, data_dir=data_dir, demo_data=False)


def matcher_settings(*, data_dir: Path, **overrides: Any) -> MatcherSettings:
    return MatcherSettings.model_validate(
        {"data_dir": data_dir, "poll_interval": 0.05, "feedback_sync_interval": 0.1, **overrides}
    )


def gateway_settings(*, data_dir: Path, **overrides: Any) -> GatewaySettings:
    values = {
        "data_dir": data_dir,
        "rate_limit_anonymous": OPEN,
        "rate_limit_key": OPEN,
        **overrides,
    }
    return GatewaySettings.model_validate(values)


def wait_for(check: Callable[[], Any], *, deadline: float, what: str) -> Any:
    """Poll `check` until it returns something truthy or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise TimeoutError(f"gave up waiting for {what} after {deadline:.0f} s")
        time.sleep(0.05)


@dataclass
class InProcessStack:
    profiles: httpx.ASGITransport
    matcher: httpx.ASGITransport
    gateway: FastAPI
    client: httpx.AsyncClient  # to the gateway

    async def wait_until_indexed(self, count: int, deadline: float = 60) -> None:
        """Poll the matcher's health until it has caught up with `count` profiles."""
        async with httpx.AsyncClient(transport=self.matcher, base_url="http://matcher") as client:
            end = time.monotonic() + deadline
            while time.monotonic() < end:
                response = await client.get("/health")
                body = response.json()
                if response.status_code == 200 and body["details"]["profiles"] >= count:
                    return
                await anyio.sleep(0.05)
        raise AssertionError(f"matcher did not index {count} profiles within {deadline} s: {body}")


@asynccontextmanager
async def in_process_stack(
    *, database_url: str, data_dir: Path, gateway: GatewaySettings, encoder: Any = None
) -> AsyncIterator[InProcessStack]:
    """profiles -> matcher -> gateway over ASGI transports, each with its lifespan running."""
    async with AsyncExitStack() as exits:
        profiles_app = create_profiles(
            profiles_settings(database_url=database_url, data_dir=data_dir)
        )
        await exits.enter_async_context(profiles_app.router.lifespan_context(profiles_app))
        profiles = httpx.ASGITransport(app=profiles_app)
        matcher_app = create_matcher(
            matcher_settings(data_dir=data_dir), profiles_transport=profiles, encoder=encoder
        )
        await exits.enter_async_context(matcher_app.router.lifespan_context(matcher_app))
        matcher = httpx.ASGITransport(app=matcher_app)
        gateway_app = create_gateway(
            gateway, profiles_transport=profiles, matcher_transports=[matcher]
        )
        await exits.enter_async_context(gateway_app.router.lifespan_context(gateway_app))
        client = await exits.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway_app), base_url="http://gw")
        )
        yield InProcessStack(profiles, matcher, gateway_app, client)


class ServerThread:
    """One ASGI app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI):
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_for(
            lambda: self.server.started or not self.thread.is_alive(),
            deadline=STARTUP_DEADLINE,
            what="uvicorn to start",
        )
        if not self.server.started:
            raise RuntimeError("uvicorn did not start; see the log above")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class ServedStack:
    profiles_url: str
    matcher_url: str
    url: str  # the gateway's


@contextmanager
def served_stack(*, database_url: str, data_dir: Path) -> Iterator[ServedStack]:
    """profiles -> matcher -> gateway, each behind its own uvicorn server."""
    with ExitStack() as exits:
        profiles_url = exits.enter_context(
            ServerThread(
                create_profiles(profiles_settings(database_url=database_url, data_dir=data_dir))
            )
        )
        matcher_url = exits.enter_context(
            ServerThread(
                create_matcher(matcher_settings(data_dir=data_dir, profiles_url=profiles_url))
            )
        )
        settings = gateway_settings(
            data_dir=data_dir, profiles_url=profiles_url, matcher_urls=[matcher_url]
        )
        url = exits.enter_context(ServerThread(create_gateway(settings)))
        yield ServedStack(profiles_url, matcher_url, url)
