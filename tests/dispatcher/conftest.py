"""The dispatcher in-process against the real profiles service (and, for alerts, the real
matcher with the real model), delivering to a real HTTP receiver on loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.dispatcher.app import create_app
from services.dispatcher.config import DispatcherSettings
from services.profiles.app import create_app as create_profiles_app
from services.profiles.config import ProfilesSettings
from tests.dispatcher.receiver import Receiver

FAST: dict[str, Any] = {
    "poll_interval": 0.02,
    "retry_base": 0.05,
    "retry_max": 0.2,
    "delivery_timeout": 2.0,
    "webhook_allow": ["127.0.0.1/32"],
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Stack:
    profiles: httpx.AsyncClient
    dispatcher: httpx.AsyncClient

    async def write(self, hub: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await self.profiles.post(
            "/profiles", json=payload, headers={"X-Crosslink-Owner": hub}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def subscribe(self, hub: str, url: str, **body: Any) -> dict[str, Any]:
        body = {"url": url, "events": ["profile.created"], **body}
        response = await self.dispatcher.post(
            "/webhooks", json=body, headers={"X-Crosslink-Hub": hub}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def get(self, hub: str, path: str) -> Any:
        response = await self.dispatcher.get(path, headers={"X-Crosslink-Hub": hub})
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def running(
    base: Path,
    database_url: str,
    *,
    matcher: httpx.AsyncBaseTransport | None = None,
    profiles_app: Any = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Profiles (unless given) and the dispatcher, lifespans run, with clients for both."""
    async with AsyncExitStack() as exits:
        if profiles_app is None:
            profiles_app = create_profiles_app(
                ProfilesSettings(database_url=database_url, data_dir=base, demo_data=False)
            )
            await exits.enter_async_context(profiles_app.router.lifespan_context(profiles_app))
        profiles = httpx.ASGITransport(app=profiles_app)
        settings = DispatcherSettings.model_validate(
            {"data_dir": base, "database_url": f"sqlite:///{base / 'dispatcher.db'}", **FAST}
            | overrides
        )
        app = create_app(
            settings,
            profiles_transport=profiles,
            matcher_transports=[matcher] if matcher is not None else [],
        )
        await exits.enter_async_context(app.router.lifespan_context(app))
        clients = [
            httpx.AsyncClient(transport=profiles, base_url="http://profiles"),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatcher"),
        ]
        for client in clients:
            await exits.enter_async_context(client)
        yield Stack(*clients)


@pytest.fixture(scope="session", autouse=True)
def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
