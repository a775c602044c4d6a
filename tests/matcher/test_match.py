"""Ranking through the HTTP API: exact filters, seeker exclusions, explanations, determinism."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.matcher.app import create_app
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from tests.matcher.conftest import FakeFeed, match_ids, wait_for, wait_ready

QUERY = "laser welding and process monitoring of metal parts"

ORGS: dict[str, dict[str, Any]] = {
    "laser": dict(
        name="Lasertec Dresden",
        kind="research",
        country="DE",
        region="DED21",
        description="Applied research on laser welding and in-process monitoring.",
        offers=["laser welding process monitoring"],
        needs=["pilot line partners"],
        keywords=["laser welding"],
        sectors=["M72.1"],
        partners=["alu"],
    ),
    "alu": dict(
        name="Alu Parts Lombardia",
        kind="sme",
        country="IT",
        region="ITC4",
        description="We make aluminium parts by die casting and machining.",
        offers=["aluminium die casting"],
        needs=["laser welding process monitoring"],
        keywords=["aluminium"],
        sectors=["C24.5", "C25"],
        partners=["laser"],
    ),
    "saxony": dict(
        name="Saxon Photonics Institute",
        kind="research",
        country="DE",
        region="DED21",
        description="Photonics and laser cutting research for metals.",
        offers=["laser cutting trials"],
        needs=[],
        keywords=["photonics"],
        sectors=["M72.1"],
        partners=[],
    ),
    "bremen": dict(
        name="Weser Welding",
        kind="sme",
        country="DE",
        region="DE50",
        description="Welding of steel structures for shipyards.",
        offers=["robotic welding"],
        needs=["aluminium die casting suppliers"],
        keywords=["welding"],
        sectors=["C25.11"],
        partners=["cluster"],
    ),
    "cluster": dict(
        name="BioPack Cluster",
        kind="cluster",
        country="ES",
        region="ES51",
        description="Cluster of food and plastics firms making bioplastic packaging.",
        offers=["bioplastics pilot plant"],
        needs=["compostable film expertise"],
        keywords=["bioplastics"],
        sectors=["C22.2"],
        partners=["laser"],
    ),
    "lyon": dict(
        name="Rhone Joining",
        kind="company",
        country="FR",
        region="FRK2",
        description="Industrial joining: welding, brazing and riveting of metal parts.",
        offers=["weld inspection"],
        needs=[],
        keywords=["joining"],
        sectors=["C25"],
        partners=[],
    ),
    "milan": dict(
        name="Politecnico Lab",
        kind="research",
        country="IT",
        region="ITC4",
        description="University lab for welding metallurgy and monitoring.",
        offers=["metallurgy analysis"],
        needs=[],
        keywords=["metallurgy"],
        sectors=["M72.1"],
        partners=[],
    ),
}


@pytest.fixture(scope="module")
def world(
    encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """One matcher over ORGS for the whole module: these tests only read."""
    feed = FakeFeed()
    ids = {key: feed.create(external_id=key, **org).id for key, org in ORGS.items()}
    settings = MatcherSettings(
        model=default_model(), data_dir=tmp_path_factory.mktemp("world"), poll_interval=0.05
    )
    app = create_app(settings, profiles_transport=feed.transport, encoder=encoder)
    with TestClient(app) as client:
        wait_ready(client)
        yield client, ids


def _keys(ids: dict[str, int], found: list[int]) -> set[str]:
    names = {v: k for k, v in ids.items()}
    return {names[i] for i in found}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kinds": ["research"]}, {"laser", "saxony", "milan"}),
        ({"countries": ["DE"]}, {"laser", "saxony", "bremen"}),
        ({"regions": ["DED"]}, {"laser", "saxony"}),
        ({"regions": ["DE"]}, {"laser", "saxony", "bremen"}),
        ({"exclude_regions": ["DED2"]}, {"alu", "bremen", "cluster", "lyon", "milan"}),
        ({"exclude_countries": ["DE", "IT"]}, {"cluster", "lyon"}),
        ({"sectors": ["C25"]}, {"alu", "bremen", "lyon"}),
        ({"sectors": ["C"]}, {"alu", "bremen", "cluster", "lyon"}),
        ({"kinds": ["sme"], "countries": ["DE"]}, {"bremen"}),
    ],
)
def test_filters_are_exact(world, filters: dict[str, list[str]], expected: set[str]) -> None:
    client, ids = world
    assert _keys(ids, match_ids(client, QUERY, filters=filters)) == expected


def test_seeker_excludes_itself_its_region_and_its_partners(world) -> None:
    client, ids = world
    found = _keys(ids, match_ids(client, QUERY, seeker_id=ids["alu"]))
    assert found == {"saxony", "bremen", "cluster", "lyon"}
    with_region = match_ids(client, QUERY, seeker_id=ids["alu"], include_own_region=True)
    assert _keys(ids, with_region) == found | {"milan"}


def test_partners_of_partners_are_a_trust_signal(world) -> None:
    client, ids = world
    data = client.get(f"/profiles/{ids['alu']}/matches?limit=100").json()["data"]
    trust = {r["profile"]["id"]: r["explanation"]["components"]["trust"] for r in data}
    assert trust[ids["cluster"]] > 0  # partner of the seeker's partner "laser"
    assert trust[ids["lyon"]] == 0


def test_partner_links_follow_writes(feed: FakeFeed, start_matcher) -> None:
    """Linking two organisations changes trust and shared partners for the profiles around
    them at once, and unlinking takes it back: the engine caches partner sets and a write
    drops those of every profile it links to, not only its own."""
    ids = {key: feed.create(external_id=key, **org).id for key, org in ORGS.items()}
    with start_matcher(feed.transport) as client:
        wait_ready(client)

        def lyon_for_alu() -> dict[str, Any]:
            data = client.get(f"/profiles/{ids['alu']}/matches?limit=100").json()["data"]
            return next(r["explanation"] for r in data if r["profile"]["id"] == ids["lyon"])

        shared = "It has worked with 1 of your partners."
        before = lyon_for_alu()
        assert before["components"]["trust"] == 0
        assert shared not in before["reasons"]
        # "lyon" now names "laser", the seeker's partner: only laser's partner set changes.
        feed.update(ids["lyon"], partners=["laser"])
        linked = wait_for(lambda: (e := lyon_for_alu())["components"]["trust"] > 0 and e)
        assert shared in linked["reasons"]
        feed.update(ids["lyon"], partners=[])
        unlinked = wait_for(lambda: (e := lyon_for_alu())["components"]["trust"] == 0 and e)
        assert shared not in unlinked["reasons"]


def test_reciprocal_term_rewards_needing_what_the_seeker_offers(world) -> None:
    client, ids = world
    data = client.get(f"/profiles/{ids['alu']}/matches?limit=100").json()["data"]
    reciprocal = {r["profile"]["id"]: r["explanation"]["components"]["reciprocal"] for r in data}
    # "bremen" needs aluminium die casting, which "alu" offers.
    assert reciprocal[ids["bremen"]] == max(reciprocal.values()) > 0.5


def test_profile_matches_take_comma_separated_or_repeated_filters(world) -> None:
    client, ids = world
    url = f"/profiles/{ids['alu']}/matches"
    comma = client.get(url, params={"kinds": "research,sme", "countries": "DE"})
    repeated = client.get(
        url, params=[("kinds", "research"), ("kinds", "sme"), ("countries", "DE")]
    )
    assert comma.status_code == repeated.status_code == 200
    assert comma.json() == repeated.json()
    assert _keys(ids, [r["profile"]["id"] for r in comma.json()["data"]]) == {"saxony", "bremen"}


def _source(profile: dict[str, Any], field: str, index: int | None) -> str:
    if field == "description":
        return str(profile["description"])
    if field in ("offer", "need"):
        assert index is not None
        return str(profile[field + "s"][index])
    assert field == "keywords"
    return ", ".join(profile["keywords"])


def test_explanation_passage_comes_from_the_candidate(world) -> None:
    client, _ = world
    data = client.post("/match", json={"text": QUERY, "limit": 100}).json()["data"]
    assert data
    for result in data:
        profile, explanation = result["profile"], result["explanation"]
        passage = explanation["passage"]
        source = _source(profile, passage["field"], passage["index"])
        assert passage["text"] in source
        assert explanation["query_part"] in QUERY
        assert set(explanation["components"]) >= {"semantic", "lexical", "activity", "trust"}
        assert explanation["reasons"]
        words = {
            w.lower().strip(",.:")
            for w in " ".join(
                [
                    profile["name"],
                    profile["description"],
                    *profile["offers"],
                    *profile["needs"],
                    *profile["keywords"],
                ]
            ).split()
        }
        assert set(explanation["shared_terms"]) <= words
        assert "contact" not in result["profile"] or result["profile"]["contact"] is None


def test_best_match_is_the_obvious_one(world) -> None:
    client, ids = world
    data = client.post("/match", json={"text": "laser welding process monitoring"}).json()["data"]
    assert data[0]["profile"]["id"] in {ids["laser"], ids["alu"]}
    assert data[0]["profile"]["region_name"]
    assert data == sorted(data, key=lambda r: -r["score"])


def test_shared_sectors_follow_the_filter(world) -> None:
    client, ids = world
    data = client.post("/match", json={"text": QUERY, "filters": {"sectors": ["C25"]}}).json()
    for result in data["data"]:
        assert result["explanation"]["shared_sectors"]
        assert all(s.startswith("C25") for s in result["explanation"]["shared_sectors"])


def test_ranking_is_deterministic_and_pages(world) -> None:
    client, _ = world
    body = {"text": QUERY, "limit": 6}
    first = client.post("/match", json=body).json()
    assert all(client.post("/match", json=body).json() == first for _ in range(3))
    page = client.post("/match", json={**body, "limit": 3, "offset": 3}).json()["data"]
    assert [r["profile"]["id"] for r in page] == [r["profile"]["id"] for r in first["data"][3:6]]


def test_ties_are_broken_by_id(feed: FakeFeed, start_matcher) -> None:
    twin = {k: v for k, v in ORGS["lyon"].items()}
    ids = [feed.create(**{**twin, "external_id": f"twin-{i}", "name": "Twin"}).id for i in range(3)]
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        data = client.post("/match", json={"text": QUERY}).json()["data"]
        assert [r["profile"]["id"] for r in data] == sorted(ids)
        assert len({r["score"] for r in data}) == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": QUERY, "filters": {"countries": ["XX"]}}, "countries"),
        ({"text": QUERY, "filters": {"regions": ["ZZ99"]}}, "regions"),
        ({"text": QUERY, "filters": {"sectors": ["X99"]}}, "sectors"),
        ({"text": QUERY, "filters": {"kinds": ["robot"]}}, "kinds"),
        ({"text": QUERY, "filters": {"planets": ["mars"]}}, "planets"),
        ({"text": QUERY, "limit": 0}, "limit"),
        ({"text": QUERY, "limit": 101}, "limit"),
    ],
)
def test_invalid_match_requests_are_422(world, body: dict[str, Any], where: str) -> None:
    client, _ = world
    response = client.post("/match", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert where in error["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"countries": "DE,XX"},
        {"regions": "ZZ99"},
        {"sectors": "X99"},
        {"kinds": "robot"},
        {"limit": "0"},
        {"exclude_regions": "nowhere"},
    ],
)
def test_invalid_profile_match_params_are_422(world, params: dict[str, str]) -> None:
    client, ids = world
    response = client.get(f"/profiles/{ids['alu']}/matches", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert next(iter(params)) in error["message"]


def test_unknown_seeker_is_404(world) -> None:
    client, _ = world
    assert client.get("/profiles/999999/matches").json()["error"]["code"] == "not_found"
    response = client.post("/match", json={"text": QUERY, "seeker_id": 999999})
    assert response.status_code == 404
