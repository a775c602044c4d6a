"""Feedback through the gateway: a hidden or not-relevant candidate leaves that caller's results
for that seeker (also after a matcher restart) and nobody else's; undo restores it; marks are
the caller's own; relevant marks move a candidate up and count once per caller, for others only
from a quorum of distinct callers on."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest

from gateway.app import create_app as create_gateway
from services.matcher.app import create_app as create_matcher
from services.matcher.embedding import Encoder
from tests.factories import LASER_NEED, profile_payload
from tests.gateway.conftest import Stack
from tests.stack import matcher_settings

pytestmark = pytest.mark.anyio

VISITOR = {"X-Crosslink-Visitor": "visitor-one-aaaaaaaaaaaaaaaaaaaa"}
OTHER_VISITOR = {"X-Crosslink-Visitor": "visitor-two-bbbbbbbbbbbbbbbbbbbb"}
CALLERS = ("hub_a", "hub_b", "reader", "contacts")


def result_ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["profile"]["id"] for r in response.json()["data"]]


@pytest.fixture(autouse=True)
async def forget_marks(stack: Stack) -> AsyncIterator[None]:
    """Each test starts and ends without marks (the stack is shared by the suite)."""
    yield
    for headers in [stack.auth(name) for name in CALLERS] + [VISITOR, OTHER_VISITOR]:
        listed = await stack.client.get("/v1/feedback", headers=headers)
        for mark in listed.json()["data"]:
            await stack.client.delete(f"/v1/feedback/{mark['id']}", headers=headers)


async def matches(stack: Stack, seeker: int, headers: dict[str, str]) -> list[int]:
    url = f"/v1/profiles/{seeker}/matches"
    return result_ids(await stack.client.get(url, params={"limit": 20}, headers=headers))


async def mark(stack: Stack, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await stack.client.post("/v1/feedback", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    marked: dict[str, Any] = response.json()
    return marked


@asynccontextmanager
async def restarted_gateway(
    stack: Stack, data_dir: Any, encoder: Encoder
) -> AsyncIterator[httpx.AsyncClient]:
    """A new matcher (no snapshot: it rebuilds from the feed) behind a new gateway."""
    matcher_app = create_matcher(
        matcher_settings(data_dir=data_dir), profiles_transport=stack.profiles, encoder=encoder
    )
    async with matcher_app.router.lifespan_context(matcher_app):
        matcher = httpx.ASGITransport(app=matcher_app)
        gateway = create_gateway(
            stack.settings(), profiles_transport=stack.profiles, matcher_transports=[matcher]
        )
        async with (
            gateway.router.lifespan_context(gateway),
            httpx.AsyncClient(transport=matcher, base_url="http://m2") as direct,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://gw2"
            ) as client,
        ):
            end = time.monotonic() + 120
            while (await direct.get("/health")).status_code != 200:
                assert time.monotonic() < end, "the restarted matcher never became ready"
                await anyio.sleep(0.1)
            yield client


async def test_hidden_stays_hidden_for_that_seeker_only_and_undo_restores(
    stack: Stack, tmp_path: Any, encoder: Encoder
) -> None:
    seeker = stack.ids["gw-aluparts"]
    before = await matches(stack, seeker, stack.auth("hub_b"))
    hidden, dropped = before[0], before[1]
    hide = await mark(
        stack, stack.auth("hub_b"), seeker_id=seeker, candidate_id=hidden, signal="hide"
    )
    await mark(
        stack,
        stack.auth("hub_b"),
        seeker_id=seeker,
        candidate_id=dropped,
        signal="not_relevant",
        reason="too_early_stage",
    )

    after = await matches(stack, seeker, stack.auth("hub_b"))
    assert hidden not in after and dropped not in after
    assert after[:5] == [i for i in before if i not in (hidden, dropped)][:5]
    text = await stack.client.post(
        "/v1/match",
        json={"text": LASER_NEED, "seeker_id": seeker, "limit": 30},
        headers=stack.auth("hub_b"),
    )
    assert hidden not in result_ids(text)
    # Other callers, and hub_b's searches for another seeker, still see it.
    assert hidden in await matches(stack, seeker, stack.auth("hub_a"))
    assert hidden in await matches(stack, seeker, {})
    assert hidden in await matches(stack, seeker, VISITOR)

    async with restarted_gateway(stack, tmp_path, encoder) as client:
        again = await client.get(
            f"/v1/profiles/{seeker}/matches", params={"limit": 20}, headers=stack.auth("hub_b")
        )
        assert hidden not in result_ids(again) and dropped not in result_ids(again)

    undo = await stack.client.delete(f"/v1/feedback/{hide['id']}", headers=stack.auth("hub_b"))
    assert undo.status_code == 204
    assert hidden in await matches(stack, seeker, stack.auth("hub_b"))
    assert dropped not in await matches(stack, seeker, stack.auth("hub_b"))


async def test_a_mark_without_seeker_hides_in_every_search_of_that_browser(stack: Stack) -> None:
    search = {"text": LASER_NEED, "limit": 20}
    first = result_ids(await stack.client.post("/v1/match", json=search, headers=VISITOR))[0]
    await mark(stack, VISITOR, need_text=LASER_NEED, candidate_id=first, signal="hide")
    mine = await stack.client.post("/v1/match", json=search, headers=VISITOR)
    theirs = await stack.client.post("/v1/match", json=search, headers=OTHER_VISITOR)
    assert first not in result_ids(mine) and first in result_ids(theirs)
    # A client cannot unhide by sending the internal field itself.
    forged = await stack.client.post(
        "/v1/match", json={**search, "exclude_ids": []}, headers=VISITOR
    )
    assert first not in result_ids(forged)


async def test_an_anonymous_browser_gets_a_cookie_and_its_own_marks(stack: Stack) -> None:
    seeker = stack.ids["gw-aluparts"]
    candidate = (await matches(stack, seeker, {}))[0]
    transport = httpx.ASGITransport(app=stack.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as browser:
        created = await browser.post(
            "/v1/feedback", json={"seeker_id": seeker, "candidate_id": candidate, "signal": "hide"}
        )
        assert created.status_code == 201, created.text
        cookie = created.headers["set-cookie"].lower()
        assert (
            "crosslink_visitor=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        )
        listed = await browser.get("/v1/feedback")
        assert [m["id"] for m in listed.json()["data"]] == [created.json()["id"]]
        assert candidate not in result_ids(
            await browser.get(f"/v1/profiles/{seeker}/matches", params={"limit": 20})
        )
        await browser.delete(f"/v1/feedback/{created.json()['id']}")
    assert (await stack.client.get("/v1/feedback")).json() == {"data": [], "count": 0}


async def test_another_hub_cannot_read_or_undo_the_marks(stack: Stack) -> None:
    seeker = stack.ids["gw-aluparts"]
    candidate = (await matches(stack, seeker, {}))[0]
    own = await mark(
        stack, stack.auth("hub_a"), seeker_id=seeker, candidate_id=candidate, signal="hide"
    )
    for headers in (stack.auth("hub_b"), VISITOR, {}):
        listed = await stack.client.get(f"/v1/feedback?seeker_id={seeker}", headers=headers)
        assert listed.status_code == 200 and listed.json()["count"] == 0
        refused = await stack.client.delete(f"/v1/feedback/{own['id']}", headers=headers)
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"
    listed = await stack.client.get("/v1/feedback", headers=stack.auth("hub_a"))
    assert [m["id"] for m in listed.json()["data"]] == [own["id"]]
    assert candidate not in await matches(stack, seeker, stack.auth("hub_a"))


async def test_relevant_moves_up_for_the_caller_and_a_burst_counts_once(stack: Stack) -> None:
    seeker = stack.ids["gw-aluparts"]
    url = f"/v1/profiles/{seeker}/matches"
    settings = matcher_settings(data_dir=stack.base)  # the stack's matcher is configured so
    quorum, saturation = settings.feedback_quorum, settings.feedback_saturation
    # Distinct voters besides the bursting hub_b (anonymous browsers count by address: one)
    # and the observing hub_a, which marks nothing.
    voters = [stack.auth("reader"), VISITOR, stack.auth("contacts")]
    assert quorum <= len(voters), "the test has voters for a quorum of at most 3"
    before = (await stack.client.get(url, params={"limit": 20}, headers=stack.auth("hub_b"))).json()
    target = before["data"][6]
    observed = await stack.client.get(url, params={"limit": 20}, headers=stack.auth("hub_a"))
    seen_before = next(
        r for r in observed.json()["data"] if r["profile"]["id"] == target["profile"]["id"]
    )
    pushed = await mark(
        stack,
        stack.auth("hub_b"),
        seeker_id=seeker,
        candidate_id=target["profile"]["id"],
        signal="relevant",
    )
    # The same mark 50 times is one row; 50 more with other need texts are rows, one voter.
    for n in range(50):
        again = await mark(
            stack,
            stack.auth("hub_b"),
            seeker_id=seeker,
            candidate_id=target["profile"]["id"],
            signal="relevant",
        )
        assert again["id"] == pushed["id"]
        await mark(
            stack,
            stack.auth("hub_b"),
            need_text=f"need {n}",
            candidate_id=target["profile"]["id"],
            signal="relevant",
        )
    async with httpx.AsyncClient(transport=stack.profiles, base_url="http://profiles") as client:
        counts = (await client.get("/feedback/counts")).json()["counts"]
    assert counts == {str(target["profile"]["id"]): 1}

    after = (await stack.client.get(url, params={"limit": 20}, headers=stack.auth("hub_b"))).json()
    moved = next(r for r in after["data"] if r["profile"]["id"] == target["profile"]["id"])
    assert moved["explanation"]["components"]["feedback"] >= 0.5
    assert moved["score"] > target["score"] + 0.1
    assert [r["profile"]["id"] for r in after["data"]].index(target["profile"]["id"]) < 6

    async def seen_by_hub_a(candidate: int) -> dict[str, Any]:
        """hub_a's result for `candidate` (hub_a marks nothing: it sees only the aggregate)."""
        response = await stack.client.get(url, params={"limit": 20}, headers=stack.auth("hub_a"))
        return next(r for r in response.json()["data"] if r["profile"]["id"] == candidate)

    async def synced(lifted: int) -> None:
        """Poll until the matcher's synced board lifts `lifted` for hub_a."""
        end = time.monotonic() + 30
        while (await seen_by_hub_a(lifted))["explanation"]["components"].get("feedback", 0) <= 0:
            assert time.monotonic() < end, "the matcher never read the aggregated counts"
            await anyio.sleep(0.1)

    # For everybody else the burst is one endorser, below the quorum: no lift at all. A
    # sentinel that a quorum of callers endorse after the burst shows the sync has happened.
    sentinel = next(
        r["profile"]["id"]
        for r in observed.json()["data"][7:]
        if r["profile"]["id"] != target["profile"]["id"]
    )
    # (Not hub_b: its burst has spent its daily cap of counted endorsements.)
    for n, headers in enumerate(voters[:quorum]):
        await mark(
            stack, headers, need_text=f"sentinel {n}", candidate_id=sentinel, signal="relevant"
        )
    await synced(sentinel)
    seen = await seen_by_hub_a(target["profile"]["id"])
    assert seen["explanation"]["components"].get("feedback", 0) == 0
    assert seen["score"] == pytest.approx(seen_before["score"], abs=1e-6)

    # Once a quorum of distinct callers endorse it, others see a small, bounded lift.
    for n, headers in enumerate(voters[: quorum - 1]):
        await mark(
            stack,
            headers,
            need_text=f"endorse {n}",
            candidate_id=target["profile"]["id"],
            signal="relevant",
        )
    await synced(target["profile"]["id"])
    seen = await seen_by_hub_a(target["profile"]["id"])
    first_step = 0.5 * math.log(2) / math.log1p(saturation - quorum + 1)
    assert 0 < seen["explanation"]["components"]["feedback"] <= first_step + 1e-6
    assert seen["score"] - target["score"] < 0.05


