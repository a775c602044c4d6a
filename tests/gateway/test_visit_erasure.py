"""Erasure reaches stored visit plans: once a host or a member's profile is deleted (through
the gateway or behind its back, on the profiles service), a stored plan and its briefing no
longer show it, and the stored copy is rewritten."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from gateway.visits.store import load_plan
from tests.factories import profile_payload
from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio

NEED = "cryogenic storage logistics for vaccine cold chains"


def _host(name: str, city: str) -> dict:
    return profile_payload(
        name=name,
        kind="research",
        description=f"{name} researches {NEED} and ultra-low temperature freezers.",
        offers=["cryogenic storage of vaccines", "cold chain logistics monitoring"],
        needs=[],
        keywords=["cryogenic", "vaccine", "cold chain"],
        country="LU",
        region="LU000",
        city=city,
    )


def _hosts(plan: dict) -> list[dict]:
    return [visit["profile"] for day in plan["days"] for visit in day["visits"]]


async def _create(stack: Stack, body: dict) -> int:
    response = await stack.client.post("/v1/profiles", json=body, headers=stack.auth("hub_a"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_a_deleted_host_or_member_leaves_the_stored_plan_and_its_briefing(
    stack: Stack,
) -> None:
    alpha = await _create(stack, _host("Erasetest Cryo Alpha", "Luxembourg"))
    beta = await _create(stack, _host("Erasetest Cryo Beta", "Esch-sur-Alzette"))
    gamma = await _create(stack, _host("Erasetest Cryo Gamma", "Luxembourg"))
    member = await _create(
        stack,
        profile_payload(
            name="Erasetest Member Pharma",
            needs=["partners for vaccine cold storage"],
            country="DE",
            region="DED21",
        ),
    )
    request = {
        "delegation": [{"need": NEED, "name": "ColdCo"}, {"profile_id": member}],
        "target": "LU",
        "days": 2,
        "visits_per_day": 2,
    }
    deadline = time.monotonic() + 30
    while True:  # until the matcher has indexed the new hosts
        response = await stack.client.post("/v1/visits/plan", json=request)
        assert response.status_code in (200, 404), response.text  # 404: member not synced yet
        plan = response.json()
        if response.status_code == 200 and {alpha, beta, gamma} <= {p["id"] for p in _hosts(plan)}:
            break
        assert time.monotonic() < deadline, plan
        await anyio.sleep(0.1)
    assert plan["delegation"][1]["label"] == "Erasetest Member Pharma"

    # One host through the gateway, one and the member directly on the profiles service.
    gone = await stack.client.delete(f"/v1/profiles/{alpha}", headers=stack.auth("hub_a"))
    assert gone.status_code == 204
    async with httpx.AsyncClient(transport=stack.profiles, base_url="http://profiles") as direct:
        for profile_id in (beta, member):
            assert (await direct.delete(f"/profiles/{profile_id}")).status_code == 204

    fetched = await stack.client.get(f"/v1/visits/{plan['plan_id']}")
    assert fetched.status_code == 200, fetched.text
    after = fetched.json()
    assert [p["id"] for p in _hosts(after)] == [gamma]
    assert [day["day"] for day in after["days"]] == [1]
    assert after["days"][0]["cities"] == ["Luxembourg"]
    assert after["delegation"][1] == {
        "index": 1,
        "label": "Member 2",
        "need": "(this member's profile has been deleted)",
        "profile_id": None,
    }
    briefing = await stack.client.get(after["briefing_url"])
    assert briefing.status_code == 200
    for text in (fetched.text, briefing.text):
        assert "Erasetest Cryo Gamma" in text
        for name in ("Erasetest Cryo Alpha", "Erasetest Cryo Beta", "Erasetest Member Pharma"):
            assert name not in text
        assert "partners for vaccine cold storage" not in text
    # The stored copy itself was rewritten, not only the answer.
    stored = load_plan(
        engine=stack.gateway.state.services.keys_engine, plan_id=plan["plan_id"], ttl=3600
    )
    assert stored.model_dump(mode="json") == after

    # The last host goes too: the members it served are uncovered.
    assert (
        await stack.client.delete(f"/v1/profiles/{gamma}", headers=stack.auth("hub_a"))
    ).status_code == 204
    emptied = (await stack.client.get(f"/v1/visits/{plan['plan_id']}")).json()
    assert emptied["days"] == [] and emptied["uncovered"] == [0, 1]
