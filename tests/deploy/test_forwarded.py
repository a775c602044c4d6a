"""The gateway as it is served (`python -m crosslink serve gateway`): a caller cannot escape its
rate limit by sending X-Forwarded-For, unless it is a configured proxy (issue 19, defect 9)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.processes import STARTUP_DEADLINE, Stack, poll


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        stack.start(
            "gateway",
            "gateway",
            CROSSLINK_RATE_LIMIT_ANONYMOUS="5/minute",
            CROSSLINK_PROFILES_URL="http://127.0.0.1:9",  # nothing listens: reads answer 503
            CROSSLINK_MATCHER_URLS="http://127.0.0.1:9",
        )
        poll(
            lambda: httpx.get(f"{stack.url('gateway')}/health", timeout=2),
            deadline=STARTUP_DEADLINE,
            what="the gateway to answer",
        )
        yield stack
    finally:
        stack.stop_all()


def test_random_forwarded_for_from_an_untrusted_peer_is_one_caller(gateway: Stack) -> None:
    rng = random.Random(19)
    statuses = []
    with httpx.Client(base_url=gateway.url("gateway"), timeout=10) as client:
        for _ in range(70):
            forwarded = ".".join(str(rng.randint(1, 254)) for _ in range(4))
            response = client.get("/v1/profiles/1", headers={"X-Forwarded-For": forwarded})
            statuses.append(response.status_code)
    assert statuses.count(429) >= 65, statuses  # 5 a minute for the one real address
