"""Crashes under writes (issue 19): profiles, matcher and gateway as separate processes on one
database (a SQLite file, or PostgreSQL when CROSSLINK_TEST_DATABASE_URL is set). A writer creates
profiles through the gateway, each with its own `Idempotency-Key` and `external_id`, while the
matcher and then the profiles service are killed with SIGKILL and started again. Every write whose
answer the writer did not get is retried with the same key. Afterwards every acknowledged write is
there exactly once, and the restarted matcher has caught up with the feed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.processes import Stack, poll
from tests.factories import SAMPLES

WRITES = 40
STARTUP = 300.0  # generous: model load on a shared, loaded machine
LATE = "cryogenic hydrogen tank sloshing simulation for rocket upper stages"


def _payload(i: int) -> dict[str, Any]:
    base = dict(SAMPLES[i % len(SAMPLES)])
    base.update(name=f"Crash Org {i:03d}", external_id=f"crash-{i:03d}")
    if i == WRITES - 1:  # written after both crashes: the matcher must find it
        base.update(description=f"We run {LATE}.", offers=[LATE], keywords=["cryogenics"])
    return base


@dataclass
class Writer:
    """Creates the profiles one after the other; remembers what was answered and what not."""

    client: httpx.Client
    keys: dict[int, str] = field(default_factory=dict)
    acknowledged: dict[int, int] = field(default_factory=dict)  # write -> profile id
    unanswered: list[int] = field(default_factory=list)
    progress: threading.Condition = field(default_factory=threading.Condition)

    def attempt(self, i: int) -> bool:
        """One try; True when the write is decided (created, or created by an earlier try)."""
        key = self.keys.setdefault(i, str(uuid.uuid4()))
        try:
            response = self.client.post(
                "/v1/profiles", json=_payload(i), headers={"Idempotency-Key": key}
            )
        except httpx.HTTPError:
            return False
        if response.status_code == 201:
            self.acknowledged[i] = response.json()["id"]
            return True
        body = response.json()
        if response.status_code == 409 and "external_id" in body["error"]["message"]:
            # An earlier try committed but its answer was lost (docs/SECURITY.md): the
            # profiles service refuses the duplicate; the profile is read back below.
            found = self._find(f"crash-{i:03d}")
            assert found is not None, body
            self.acknowledged[i] = found
            return True
        assert response.status_code in (503, 504, 409), response.text  # 409: still in progress
        return False

    def _find(self, external_id: str) -> int | None:
        response = self.client.get("/v1/profiles", params={"external_id": external_id})
        data = response.json()["data"] if response.status_code == 200 else []
        return data[0]["id"] if data else None

    def run(self) -> None:
        for i in range(WRITES):
            if not self.attempt(i):
                self.unanswered.append(i)
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, done: int, deadline: float = 60) -> None:
        with self.progress:
            ok = self.progress.wait_for(
                lambda: len(self.acknowledged) + len(self.unanswered) >= done, timeout=deadline
            )
        assert ok, f"the writer did not get to write {done}"


def _start_matcher(stack: Stack, port: int | None = None) -> None:
    # The torch encoder: no ONNX export at each matcher start (this test is about crashes).
    stack.start_matcher("matcher", port=port, CROSSLINK_ENCODER_BACKEND="torch")


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[Stack]:
    stack = Stack(tmp_path, database_url)
    try:
        stack.start("profiles", "profiles")
        stack.wait_ready("profiles")
        _start_matcher(stack)
        stack.start_gateway()
        for name in ("matcher", "gateway"):
            stack.wait_ready(name, deadline=STARTUP)
        yield stack
    finally:
        stack.stop_all()


def test_acknowledged_writes_survive_kill_9_and_retries_do_not_duplicate(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {stack.create_key('crash')}"}
    with httpx.Client(base_url=stack.url("gateway"), headers=headers, timeout=10) as client:
        writer = Writer(client)
        thread = threading.Thread(target=writer.run)
        thread.start()
        try:
            writer.wait_for(8)
            stack.kill("matcher")
            writer.wait_for(16)
            stack.kill("profiles")
            writer.wait_for(20)  # these find the profiles service gone
            stack.restart("profiles", "profiles")
            stack.wait_ready("profiles")
            _start_matcher(stack, port=stack.ports["matcher"])
        finally:
            thread.join(timeout=120)
        assert not thread.is_alive()
        assert writer.unanswered, "no write met a dead service: the crash was not under writes"

        # The client retries what it got no answer for, with the same key.
        for i in writer.unanswered:
            poll(partial(writer.attempt, i), deadline=60, what=f"write {i} to be decided")
        assert sorted(writer.acknowledged) == list(range(WRITES))

        # Every acknowledged write is there, once.
        listed: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/profiles", params=params)
            assert page.status_code == 200, page.text
            listed.extend(page.json()["data"])
            cursor = page.json().get("next_cursor")
            if not cursor:
                break
        ours = [p for p in listed if (p.get("external_id") or "").startswith("crash-")]
        names = [p["name"] for p in ours]
        assert len(names) == len(set(names)) == WRITES, sorted(names)
        by_external_id = {p["external_id"]: p["id"] for p in ours}
        assert by_external_id == {f"crash-{i:03d}": pid for i, pid in writer.acknowledged.items()}

        # The restarted matcher catches up with the feed: it finds the profile written last.
        stack.wait_ready("matcher", deadline=STARTUP)
        late = writer.acknowledged[WRITES - 1]

        def found_late() -> bool:
            response = client.post("/v1/match", json={"text": LATE, "limit": 3})
            return response.status_code == 200 and any(
                r["profile"]["id"] == late for r in response.json()["data"]
            )

        poll(found_late, deadline=60, what="the restarted matcher to find the late profile")
