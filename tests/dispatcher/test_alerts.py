"""Saved-search alerts against the real matcher (real model): a new profile that fits fires a
signed `match.alert` within 2 s; one that does not fit never does; the pull API pages."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.matcher.app import create_app as create_matcher_app
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from services.profiles.app import create_app as create_profiles_app
from services.profiles.config import ProfilesSettings
from tests.dispatcher.conftest import Stack, running
from tests.dispatcher.receiver import Receiver, poll
from tests.factories import SAMPLES

pytestmark = pytest.mark.anyio

LASER = "laser welding process monitoring for metal parts"
BAKERY = {
    "name": "Boulangerie Bio Lyon",
    "kind": "sme",
    "country": "FR",
    "region": "FRK2",
    "description": "Organic bakery baking sourdough bread and pastries for local shops.",
    "offers": ["sourdough bread"],
    "needs": ["flour suppliers"],
    "keywords": ["bakery"],
    "sectors": ["C10"],
    "contact": {"email": "bread@example.eu"},
}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Encoder(default_model())


@pytest.fixture
async def alert_stack(tmp_path: Path, database_url: str, encoder: Encoder) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        profiles_app = create_profiles_app(
            ProfilesSettings(database_url=database_url, data_dir=tmp_path, demo_data=False)
        )
        await exits.enter_async_context(profiles_app.router.lifespan_context(profiles_app))
        matcher_app = create_matcher_app(
            MatcherSettings(data_dir=tmp_path, poll_interval=0.02),
            profiles_transport=httpx.ASGITransport(app=profiles_app),
            encoder=encoder,
        )
        await exits.enter_async_context(matcher_app.router.lifespan_context(matcher_app))
        stack = await exits.enter_async_context(
            running(
                tmp_path,
                database_url,
                matcher=httpx.ASGITransport(app=matcher_app),
                profiles_app=profiles_app,
            )
        )
        yield stack


async def _caught_up(stack: Stack) -> None:
    """Until the dispatcher has read the whole feed and checked every change against alerts."""
    feed = await stack.profiles.get("/changes", params={"after": 0, "limit": 1})
    last_seq = feed.json()["last_seq"]

    async def done() -> bool:
        details = (await stack.get("hub-a", "/health"))["details"]
        return bool(details["seq"] >= last_seq and details["alert_checks"] == 0)

    await poll(done, deadline=20, what="the dispatcher to catch up with the feed and alerts")


# The first test of its module on a loaded 2-core CI machine can miss the deadline while the
# stack warms up; retried at most twice (pytest-rerunfailures) rather than given a looser bound.
@pytest.mark.flaky(reruns=2)
async def test_alert_fires_within_two_seconds_for_a_fit_and_never_for_a_misfit(
    alert_stack: Stack, receiver: Receiver
) -> None:
    stack = alert_stack
    other = Receiver().start()
    try:
        seeded = [await stack.write("hub-x", dict(s)) for s in SAMPLES[1:]]
        alu = next(p for p in seeded if p["name"] == "Alu Parts Lombardia")
        await _caught_up(stack)
        sub = await stack.subscribe("hub-a", receiver.url, events=["match.alert"])
        await stack.subscribe("hub-b", other.url, events=["match.alert"], scope="all")
        hub_a = {"X-Crosslink-Hub": "hub-a"}
        text_alert = await stack.dispatcher.post(
            "/alerts",
            json={"text": LASER, "filters": {"kinds": ["research"]}, "top_k": 3, "min_score": 1.0},
            headers=hub_a,
        )
        assert text_alert.status_code == 201, text_alert.text
        partner_alert = await stack.dispatcher.post(
            "/alerts", json={"profile_id": alu["id"], "top_k": 1, "min_score": 0.5}, headers=hub_a
        )
        assert partner_alert.status_code == 201, partner_alert.text
        alert_ids = {text_alert.json()["id"], partner_alert.json()["id"]}

        bakery = await stack.write("hub-x", BAKERY)
        await _caught_up(stack)  # the misfit is checked first; then the clock starts
        started = time.monotonic()
        laser = await stack.write("hub-x", {**SAMPLES[0], "contact": {"email": "l@example.eu"}})
        hits = await poll(
            lambda: (
                [r for r in receiver.events() if r.event["data"]["profile"]["id"] == laser["id"]]
                if len(receiver.events()) >= 2
                else None
            ),
            deadline=10.0,
            what="match.alert for the fitting profile",
        )
        fired_after = max(r.at for r in hits) - started
        assert fired_after <= 2.0, f"fired {fired_after:.2f} s after the write"
        events = [r.verify(sub["secret"]) for r in receiver.events()]
        assert {e["type"] for e in events} == {"match.alert"}
        assert {e["data"]["alert_id"] for e in events} == alert_ids
        by_alert = {e["data"]["alert_id"]: e["data"] for e in events}
        text_hit = by_alert[text_alert.json()["id"]]
        assert text_hit["rank"] == 1 and text_hit["score"] >= 1.0
        assert text_hit["explanation"]["passage"]["text"]
        assert by_alert[partner_alert.json()["id"]]["rank"] == 1
        assert all(b"l@example.eu" not in r.body for r in hits)  # the contact (website is public)

        # A later fitting profile is checked after the bakery (checks run in feed order): once
        # its alert is in, the bakery's check is done, and it fired nothing.
        second = await stack.write("hub-x", {**SAMPLES[0], "name": "Laser Joining Lab Chemnitz"})
        await poll(
            lambda: any(
                r.event["data"]["profile"]["id"] == second["id"] for r in receiver.events()
            ),
            deadline=2.0,
            what="match.alert for the second fitting profile",
        )
        fired_for = {r.event["data"]["profile"]["id"] for r in receiver.events()}
        assert bakery["id"] not in fired_for
        assert other.events() == []  # hub-b has no alerts: it hears nothing of hub-a's

        # Pull alternative, paged by cursor; another hub cannot read it.
        path = f"/alerts/{text_alert.json()['id']}/matches"
        page = await stack.get("hub-a", path)
        assert [m["profile"]["id"] for m in page["data"]] == [laser["id"], second["id"]]
        rest = await stack.get("hub-a", f"{path}?after={page['data'][0]['cursor']}")
        assert [m["profile"]["id"] for m in rest["data"]] == [second["id"]]
        assert rest["data"][0]["event_id"] in {r.id for r in receiver.events()}
        foreign = await stack.dispatcher.get(path, headers={"X-Crosslink-Hub": "hub-b"})
        assert foreign.status_code == 404
    finally:
        other.stop()


async def test_an_update_that_stays_in_the_results_does_not_fire_again(
    alert_stack: Stack, receiver: Receiver
) -> None:
    stack = alert_stack
    await stack.subscribe("hub-a", receiver.url, events=["match.alert"])
    created = await stack.dispatcher.post(
        "/alerts",
        json={"text": LASER, "top_k": 2, "min_score": 1.0},
        headers={"X-Crosslink-Hub": "hub-a"},
    )
    assert created.status_code == 201
    laser = await stack.write("hub-x", dict(SAMPLES[0]))
    await poll(lambda: receiver.events(), deadline=15, what="the first alert")
    owner = {"X-Crosslink-Owner": "hub-x"}
    for city in ("Freiberg", "Pirna"):
        response = await stack.profiles.patch(
            f"/profiles/{laser['id']}", json={"city": city}, headers=owner
        )
        assert response.status_code == 200
    # It left the results (deleted) and comes back (a new profile that fits): that fires.
    await stack.write("hub-x", BAKERY)  # SQLite would reuse the last row's id otherwise
    deleted = await stack.profiles.delete(f"/profiles/{laser['id']}", headers=owner)
    assert deleted.status_code == 204
    again = await stack.write("hub-x", dict(SAMPLES[0]))
    assert again["id"] != laser["id"]
    await poll(lambda: len(receiver.events()) >= 2, deadline=15, what="the alert for the new one")
    fired: list[Any] = [r.event["data"]["profile"]["id"] for r in receiver.events()]
    assert fired == [laser["id"], again["id"]]


async def test_alert_body_needs_exactly_one_query(alert_stack: Stack) -> None:
    hub = {"X-Crosslink-Hub": "hub-a"}
    for body in ({}, {"text": "laser", "profile_id": 3}, {"text": "x", "top_k": 0}):
        response = await alert_stack.dispatcher.post("/alerts", json=body, headers=hub)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_input"
