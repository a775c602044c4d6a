"""The gateway against the real profiles service and matcher, in-process (ASGI transports), with
the real model, on the gateway selection of the test dataset. One stack per session keeps the
suite fast; tests that change data use profiles of their own."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from gateway.access.keys import Scope, create_key
from gateway.config import GatewaySettings
from services.matcher.config import default_model
from services.matcher.embedding import Encoder
from tests.databases import fresh_database
from tests.dispatcher.conftest import receiver  # noqa: F401 (the webhook tests' loopback receiver)
from tests.factories import GATEWAY_SET, dataset
from tests.stack import gateway_settings, in_process_stack

PROFILES = dataset(GATEWAY_SET, prefix="gw")


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
    profiles: httpx.AsyncBaseTransport
    matcher: httpx.ASGITransport
    gateway: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def settings(self, **overrides: object) -> GatewaySettings:
        return gateway_settings(
            data_dir=self.base, keys_database_url=self.database_url, **overrides
        )


@pytest.fixture(scope="session")
async def stack(
    gateway_database_url: str, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    base = tmp_path_factory.mktemp("stack")
    settings = gateway_settings(data_dir=base, keys_database_url=gateway_database_url)
    async with in_process_stack(
        database_url=gateway_database_url, data_dir=base, gateway=settings, encoder=encoder
    ) as running:
        stack = Stack(
            base,
            gateway_database_url,
            running.profiles,
            running.matcher,
            running.gateway,
            running.client,
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
        await running.wait_until_indexed(len(PROFILES))
        yield stack


@pytest.fixture
async def gw(stack: Stack) -> Stack:
    """The stack, named for what these tests use of it: the gateway's intelligence routes, once
    the matcher has computed them over every profile (in the background: 503 before)."""
    await wait_for_intel(stack)
    return stack


async def wait_for_intel(stack: Stack, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(transport=stack.matcher, base_url="http://matcher") as client:
        while True:
            response = await client.get("/fields")
            if response.status_code == 200 and response.json()["profiles"] == len(PROFILES):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"intel not computed within {timeout}s: {response.text}")
            await anyio.sleep(0.05)
