"""The gateway against the real profiles service and matcher, in-process (ASGI transports), with
the real model, on a small known dataset. One stack per session keeps the suite fast; tests
that change data use profiles of their own."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from gateway.access.keys import Scope, create_key
from gateway.app import create_app
from gateway.config import GatewaySettings
from services.matcher.app import create_app as create_matcher_app
from services.matcher.config import MatcherSettings, default_model
from services.matcher.encoder import Encoder
from services.profiles.app import create_app as create_profiles_app
from services.profiles.config import ProfilesSettings
from tests.databases import fresh_database
from tests.gateway.data import PROFILES

OPEN = "100000/minute"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Encoder(default_model())


@pytest.fixture(scope="session")
def gateway_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the gateway suite (own schema on PostgreSQL)."""
    with fresh_database(tmp_path_factory.mktemp("db"), "test_gw") as url:
        yield url


@dataclass
class Stack:
    """The running services and what the tests need to know about them."""

    base: Path
    database_url: str
    profiles: httpx.ASGITransport
    matcher: httpx.ASGITransport
    gateway: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def settings(self, **overrides: object) -> GatewaySettings:
        values: dict[str, object] = {
            "data_dir": self.base,
            "keys_database_url": self.database_url,
            "rate_limit_anonymous": OPEN,
            "rate_limit_key": OPEN,
            **overrides,
        }
        return GatewaySettings.model_validate(values)


async def wait_until_indexed(
    matcher: httpx.ASGITransport, count: int, deadline: float = 60
) -> None:
    """Poll the matcher's health until it has caught up with `count` profiles."""
    async with httpx.AsyncClient(transport=matcher, base_url="http://matcher") as client:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            response = await client.get("/health")
            body = response.json()
            if response.status_code == 200 and body["details"]["profiles"] >= count:
                return
            await anyio.sleep(0.05)
    raise AssertionError(f"matcher did not index {count} profiles within {deadline} s: {body}")


@pytest.fixture(scope="session")
async def stack(
    gateway_database_url: str, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    base = tmp_path_factory.mktemp("stack")
    async with AsyncExitStack() as exits:
        profiles_app = create_profiles_app(
            ProfilesSettings(database_url=gateway_database_url, data_dir=base, demo_data=False)
        )
        await exits.enter_async_context(profiles_app.router.lifespan_context(profiles_app))
        profiles = httpx.ASGITransport(app=profiles_app)
        matcher_app = create_matcher_app(
            MatcherSettings(data_dir=base, poll_interval=0.05),
            profiles_transport=profiles,
            encoder=encoder,
        )
        await exits.enter_async_context(matcher_app.router.lifespan_context(matcher_app))
        matcher = httpx.ASGITransport(app=matcher_app)
        stack = Stack(base, gateway_database_url, profiles, matcher, FastAPI(), None)  # type: ignore[arg-type]
        stack.gateway = create_app(
            stack.settings(), profiles_transport=profiles, matcher_transports=[matcher]
        )
        await exits.enter_async_context(stack.gateway.router.lifespan_context(stack.gateway))
        stack.client = await exits.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=stack.gateway), base_url="http://gw"
            )
        )
        engine = stack.gateway.state.services.keys_engine
        for name, hub, scopes in [
            ("hub_a", "hub-a", [Scope.read, Scope.write]),
            ("hub_b", "hub-b", [Scope.read, Scope.write]),
            ("reader", "hub-r", [Scope.read]),
            ("contacts", "hub-c", [Scope.read, Scope.contacts]),
            ("admin", "admin", [Scope.admin]),
        ]:
            stack.tokens[name] = create_key(engine=engine, hub=hub, scopes=scopes)[1]
        response = await stack.client.post(
            "/v1/profiles/bulk", json=PROFILES, headers=stack.auth("hub_a")
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["created"] == len(PROFILES), result
        for item, profile in zip(result["items"], PROFILES, strict=True):
            stack.ids[profile["external_id"]] = item["id"]
        await wait_until_indexed(matcher, len(PROFILES))
        yield stack
