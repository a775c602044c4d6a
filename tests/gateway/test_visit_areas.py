"""Visit days an ambassador can travel, on demo-like data: German organisations of the shipped
CORDIS demo set (spread over the whole country) behind the real stack."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import httpx
import pytest
from haversine import haversine

from services.matcher.embedding import Encoder
from tests.databases import fresh_database
from tests.stack import gateway_settings, in_process_stack

pytestmark = pytest.mark.anyio

GERMAN_PROFILES = 90  # every fifth German demo organisation: Berlin to Munich, Aachen to Dresden
RADIUS_KM = 60.0
DELEGATION = [
    {"need": "hydrogen production and fuel cell systems", "name": "H2 Start"},
    {"need": "battery materials and recycling of lithium-ion cells", "name": "Cellwork"},
    {"need": "quantum computing and photonic chips", "name": "Qubit SME"},
    {"need": "artificial intelligence for medical imaging", "name": "MedVision"},
]


def german_demo_profiles() -> list[dict[str, Any]]:
    data = resources.files("services.profiles").joinpath("demo", "cordis_demo.jsonl.gz")
    records = [json.loads(line) for line in gzip.decompress(data.read_bytes()).splitlines()]
    german = [r for r in records if r["country"] == "DE" and r.get("region")]
    chosen = german[::5][:GERMAN_PROFILES]
    return [{**r, "partners": []} for r in chosen]


@pytest.fixture(scope="module")
async def german(
    encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    base = tmp_path_factory.mktemp("visit-areas")
    with fresh_database(base, "test_areas") as url:
        settings = gateway_settings(data_dir=base, keys_database_url=url)
        async with in_process_stack(
            database_url=url, data_dir=base, gateway=settings, encoder=encoder
        ) as running:
            profiles = german_demo_profiles()
            async with httpx.AsyncClient(
                transport=running.profiles, base_url="http://profiles"
            ) as direct:
                response = await direct.post("/profiles/bulk", json=profiles)
                assert response.status_code == 200, response.text
            await running.wait_until_indexed(len(profiles), deadline=180)
            yield running.client


def point(visit: dict[str, Any]) -> tuple[float, float]:
    location = visit["location"]
    assert location is not None, visit["profile"]["name"]
    return location["lat"], location["lon"]


async def test_two_days_in_germany_each_within_the_radius(german: httpx.AsyncClient) -> None:
    response = await german.post(
        "/v1/visits/plan",
        json={"delegation": DELEGATION, "target": "DE", "days": 2, "visits_per_day": 4},
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["radius_km"] == RADIUS_KM
    assert len(plan["days"]) == 2 and [d["day"] for d in plan["days"]] == [1, 2]
    assert plan["areas_reason"] and "60 km" in plan["areas_reason"]
    spread = []
    for day in plan["days"]:
        centre = (day["centre"]["lat"], day["centre"]["lon"])
        points = [point(v) for v in day["visits"]]
        assert points and all(haversine(centre, p) <= RADIUS_KM for p in points), day
        assert all(haversine(a, b) <= 2 * RADIUS_KM for a, b in itertools.combinations(points, 2))
        spread.append(centre)
        assert day["why"] and day["area"].startswith("around ")
        # The legs join consecutive visits, with a distance and a travel time.
        ids = [v["profile"]["id"] for v in day["visits"]]
        assert [(leg["from_profile"], leg["to_profile"]) for leg in day["legs"]] == list(
            itertools.pairwise(ids)
        )
        for leg, (a, b) in zip(day["legs"], itertools.pairwise(points), strict=True):
            assert leg["distance_km"] == pytest.approx(haversine(a, b), abs=0.1)
            assert leg["minutes"] >= 10
    # Without a radius the planner would mix cities; the whole plan still serves members.
    served = {s["label"] for day in plan["days"] for v in day["visits"] for s in v["serves"]}
    assert len(served) >= 2
    briefing = await german.get(plan["briefing_url"])
    assert briefing.status_code == 200
    text = briefing.text
    assert "(all hosts within 60 km)" in text and "min by road" in text
    assert "Travel times are estimates" in text


async def test_a_wider_radius_is_a_request_away(german: httpx.AsyncClient) -> None:
    narrow = await german.post(
        "/v1/visits/plan",
        json={"delegation": DELEGATION, "target": "DE", "days": 1, "visits_per_day": 6},
    )
    wide = await german.post(
        "/v1/visits/plan",
        json={
            "delegation": DELEGATION,
            "target": "DE",
            "days": 1,
            "visits_per_day": 6,
            "radius_km": 400,
        },
    )
    assert narrow.status_code == wide.status_code == 200, (narrow.text, wide.text)

    def served(plan: dict[str, Any]) -> int:
        return len({s["index"] for d in plan["days"] for v in d["visits"] for s in v["serves"]})

    assert served(wide.json()) >= served(narrow.json())
    day = wide.json()["days"][0]
    centre = (day["centre"]["lat"], day["centre"]["lon"])
    assert all(haversine(centre, point(v)) <= 400 for v in day["visits"])
    bad = await german.post(
        "/v1/visits/plan", json={"delegation": DELEGATION, "target": "DE", "radius_km": 1}
    )
    assert bad.status_code == 422 and "radius_km" in bad.text
