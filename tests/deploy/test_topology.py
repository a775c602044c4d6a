"""The production topology as separate processes: the database (PostgreSQL when
CROSSLINK_TEST_DATABASE_URL is set, else a SQLite file), profiles, two matcher replicas, the
dispatcher and the gateway, each started with `python -m crosslink serve ...` as the containers
start them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.processes import Stack, poll
from tests.dispatcher.receiver import Receiver
from tests.factories import SAMPLES

QUERY = {"text": "laser welding process monitoring for aluminium parts", "limit": 5}


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[Stack]:
    stack = Stack(tmp_path, database_url)
    try:
        stack.start("profiles", "profiles")
        stack.wait_ready("profiles")
        stack.start_matcher("matcher-a")
        stack.start_matcher("matcher-b")
        matchers = f"{stack.url('matcher-a')},{stack.url('matcher-b')}"
        stack.start(
            "dispatcher",
            "dispatcher",
            CROSSLINK_PROFILES_URL=stack.url("profiles"),
            CROSSLINK_MATCHER_URLS=matchers,
            CROSSLINK_DISPATCHER_DATABASE_URL=database_url,
            CROSSLINK_WEBHOOK_ALLOW="127.0.0.1",
        )
        stack.start(
            "gateway",
            "gateway",
            CROSSLINK_PROFILES_URL=stack.url("profiles"),
            CROSSLINK_MATCHER_URLS=matchers,
            CROSSLINK_DISPATCHER_URL=stack.url("dispatcher"),
        )
        for name in ("matcher-a", "matcher-b", "dispatcher", "gateway"):
            stack.wait_ready(name)
        yield stack
    finally:
        stack.stop_all()


def _create_key(stack: Stack) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crosslink",
            "keys",
            "create",
            "--hub",
            "ops",
            "--scopes",
            "read,write",
        ],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _ranking(base_url: str) -> list[tuple[int, float]]:
    response = httpx.post(f"{base_url}/match", json=QUERY, timeout=10)
    assert response.status_code == 200, response.text
    return [(r["profile"]["id"], r["score"]) for r in response.json()["data"]]


def _same(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
    """Same profiles in the same order, scores equal up to the encoder's batch noise
    (replicas embed in different batches)."""
    return [i for i, _ in a] == [i for i, _ in b] and all(
        abs(x - y) < 0.02 for (_, x), (_, y) in zip(a, b, strict=True)
    )


def test_replicas_agree_survive_a_stop_and_catch_up(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {_create_key(stack)}"}
    ids = {}
    receiver = Receiver().start()
    with httpx.Client(base_url=stack.url("gateway"), headers=headers, timeout=10) as gateway:
        events = ["profile.created", "match.alert"]
        hook = gateway.post("/v1/webhooks", json={"url": receiver.url, "events": events})
        assert hook.status_code == 201, hook.text
        alert = gateway.post("/v1/alerts", json={"text": QUERY["text"], "top_k": 1})
        assert alert.status_code == 201, alert.text
        for sample in SAMPLES:
            response = gateway.post("/v1/profiles", json=sample)
            assert response.status_code == 201, response.text
            ids[sample["name"]] = response.json()["id"]
        laser = ids["Lasertec Dresden"]

        # The dispatcher, its own process, follows the feed and pushes signed events; the
        # alert fires for the profile that tops its search.
        def pushed() -> bool:
            return len(receiver.events("profile.created")) == len(SAMPLES) and bool(
                receiver.events("match.alert")
            )

        try:
            poll(pushed, deadline=30, what="webhooks from the dispatcher")
        finally:
            receiver.stop()
        secret = hook.json()["secret"]
        created = [
            r.verify(secret)["data"]["profile_id"] for r in receiver.events("profile.created")
        ]
        assert created == list(ids.values())
        (fired,) = [r.verify(secret)["data"] for r in receiver.events("match.alert")]
        assert fired["profile"]["id"] == laser and fired["rank"] == 1

        # Every replica follows the feed on its own and, once it has every profile, ranks the
        # same way.
        def synced(name: str) -> bool:
            health = httpx.get(f"{stack.url(name)}/health", timeout=5).json()
            return bool(health["details"]["profiles"] == len(SAMPLES))

        poll(lambda: synced("matcher-a") and synced("matcher-b"), deadline=30, what="sync")
        a, b = _ranking(stack.url("matcher-a")), _ranking(stack.url("matcher-b"))
        assert _same(a, b), (a, b)
        assert a[0][0] == laser
        assert len(a) == 5
        agreed = a

        through_gateway = gateway.post("/v1/match", json=QUERY)
        assert through_gateway.status_code == 200
        assert [r["profile"]["id"] for r in through_gateway.json()["data"]] == [
            i for i, _ in agreed
        ]

        # A deletion reaches both replicas.
        assert gateway.delete(f"/v1/profiles/{laser}").status_code == 204

        def laser_gone() -> bool:
            return all(
                laser not in [i for i, _ in _ranking(stack.url(m))]
                for m in ("matcher-a", "matcher-b")
            )

        poll(laser_gone, deadline=30, what="the deleted profile to leave both replicas")

        # One replica down: the gateway keeps answering from the other.
        stack.stop("matcher-a")
        for _ in range(4):
            response = gateway.post("/v1/match", json=QUERY)
            assert response.status_code == 200, response.text
            assert laser not in [r["profile"]["id"] for r in response.json()["data"]]

        # A replica started later catches up from the feed and agrees with the survivor.
        stack.start_matcher("matcher-c")
        stack.wait_ready("matcher-c")
        assert _same(_ranking(stack.url("matcher-c")), _ranking(stack.url("matcher-b")))

    # Every service exposes Prometheus metrics.
    for name in ("profiles", "matcher-b", "matcher-c", "dispatcher", "gateway"):
        metrics = httpx.get(f"{stack.url(name)}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "http_requests_total" in metrics.text, name
    lag = httpx.get(f"{stack.url('matcher-c')}/metrics", timeout=5).text
    assert "crosslink_matcher_feed_lag 0.0" in lag
    assert f"crosslink_matcher_profiles {len(SAMPLES) - 1}.0" in lag
    assert "crosslink_matcher_encode_seconds_count" in lag