async def test_marks_are_erased_with_the_profile_they_name(stack: Stack) -> None:
    created = [
        await stack.client.post("/v1/profiles", json=profile_payload(), headers=stack.auth("hub_a"))
        for _ in range(2)
    ]
    seeker_id, candidate_id = (response.json()["id"] for response in created)
    other = stack.ids["gw-lasertec"]
    await mark(stack, stack.auth("hub_b"), seeker_id=seeker_id, candidate_id=other, signal="hide")
    await mark(stack, stack.auth("hub_b"), candidate_id=candidate_id, signal="contacted")
    received = await stack.client.get("/v1/feedback/received", headers=stack.auth("hub_a"))
    assert {"profile_id": candidate_id, "contacted": 1, "relevant": 0} in received.json()["data"]
    for profile_id in (seeker_id, candidate_id):
        deleted = await stack.client.delete(
            f"/v1/profiles/{profile_id}", headers=stack.auth("hub_a")
        )
        assert deleted.status_code == 204
    listed = await stack.client.get("/v1/feedback", headers=stack.auth("hub_b"))
    assert listed.json() == {"data": [], "count": 0}


async def test_hubs_read_only_their_own_profiles_counts(stack: Stack) -> None:
    candidate = stack.ids["gw-lasertec"]  # owned by hub-a
    await mark(stack, stack.auth("hub_b"), candidate_id=candidate, signal="contacted")
    await mark(stack, VISITOR, candidate_id=candidate, signal="contacted")
    own = await stack.client.get("/v1/feedback/received", headers=stack.auth("hub_a"))
    assert {"profile_id": candidate, "contacted": 2, "relevant": 0} in own.json()["data"]
    foreign = await stack.client.get("/v1/feedback/received", headers=stack.auth("hub_b"))
    assert foreign.status_code == 200 and foreign.json() == {"data": [], "count": 0}
    anonymous = await stack.client.get("/v1/feedback/received")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"candidate_id": 1, "signal": "love"}, 422, "signal"),
        (
            {"seeker_id": 1, "need_text": "x", "candidate_id": 2, "signal": "hide"},
            422,
            "at most one",
        ),
        ({"candidate_id": 2000000000, "signal": "hide"}, 404, "candidate_id 2000000000"),
        ({"candidate_id": 1, "signal": "hide", "reason": "x" * 301}, 422, "reason"),
    ],
)
async def test_bad_feedback_is_explained(
    stack: Stack, body: dict[str, Any], status: int, says: str
) -> None:
    response = await stack.client.post("/v1/feedback", json=body, headers=stack.auth("hub_b"))
    assert response.status_code == status, response.text
    assert says in response.json()["error"]["message"]
