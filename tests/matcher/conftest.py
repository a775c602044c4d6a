"""Matcher fixtures: the real model (once per session), an in-memory change feed served through
`httpx.MockTransport`, and a matcher app started with its lifespan."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from models.profiles import Change, ChangeOp, ChangesPublic, ProfilePublic
from services.matcher.app import create_app
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from tests.factories import profile_payload

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(default_model())


class FakeFeed:
    """The profiles service's `GET /changes` (and its `GET /feedback/counts`: none), in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.changes: list[Change] = []
        self.profiles: dict[int, ProfilePublic] = {}
        self.requests: list[int] = []  # the `after` of every poll
        self.down = False
        self._next_id = 1

    def _append(self, op: ChangeOp, profile_id: int, profile: ProfilePublic | None) -> None:
        seq = len(self.changes) + 1
        self.changes.append(Change(seq=seq, op=op, profile_id=profile_id, profile=profile))

    def create(self, **overrides: Any) -> ProfilePublic:
        with self._lock:
            now = datetime.now(UTC)
            profile = ProfilePublic.model_validate(
                {
                    **profile_payload(**overrides),
                    "id": self._next_id,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            self._next_id += 1
            self.profiles[profile.id] = profile
            self._append(ChangeOp.create, profile.id, profile)
            return profile

    def update(self, profile_id: int, **fields: Any) -> ProfilePublic:
        with self._lock:
            old = self.profiles[profile_id]
            profile = ProfilePublic.model_validate(
                {**old.model_dump(), **fields, "version": old.version + 1}
            )
            self.profiles[profile_id] = profile
            self._append(ChangeOp.update, profile_id, profile)
            return profile

    def delete(self, profile_id: int) -> None:
        with self._lock:
            del self.profiles[profile_id]
            self._append(ChangeOp.delete, profile_id, None)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/feedback/counts":  # the matcher's feedback sync
            return httpx.Response(200, json={"counts": {}})
        assert request.url.path == "/changes"
        after = int(request.url.params.get("after", "0"))
        limit = int(request.url.params.get("limit", "100"))
        with self._lock:
            self.requests.append(after)
            page = [c for c in self.changes if c.seq > after][:limit]
            body = ChangesPublic(changes=page, last_seq=len(self.changes))
        return httpx.Response(200, json=body.model_dump(mode="json"))

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@pytest.fixture
def feed() -> FakeFeed:
    return FakeFeed()


@pytest.fixture
def settings(tmp_path: Path) -> MatcherSettings:
    return MatcherSettings(
        profiles_url="http://profiles.test",
        model=default_model(),
        data_dir=tmp_path,
        poll_interval=0.05,
        snapshot_interval=3600,
    )


StartMatcher = Callable[..., Any]


@pytest.fixture
def start_matcher(encoder: Encoder, settings: MatcherSettings) -> Callable[..., Any]:
    """`with start_matcher(transport) as client:` runs the matcher with its lifespan."""

    @contextmanager
    def start(transport: httpx.AsyncBaseTransport, **overrides: Any) -> Iterator[TestClient]:
        app = create_app(
            settings.model_copy(update=overrides), profiles_transport=transport, encoder=encoder
        )
        with TestClient(app) as client:
            yield client

    return start


def wait_for(check: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def wait_ready(client: TestClient, timeout: float = 5.0) -> None:
    wait_for(lambda: client.get("/health").status_code == 200, timeout=timeout)


def wait_intel(client: TestClient, timeout: float = 10.0) -> None:
    """Until the first cluster-intelligence computation is served (503 `not_ready` before)."""
    wait_for(lambda: client.get("/fields").status_code == 200, timeout=timeout)


def match_ids(client: TestClient, text: str, **body: Any) -> list[int]:
    response = client.post("/match", json={"text": text, "limit": 100, **body})
    assert response.status_code == 200, response.text
    return [r["profile"]["id"] for r in response.json()["data"]]
