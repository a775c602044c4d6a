"""The three journeys and partner search through the gateway, on the real services."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio


def names(body: dict) -> list[str]:
    return [r["profile"]["name"] for r in body["data"]]


async def test_match_text_ranks_the_laser_institutes_first(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/match", json={"text": "laser welding process monitoring", "limit": 5}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"Lasertec Dresden", "Politecnico Laser Lab Milano"} <= set(names(body)[:4])
    first = body["data"][0]
    assert first["explanation"]["passage"]["text"]
    assert first["profile"]["region_name"] and first["profile"]["contact"] is None


async def test_profile_matches_leave_out_the_own_region(stack: Stack) -> None:
    aluparts = stack.ids["gw-aluparts"]
    response = await stack.client.get(
        f"/v1/profiles/{aluparts}/matches", params={"kinds": "research", "limit": 5}
    )
    assert response.status_code == 200, response.text
    found = names(response.json())
    assert "Lasertec Dresden" in found[:2]
    assert "Politecnico Laser Lab Milano" not in found  # same NUTS-2 region as the seeker


async def test_voucher_providers_are_research_outside_the_applicant_region(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/vouchers/providers",
        json={"need": "help with laser welding process monitoring", "applicant_region": "ITC4C"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["excluded_region"] == "ITC4"
    assert names(body)[0] in {"Lasertec Dresden", "Aachen Joining Institute"}
    assert "Lasertec Dresden" in names(body)[:2]
    assert all(r["profile"]["kind"] == "research" for r in body["data"])
    assert all(not r["profile"]["region"].startswith("ITC4") for r in body["data"])


async def test_voucher_providers_for_a_profile_with_country_and_kind(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/vouchers/providers",
        json={
            "profile_id": stack.ids["gw-aluparts"],
            "applicant_region": "ITC4",
            "countries": ["FR"],
            "kinds": ["sme"],
        },
    )
    assert response.status_code == 200, response.text
    assert names(response.json())[0] == "Lyon Laser Welding Services"


async def test_batch_answers_good_queries_and_reports_bad_ones_in_order(stack: Stack) -> None:
    queries = [
        {"text": "compostable bioplastic packaging film"},
        {"profile_id": stack.ids["gw-aluparts"], "filters": {"kinds": ["research"]}},
        {"text": "anything", "filters": {"regions": ["XX9"]}},
        {"profile_id": 2_000_000_000},
        "not an object",
        {"text": "solar module testing", "filters": {"countries": ["AT"]}},
    ]
    response = await stack.client.post(
        "/v1/match/batch", json={"queries": queries, "limit": 3}, headers=stack.auth("reader")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "error", "error", "error", "ok"]
    assert [r["index"] for r in results] == list(range(6))
    assert (body["ok"], body["failed"]) == (3, 3)
    assert {"Upper Austria Plastics Cluster", "Linz Biopolymer Institute"} & set(names(results[0]))
    assert "Lasertec Dresden" in names(results[1])
    assert results[2]["error"]["code"] == "invalid_input"
    assert "XX9" in results[2]["error"]["message"]
    assert results[3]["error"]["code"] == "not_found"
    assert results[4]["error"]["code"] == "invalid_input"
    assert names(results[5])[0] in {"Vienna Photovoltaics Institute", "Innsbruck Alpine Solar"}


async def test_batch_needs_a_key_and_at_most_100_queries(stack: Stack) -> None:
    anonymous = await stack.client.post("/v1/match/batch", json={"queries": [{"text": "x"}]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    too_many = await stack.client.post(
        "/v1/match/batch",
        json={"queries": [{"text": "x"}] * 101},
        headers=stack.auth("reader"),
    )
    assert too_many.status_code == 422
    assert "100" in too_many.json()["error"]["message"]


DELEGATION = [
    {"need": "testing of our solar modules in field trials", "name": "SunCo"},
    {"need": "predictive maintenance software for our production line", "name": "MetalWorks"},
    {"need": "compostable bioplastic packaging film", "name": "FoodPack"},
]


async def test_visit_plan_covers_the_delegation_with_hosts_in_the_target(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/visits/plan",
        # Wien, Graz and Linz lie 150 km apart: two days need a wider area than the default.
        json={
            "delegation": DELEGATION,
            "target": "AT",
            "days": 2,
            "visits_per_day": 3,
            "radius_km": 200,
        },
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    visits = [v for day in plan["days"] for v in day["visits"]]
    hosts = [v["profile"]["name"] for v in visits]
    assert len(hosts) == len(set(hosts)) <= 6
    assert all(v["profile"]["country"] == "AT" for v in visits)
    assert {"Vienna Photovoltaics Institute", "Graz Data Factory"} <= set(hosts)
    assert {"Upper Austria Plastics Cluster", "Linz Biopolymer Institute"} & set(hosts)
    assert plan["uncovered"] == []
    assert len({v["profile"]["kind"] for v in visits}) >= 3
    served = {s["label"] for v in visits for s in v["serves"]}
    assert served == {"SunCo", "MetalWorks", "FoodPack"}
    pv = next(v for v in visits if v["profile"]["name"] == "Vienna Photovoltaics Institute")
    assert "SunCo" in [s["label"] for s in pv["serves"]] and pv["serves"][0]["why"]
    assert 1 <= len(plan["days"]) <= 2
    for day in plan["days"]:
        assert 1 <= len(day["visits"]) <= 3
        assert day["cities"] == sorted(set(day["cities"]), key=day["cities"].index)
        assert {v["profile"]["city"] for v in day["visits"]} == set(day["cities"])


async def test_visit_plan_briefing_is_printable_markdown(stack: Stack) -> None:
    created = await stack.client.post(
        "/v1/visits/plan", json={"delegation": DELEGATION[:1], "target": "AT13", "days": 1}
    )
    assert created.status_code == 200, created.text
    plan = created.json()
    assert plan["target_name"] == "Wien"
    briefing = await stack.client.get(plan["briefing_url"])
    assert briefing.status_code == 200
    assert briefing.headers["content-type"].startswith("text/markdown")
    assert "Vienna Photovoltaics Institute" in briefing.text
    assert "## Day 1: Wien" in briefing.text and "For SunCo" in briefing.text
    again = await stack.client.get(f"/v1/visits/{plan['plan_id']}")
    assert again.json()["days"] == plan["days"]
    direct = await stack.client.post(
        "/v1/visits/plan?format=md", json={"delegation": DELEGATION[:1], "target": "AT13"}
    )
    assert direct.headers["content-type"].startswith("text/markdown")
    assert direct.text.startswith("# Business exploratory visit: Wien")


async def test_visit_plan_from_profiles_excludes_the_members_themselves(stack: Stack) -> None:
    member = stack.ids["gw-innsbrucksolar"]
    response = await stack.client.post(
        "/v1/visits/plan", json={"delegation": [{"profile_id": member}], "target": "AT"}
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["delegation"][0]["label"] == "Innsbruck Alpine Solar"
    hosts = [v["profile"]["id"] for day in plan["days"] for v in day["visits"]]
    assert hosts and member not in hosts


async def test_health_aggregates_the_upstreams(stack: Stack) -> None:
    response = await stack.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["status"] == "ok"
    assert body["details"]["profiles"]["ready"] and body["details"]["matchers"][0]["ready"]


async def test_request_id_is_kept_or_generated(stack: Stack) -> None:
    kept = await stack.client.get("/v1/profiles", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    made = await stack.client.get("/v1/profiles", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert (await stack.client.get("/nowhere")).headers["X-Request-ID"]


async def test_shared_terms_leave_out_words_that_explain_nothing(stack: Stack) -> None:
    """Alu Parts' need reads "help with laser-welding process monitoring": "help" is in both
    texts but says nothing about the fit; "laser" and "welding" do."""
    response = await stack.client.post(
        "/v1/match",
        json={"text": "we need help to serve customers who face laser welding", "limit": 20},
    )
    assert response.status_code == 200, response.text
    results = {r["profile"]["name"]: r for r in response.json()["data"]}
    terms = results["Alu Parts Lombardia"]["explanation"]["shared_terms"]
    assert "laser" in terms and "welding" in terms
    for result in results.values():
        shared = set(result["explanation"]["shared_terms"])
        assert not shared & {"help", "need", "serve", "face"}, result["profile"]["name"]
        for reason in result["explanation"]["reasons"]:
            if "Shared terms:" in reason:
                listed = reason.split("Shared terms:", 1)[1]
                assert "help" not in listed and "serve" not in listed, reason
