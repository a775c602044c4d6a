"""The aggregated feedback through the matcher's HTTP API: the endorsement counts it syncs from
the profiles service count only from a quorum of distinct endorsers on; the caller's own mark
(`boost_ids`) lifts a candidate for that caller whatever the count."""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from services.matcher.config import MatcherSettings
from services.matcher.ranking.feedback import FeedbackBoard
from tests.matcher.conftest import FakeFeed, StartMatcher, wait_for, wait_ready

TEXT = "laser welding and process monitoring of metal parts"


class CountingFeed(FakeFeed):
    """The fake feed, serving settable endorsement counts at `GET /feedback/counts`."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[int, int] = {}
        self._counts_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feedback/counts":
            with self._counts_lock:
                counts = {str(k): v for k, v in self.counts.items()}
            return httpx.Response(200, json={"counts": counts})
        return super().handle(request)

    def set_counts(self, counts: dict[int, int]) -> None:
        with self._counts_lock:
            self.counts = dict(counts)


def feedback_of(client: TestClient, **body: Any) -> dict[int, float]:
    response = client.post("/match", json={"text": TEXT, "limit": 100, **body})
    assert response.status_code == 200, response.text
    return {
        r["profile"]["id"]: r["explanation"]["components"].get("feedback", 0.0)
        for r in response.json()["data"]
    }


def test_the_aggregate_counts_only_from_the_quorum_on(start_matcher: StartMatcher) -> None:
    feed = CountingFeed()
    ids = [
        feed.create(
            name=f"Laser Lab {n}",
            description="Laser welding research with in-process monitoring of metal parts.",
            offers=["laser welding process monitoring"],
        ).id
        for n in range(4)
    ]
    quorum, saturation = 3, 20
    with start_matcher(
        feed.transport,
        feedback_sync_interval=0.05,
        feedback_quorum=quorum,
        feedback_saturation=saturation,
    ) as client:
        wait_ready(client)
        wait_for(lambda: len(feedback_of(client)) == len(ids))
        lone, short, at_quorum, above = ids
        feed.set_counts({lone: 1, short: quorum - 1, at_quorum: quorum, above: quorum + 2})
        # The sync has happened once the candidates at and above the quorum are lifted.
        seen = wait_for(lambda: (f := feedback_of(client))[at_quorum] > 0 and f)
        span = saturation - quorum + 1
        assert seen[lone] == 0 and seen[short] == 0
        assert seen[at_quorum] == pytest.approx(0.5 * math.log(2) / math.log1p(span), abs=1e-6)
        assert seen[above] == pytest.approx(0.5 * math.log(4) / math.log1p(span), abs=1e-6)
        # The caller's own mark lifts a candidate below the quorum for that caller only.
        own = feedback_of(client, boost_ids=[lone])
        assert own[lone] == pytest.approx(0.5, abs=1e-6)
        assert feedback_of(client)[lone] == 0
        # Past the saturation the aggregate half is full, never more.
        feed.set_counts({above: saturation + 50})
        full = wait_for(lambda: (f := feedback_of(client))[at_quorum] == 0 and f)
        assert full[above] == pytest.approx(0.5, abs=1e-6)
        assert feedback_of(client, boost_ids=[above])[above] == pytest.approx(1.0, abs=1e-6)


def test_one_more_endorser_adds_at_most_the_first_step_after_the_quorum() -> None:
    board = FeedbackBoard(weight=0.3, saturation=20, quorum=3)
    assert board.endorsers(np.array([7], dtype=np.int64)).tolist() == [0.0]  # nothing synced
    curve = board.aggregate(np.arange(0, 40))
    assert curve[:3].tolist() == [0, 0, 0] and curve[-1] == 1.0
    assert np.all((curve >= 0) & (curve <= 1))
    steps = np.diff(curve)
    assert steps.max() == pytest.approx(curve[3]) and np.all(steps >= 0)


def test_the_quorum_is_a_setting_within_the_saturation(monkeypatch: pytest.MonkeyPatch) -> None:
    default = MatcherSettings.model_fields["feedback_quorum"].default
    assert default == 3
    signature = inspect.signature(FeedbackBoard.__init__).parameters
    assert signature["quorum"].default == default
    assert (
        signature["saturation"].default
        == MatcherSettings.model_fields["feedback_saturation"].default
    )
    monkeypatch.setenv("CROSSLINK_FEEDBACK_QUORUM", "5")
    assert MatcherSettings().feedback_quorum == 5
    monkeypatch.setenv("CROSSLINK_FEEDBACK_QUORUM", "30")
    with pytest.raises(ValueError, match="feedback_quorum"):
        MatcherSettings()
    with pytest.raises(ValueError, match="quorum"):
        FeedbackBoard(saturation=2, quorum=3)
