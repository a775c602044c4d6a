"""Cluster intelligence through the matcher's HTTP API, on a small known set: three technology
fields (laser/metal, packaging/food, software), the specialisation arithmetic, bridges across
fields and regions, and a cluster's potential."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.matcher.app import create_app
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from tests.matcher.conftest import FakeFeed, wait_for, wait_intel, wait_ready

ORGS: dict[str, dict[str, Any]] = {
    "lasertec": dict(
        name="Lasertec Dresden",
        kind="research",
        country="DE",
        region="DED21",
        description="Applied research institute for laser welding, laser cutting and in-process "
        "monitoring of metal joining.",
        offers=["laser welding process monitoring", "weld seam inspection of steel and aluminium"],
        needs=[],
        keywords=["laser welding", "joining", "metal"],
        sectors=["M72.1"],
    ),
    "photonics": dict(
        name="Saxon Photonics Institute",
        kind="research",
        country="DE",
        region="DED21",
        description="Research on laser cutting and laser processing of sheet metal and steel.",
        offers=["laser cutting trials for sheet metal prototypes"],
        needs=[],
        keywords=["laser cutting", "sheet metal"],
        sectors=["M72.1"],
    ),
    "weser": dict(
        name="Weser Welding",
        kind="sme",
        country="DE",
        region="DE50",
        description="Welding of steel structures and metal fabrication for shipyards.",
        offers=["robotic arc welding of steel"],
        needs=[],
        keywords=["welding", "steel"],
        sectors=["C25.11"],
    ),
    "rhone": dict(
        name="Rhone Joining",
        kind="sme",
        country="FR",
        region="FRK2",
        description="Laser joining and welding of metal parts for the automotive industry.",
        offers=["laser brazing of car body parts"],
        needs=["laser welding process monitoring"],
        keywords=["laser joining", "welding"],
        sectors=["C25"],
    ),
    "biopack": dict(
        name="BioPack Cluster Catalunya",
        kind="cluster",
        country="ES",
        region="ES51",
        description="Cluster organisation of food and plastics companies developing bioplastic "
        "packaging.",
        offers=["network of food and packaging producers", "bioplastics pilot plant access"],
        needs=["machine vision inspection of packaging lines"],
        keywords=["bioplastics", "food packaging"],
        sectors=["C22.2"],
    ),
    "films": dict(
        name="Catalan Films",
        kind="sme",
        country="ES",
        region="ES51",
        description="We produce compostable bioplastic films for food packaging.",
        offers=["compostable packaging films"],
        needs=[],
        keywords=["compostable films", "packaging"],
        sectors=["C22.2"],
    ),
    "flanders": dict(
        name="Flanders Packaging Cluster",
        kind="cluster",
        country="BE",
        region="BE21",
        description="Cluster organisation of packaging and plastics firms working on sustainable "
        "food packaging.",
        offers=["sustainable packaging network"],
        needs=[],
        keywords=["packaging", "plastics"],
        sectors=["C22.2"],
    ),
    "wageningen": dict(
        name="Wageningen Food Packaging Lab",
        kind="research",
        country="NL",
        region="NL22",
        description="Research on food packaging, shelf life and biobased packaging materials.",
        offers=["shelf life testing of packaged food"],
        needs=[],
        keywords=["food packaging", "shelf life"],
        sectors=["M72.1"],
    ),
    "vision": dict(
        name="Madrid Vision AI",
        kind="sme",
        country="ES",
        region="ES30",
        description="Software company building machine learning and computer vision software.",
        offers=["machine vision inspection of production lines"],
        needs=[],
        keywords=["computer vision", "software", "machine learning"],
        sectors=["J62"],
    ),
    "data": dict(
        name="Madrid Data Works",
        kind="sme",
        country="ES",
        region="ES30",
        description="Software company for data analytics and machine learning platforms.",
        offers=["machine learning software development"],
        needs=[],
        keywords=["software", "data analytics"],
        sectors=["J62"],
    ),
    "warsaw": dict(
        name="Warsaw Software House",
        kind="sme",
        country="PL",
        region="PL91",
        description="Custom software development and cloud platforms for industry.",
        offers=["cloud software development"],
        needs=[],
        keywords=["software", "cloud"],
        sectors=["J62"],
    ),
    "tallinn": dict(
        name="Tallinn Robotics Software",
        kind="sme",
        country="EE",
        region="EE00",
        description="Software for robot control and machine learning on the factory floor.",
        offers=["robot control software"],
        needs=["laser cutting of sheet metal prototypes"],
        keywords=["robotics", "software"],
        sectors=["J62"],
    ),
}

PACKAGING = {"biopack", "films", "flanders", "wageningen"}
SOFTWARE = {"vision", "data", "warsaw", "tallinn"}


@pytest.fixture(scope="module")
def world(
    encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, int], FakeFeed]]:
    """One matcher over ORGS for the module (only the last test adds a profile)."""
    feed = FakeFeed()
    ids = {key: feed.create(external_id=key, partners=[], **org).id for key, org in ORGS.items()}
    settings = MatcherSettings(
        model=default_model(), data_dir=tmp_path_factory.mktemp("intel"), poll_interval=0.05
    )
    app = create_app(settings, profiles_transport=feed.transport, encoder=encoder)
    with TestClient(app) as client:
        wait_ready(client)
        wait_intel(client)
        yield client, ids, feed


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def figures(body: dict[str, Any]) -> dict[str, Any]:
    """A response without its `computed_at` (when, not what, was computed)."""
    return {k: v for k, v in body.items() if k != "computed_at"}


def field_of(client: TestClient, term: str) -> dict[str, Any]:
    """The field whose label holds `term`."""
    found = [f for f in get(client, "/fields")["data"] if term in f["terms"]]
    assert len(found) == 1, get(client, "/fields")
    return found[0]


def test_fields_group_the_known_sectors_and_are_labelled_by_their_terms(world: Any) -> None:
    client, _, _ = world
    fields = get(client, "/fields")
    assert fields["count"] == 3 and fields["profiles"] == len(ORGS)
    assert [f["id"] for f in fields["data"]] == ["F1", "F2", "F3"]
    assert field_of(client, "packaging")["size"] == len(PACKAGING)
    assert "laser" in field_of(client, "welding")["terms"]
    assert field_of(client, "software")["size"] >= len(SOFTWARE)


def test_fields_are_the_same_when_recomputed_and_in_a_fresh_matcher(
    world: Any, encoder: Encoder, tmp_path: Any
) -> None:
    client, _, _ = world
    before = get(client, "/fields")
    again = client.post("/fields/recompute")
    assert again.status_code == 200 and figures(again.json()) == figures(before)
    assert again.json()["computed_at"] > before["computed_at"]
    feed = FakeFeed()
    for key, org in ORGS.items():
        feed.create(external_id=key, partners=[], **org)
    settings = MatcherSettings(model=default_model(), data_dir=tmp_path, poll_interval=0.05)
    with TestClient(create_app(settings, profiles_transport=feed.transport, encoder=encoder)) as c:
        wait_ready(c)
        wait_intel(c)
        assert get(c, "/fields")["data"] == before["data"]
        assert figures(get(c, "/map/competences")) == figures(get(client, "/map/competences"))


def test_specialisation_is_the_regions_share_over_the_whole_sets_share(world: Any) -> None:
    client, ids, _ = world
    packaging = field_of(client, "packaging")["id"]
    body = get(client, "/map/competences", level="nuts2")
    assert body["total"] == len(ORGS)
    for cell in body["data"]:
        expected = (cell["count"] / cell["region_total"]) / (cell["field_total"] / cell["total"])
        assert cell["specialisation"] == pytest.approx(expected, abs=1e-4)
    for field in {c["field"] for c in body["data"]}:
        cells = [c for c in body["data"] if c["field"] == field]
        assert sum(c["count"] for c in cells) == cells[0]["field_total"]
    cell = next(c for c in body["data"] if (c["region"], c["field"]) == ("ES51", packaging))
    # Both Catalan organisations work in packaging; 4 of the 12 do: (2/2) / (4/12) = 3.
    assert (cell["count"], cell["region_total"], cell["field_total"]) == (2, 2, 4)
    assert cell["specialisation"] == 3.0
    assert cell["region_name"] == "Cataluña"
    assert {o["id"] for o in cell["top"]} == {ids["biopack"], ids["films"]}
    assert not [c for c in body["data"] if c["region"] == "DED2" and c["field"] == packaging]


def test_map_levels_kind_and_field_filters(world: Any) -> None:
    client, ids, _ = world
    packaging = field_of(client, "packaging")["id"]
    by_country = get(client, "/map/competences", level="country")
    es = [c for c in by_country["data"] if c["region"] == "ES"]
    assert {c["region_total"] for c in es} == {4}
    assert next(c for c in es if c["field"] == packaging)["specialisation"] == pytest.approx(
        (2 / 4) / (4 / 12), abs=1e-4
    )
    nuts1 = get(client, "/map/competences", level="nuts1")
    assert {c["region"] for c in nuts1["data"]} >= {"DED", "ES5", "ES3"}
    clusters = get(client, "/map/competences", level="nuts2", kind="cluster")
    assert clusters["total"] == 2
    assert {(c["region"], c["field"]) for c in clusters["data"]} == {
        ("ES51", packaging),
        ("BE21", packaging),
    }
    only = get(client, "/map/competences", field=packaging.lower())
    assert {c["field"] for c in only["data"]} == {packaging}
    assert {c["region"] for c in only["data"]} == {"ES51", "BE21", "NL22"}


def test_map_exports_csv(world: Any) -> None:
    client, _, _ = world
    response = client.get("/map/competences", params={"level": "nuts2", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    json_rows = get(client, "/map/competences", level="nuts2")["data"]
    assert len(rows) == len(json_rows)
    es51 = next(r for r in rows if r["region"] == "ES51" and "packaging" in r["field_label"])
    assert es51["specialisation"] == "3.0000"
    assert "BioPack Cluster Catalunya" in es51["top_organisations"]


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/map/competences", {"field": "F99"}, 422),
        ("/map/competences", {"level": "nuts3"}, 422),
        ("/map/competences", {"kind": "alien"}, 422),
        ("/map/competences", {"format": "xml"}, 422),
        ("/bridges", {"from_region": "XX9"}, 422),
        ("/bridges", {"min_distance": "-1"}, 422),
        ("/bridges", {"limit": "0"}, 422),
        ("/clusters/999/potential", {}, 404),
        ("/clusters/abc/potential", {}, 422),
    ],
)
def test_malformed_requests_get_the_error_shape(
    world: Any, url: str, params: dict[str, str], status: int
) -> None:
    client, _, _ = world
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] in ("invalid_input", "not_found") and error["message"]


def pairs(body: dict[str, Any], ids: dict[str, int]) -> set[tuple[str, str]]:
    names = {v: k for k, v in ids.items()}
    return {(names[b["seeker"]["id"]], names[b["provider"]["id"]]) for b in body["data"]}


def test_bridges_join_a_need_to_an_offer_from_another_field_and_region(world: Any) -> None:
    client, ids, _ = world
    body = get(client, "/bridges")
    found = pairs(body, ids)
    assert {("biopack", "vision"), ("tallinn", "photonics")} <= found
    # Rhone needs laser-welding monitoring, which Lasertec offers: same field, not a bridge.
    assert ("rhone", "lasertec") not in found
    bridge = next(b for b in body["data"] if b["seeker"]["id"] == ids["biopack"])
    assert bridge["need"]["text"] == "machine vision inspection of packaging lines"
    assert bridge["offer"]["text"] == "machine vision inspection of production lines"
    assert bridge["seeker_field"] != bridge["provider_field"]
    assert "BioPack Cluster Catalunya" in bridge["reason"]
    sims = [b["similarity"] for b in body["data"]]
    assert sims == sorted(sims, reverse=True)
    packaging, software = field_of(client, "packaging")["id"], field_of(client, "software")["id"]
    pair = next(p for p in body["field_pairs"] if p["seeker_field"] == packaging)
    assert (pair["provider_field"], pair["bridges"]) == (software, 1)
    assert sum(p["bridges"] for p in body["field_pairs"]) == body["count"]


def test_bridges_filter_by_region_and_field_distance(world: Any) -> None:
    client, ids, _ = world
    assert pairs(get(client, "/bridges", from_region="ES51"), ids) == {("biopack", "vision")}
    assert {p for _, p in pairs(get(client, "/bridges", to_region="DE"), ids)} <= {
        "photonics",
        "lasertec",
    }
    assert pairs(get(client, "/bridges", from_region="ES", to_region="DE"), ids) == set()
    assert get(client, "/bridges", min_distance=1.99)["count"] == 0
    assert get(client, "/bridges", limit=1)["count"] == 1


def test_cluster_potential_names_peers_bridges_and_regional_gaps(world: Any) -> None:
    client, ids, _ = world
    packaging, software = field_of(client, "packaging")["id"], field_of(client, "software")["id"]
    body = get(client, f"/clusters/{ids['biopack']}/potential")
    assert body["region"] == "ES51"
    assert body["fields"][0]["field"] == packaging
    assert body["fields"][0]["specialisation"] == 3.0
    assert body["peers"][0]["profile"]["id"] == ids["flanders"]
    assert body["peers"][0]["shared_fields"] == [packaging]
    assert all(p["profile"]["kind"] == "cluster" for p in body["peers"])
    assert [b["provider"]["id"] for b in body["complementary"]] == [ids["vision"]]
    gap = next(o for o in body["opportunities"] if o["field"] == software)
    # Catalonia has no software firm; Madrid (same country, other NUTS 1) has two of its two.
    assert (gap["specialisation"], gap["neighbour"], gap["scope"]) == (0.0, "ES30", "country")
    assert gap["neighbour_count"] == 2
    assert {o["id"] for o in gap["examples"]} == {ids["vision"], ids["data"]}


def test_a_provider_sees_the_needs_it_answers(world: Any) -> None:
    client, ids, _ = world
    body = get(client, f"/clusters/{ids['photonics']}/potential")
    assert [b["seeker"]["id"] for b in body["complementary"]] == [ids["tallinn"]]


def test_new_profiles_join_the_existing_fields(world: Any) -> None:
    client, ids, feed = world
    before = get(client, "/fields")
    packaging = field_of(client, "packaging")["id"]
    feed.create(
        external_id="porto",
        partners=[],
        name="Porto Cork Packaging",
        kind="sme",
        country="PT",
        region="PT11",
        description="We make cork-based sustainable food packaging and plastic-free closures.",
        offers=["biobased food packaging design"],
        needs=[],
        keywords=["packaging", "cork"],
        sectors=["C16"],
    )
    wait_for(lambda: get(client, "/health")["details"]["profiles"] == len(ORGS) + 1)
    wait_for(lambda: get(client, "/fields")["profiles"] == len(ORGS) + 1)
    after = get(client, "/fields")
    assert after["profiles"] == len(ORGS) + 1
    assert [f["id"] for f in after["data"]] == [f["id"] for f in before["data"]]
    cells = get(client, "/map/competences", field=packaging)["data"]
    assert {c["region"] for c in cells} == {"ES51", "BE21", "NL22", "PT11"}


def test_an_empty_matcher_has_no_fields_and_empty_views(start_matcher: Any, feed: FakeFeed) -> None:
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        wait_intel(client)
        assert get(client, "/fields")["count"] == 0
        assert get(client, "/map/competences")["data"] == []
        bridges = get(client, "/bridges")
        assert bridges.pop("computed_at")
        assert bridges == {"data": [], "count": 0, "field_pairs": []}
        assert client.get("/clusters/1/potential").status_code == 404


def test_intel_answers_not_ready_until_its_first_computation(
    start_matcher: Any, feed: FakeFeed
) -> None:
    """Caught up with the feed, but the background computation has not run yet (it is polled
    once an hour here): every intelligence route answers 503 with the standard error body."""
    feed.create(external_id="lasertec", partners=[], **ORGS["lasertec"])
    with start_matcher(feed.transport, intel_poll_interval=3600) as client:
        wait_ready(client)
        for url in ("/fields", "/map/competences", "/bridges", "/clusters/1/potential"):
            response = client.get(url)
            assert response.status_code == 503, url
            error = response.json()["error"]
            assert error["code"] == "not_ready" and "computed" in error["message"]
        assert client.get("/health").status_code == 200  # matching itself is ready


def test_intel_is_served_from_the_background_with_when_it_was_computed(world: Any) -> None:
    client, _, _ = world
    bodies = [
        get(client, "/fields"),
        get(client, "/map/competences"),
        get(client, "/bridges"),
    ]
    stamps = {b["computed_at"] for b in bodies}
    assert len(stamps) == 1 and None not in stamps  # one computation serves every view
