"""The feedback store of the profiles service: one row per repeated mark, each voter counted
once per candidate and capped per day, marks owned and erased with the profiles they name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings

OWNER = {"X-Crosslink-Owner": "hub:a"}


@pytest.fixture
def capped(profiles_settings: ProfilesSettings) -> Iterator[TestClient]:
    settings = profiles_settings.model_copy(update={"feedback_daily_cap": 3})
    with TestClient(create_app(settings)) as client:
        yield client


def record(candidate: int, signal: str = "relevant", **extra: Any) -> dict[str, Any]:
    return {"owner": "hub:a", "voter": "hub:a", "candidate_id": candidate, "signal": signal} | extra


def test_a_voter_counts_once_per_candidate_and_only_up_to_the_daily_cap(
    capped: TestClient, create: Callable[..., dict[str, Any]]
) -> None:
    candidates = [create()["id"] for _ in range(5)]
    for n in range(10):  # ten marks on one candidate, in different scopes: one voter
        response = capped.post("/feedback", json=record(candidates[0], need_text=f"need {n}"))
        assert response.status_code == 201, response.text
    for candidate in candidates[1:]:
        capped.post("/feedback", json=record(candidate, signal="contacted"))
    for other in ("hub:b", "hub:c"):
        capped.post("/feedback", json=record(candidates[4]) | {"owner": other, "voter": other})
    counts = capped.get("/feedback/counts").json()["counts"]
    # hub:a's first three endorsements are counted (all on candidate 0); the rest are stored,
    # uncounted; candidate 4 has the two other voters.
    assert counts == {str(candidates[0]): 1, str(candidates[4]): 2}
    mine = capped.get("/feedback", headers=OWNER).json()
    assert mine["count"] == 14
    assert sum(m["counted"] for m in mine["data"]) == 3


def test_the_same_mark_again_is_the_stored_one_and_opposites_replace_each_other(
    capped: TestClient, create: Callable[..., dict[str, Any]]
) -> None:
    seeker, candidate = create()["id"], create()["id"]
    first = capped.post("/feedback", json=record(candidate, seeker_id=seeker))
    again = capped.post("/feedback", json=record(candidate, seeker_id=seeker))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    capped.post("/feedback", json=record(candidate, "not_relevant", seeker_id=seeker))
    marks = capped.get(f"/feedback?seeker_id={seeker}", headers=OWNER).json()["data"]
    assert [m["signal"] for m in marks] == ["not_relevant"]
    scope = capped.get(f"/feedback/scope?seeker_id={seeker}", headers=OWNER).json()
    assert scope == {"exclude_ids": [candidate], "boost_ids": []}
    elsewhere = capped.get("/feedback/scope", headers=OWNER).json()
    assert elsewhere == {"exclude_ids": [], "boost_ids": []}


def test_marks_are_owned_and_erased_with_their_profiles(
    profiles_client: TestClient, create: Callable[..., dict[str, Any]]
) -> None:
    seeker, candidate, kept = create()["id"], create()["id"], create()["id"]
    mark = profiles_client.post("/feedback", json=record(candidate, "hide")).json()
    profiles_client.post("/feedback", json=record(kept, "hide", seeker_id=seeker))
    profiles_client.post("/feedback", json=record(kept, "contacted"))
    refused = profiles_client.delete(f"/feedback/{mark['id']}", headers={"X-Crosslink-Owner": "x"})
    assert refused.status_code == 404
    missing_owner = profiles_client.get("/feedback")
    assert missing_owner.status_code == 422
    assert "X-Crosslink-Owner" in missing_owner.json()["error"]["message"]
    assert profiles_client.delete(f"/profiles/{candidate}").status_code == 204
    assert profiles_client.delete(f"/profiles/{seeker}").status_code == 204
    left = profiles_client.get("/feedback", headers=OWNER).json()["data"]
    assert [(m["candidate_id"], m["signal"]) for m in left] == [(kept, "contacted")]
    assert profiles_client.get("/feedback/counts").json()["counts"] == {str(kept): 1}
