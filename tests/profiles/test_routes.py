"""Create, read, update, delete and list, through HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import profile_payload

Create = Callable[..., dict[str, Any]]


def test_create_and_get(profiles_client: TestClient) -> None:
    payload = profile_payload()
    response = profiles_client.post("/profiles", json=payload, headers={"X-Crosslink-Owner": "hub"})
    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    created = response.json()
    assert created["owner"] == "hub"
    assert created["version"] == 1
    assert created["contact"] is None

    got = profiles_client.get(f"/profiles/{created['id']}")
    assert got.headers["etag"] == '"1"'
    assert got.json() == created


def test_contact_only_with_the_flag(profiles_client: TestClient, create: Create) -> None:
    profile = create(contact={"email": "x@example.eu", "phone": "+49 351 1234"})
    url = f"/profiles/{profile['id']}"
    assert profiles_client.get(url).json()["contact"] is None
    contact = profiles_client.get(url, params={"include_contact": "true"}).json()["contact"]
    assert contact == {"email": "x@example.eu", "phone": "+49 351 1234", "person": None}
    listed = profiles_client.get("/profiles", params={"include_contact": "true"}).json()
    assert [p["contact"] for p in listed["data"]] == [None]
    changes = profiles_client.get("/changes").json()["changes"]
    assert changes[0]["profile"]["contact"] is None


def test_duplicate_external_id_conflicts(profiles_client: TestClient, create: Create) -> None:
    create(external_id="dup-1")
    response = profiles_client.post("/profiles", json=profile_payload(external_id="dup-1"))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "external_id 'dup-1' is already used by another profile; "
        "update that profile or use POST /profiles/bulk to upsert"
    )


def test_patch_bumps_version_and_etag(profiles_client: TestClient, create: Create) -> None:
    profile = create()
    url = f"/profiles/{profile['id']}"
    response = profiles_client.patch(url, json={"city": "Leipzig"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert (body["city"], body["version"]) == ("Leipzig", 2)
    assert body["updated_at"] > profile["updated_at"]
    assert body["created_at"] == profile["created_at"]


def test_stale_if_match_is_412(profiles_client: TestClient, create: Create) -> None:
    profile = create()
    url = f"/profiles/{profile['id']}"
    assert profiles_client.patch(url, json={"city": "A"}, headers={"If-Match": '"1"'}).is_success
    stale = profiles_client.patch(url, json={"city": "B"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    error = stale.json()["error"]
    assert error["code"] == "version_mismatch"
    assert error["message"] == (
        f"profile {profile['id']} is at version 2, not 1; fetch it again and retry with the "
        "current version"
    )
    assert profiles_client.patch(url, json={"city": "B", "version": 1}).status_code == 412
    assert profiles_client.delete(url, headers={"If-Match": '"1"'}).status_code == 412
    assert profiles_client.get(url).json()["city"] == "A"
    assert profiles_client.patch(url, json={"city": "B", "version": 2}).json()["version"] == 3


def test_bad_if_match_is_422(profiles_client: TestClient, create: Create) -> None:
    profile = create()
    response = profiles_client.patch(
        f"/profiles/{profile['id']}", json={"city": "A"}, headers={"If-Match": "yesterday"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "If-Match 'yesterday' is not a version tag; expected the ETag you got, e.g. '\"3\"'"
    )


def test_patch_without_change_bumps_nothing(profiles_client: TestClient, create: Create) -> None:
    profile = create(city="Dresden")
    url = f"/profiles/{profile['id']}"
    seq = profiles_client.get("/changes").json()["last_seq"]
    response = profiles_client.patch(url, json={"city": "Dresden", "name": profile["name"]})
    assert response.json()["version"] == 1
    assert response.json()["updated_at"] == profile["updated_at"]
    assert profiles_client.get("/changes").json()["last_seq"] == seq


def test_patch_contact_and_clear_field(profiles_client: TestClient, create: Create) -> None:
    profile = create(city="Dresden")
    url = f"/profiles/{profile['id']}"
    response = profiles_client.patch(
        url, json={"city": None, "contact": {"person": "Grace"}}, params={"include_contact": True}
    )
    assert response.json()["city"] is None
    assert response.json()["contact"] == {"email": None, "phone": None, "person": "Grace"}


def test_delete(profiles_client: TestClient, create: Create) -> None:
    profile = create()
    url = f"/profiles/{profile['id']}"
    assert profiles_client.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    missing = profiles_client.get(url)
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": f"profile {profile['id']} does not exist",
        "details": None,
    }
    assert profiles_client.delete(url).status_code == 404
    assert profiles_client.patch(url, json={"city": "X"}).status_code == 404


def test_owner_may_only_change_its_own(profiles_client: TestClient, create: Create) -> None:
    profile = create(owner="hub-a")
    url = f"/profiles/{profile['id']}"
    response = profiles_client.patch(
        url, json={"city": "X"}, headers={"X-Crosslink-Owner": "hub-b"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        f"profile {profile['id']} belongs to another owner; "
        "'hub-b' may only change the profiles it created"
    )
    assert profiles_client.delete(url, headers={"X-Crosslink-Owner": "hub-b"}).status_code == 403
    ok = profiles_client.patch(url, json={"city": "X"}, headers={"X-Crosslink-Owner": "hub-a"})
    assert ok.status_code == 200


def test_huge_or_odd_ids_are_404(profiles_client: TestClient) -> None:
    assert profiles_client.get("/profiles/99999999999999999999").status_code == 404
    assert profiles_client.get("/profiles/0").status_code == 404
    assert profiles_client.get("/profiles/abc").status_code == 422


def test_list_filters(profiles_client: TestClient, create: Create) -> None:
    dresden = create(
        kind="research",
        country="DE",
        region="DED21",
        sectors=["M72.1"],
        owner="hub-a",
        description="Laser institute",
        offers=[],
        needs=[],
        keywords=[],
    )
    milan = create(
        kind="sme",
        country="IT",
        region="ITC4",
        sectors=["C25", "C24.5"],
        description="We cast ALUMINIUM parts",
        offers=[],
        needs=[],
        keywords=[],
    )
    athens = create(
        kind="research",
        country="EL",
        region="EL30",
        sectors=["C25.11"],
        description="Solar lab",
        offers=[],
        needs=[],
        keywords=[],
    )
    tokyo = create(
        kind="company",
        country="JP",
        region=None,
        sectors=[],
        description="50% Off",
        offers=[],
        needs=[],
        keywords=[],
    )

    def ids(**params: Any) -> list[int]:
        response = profiles_client.get("/profiles", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert ids() == [dresden["id"], milan["id"], athens["id"], tokyo["id"]]
    assert ids(kind="research") == [dresden["id"], athens["id"]]
    assert ids(kind=["sme", "company"]) == [milan["id"], tokyo["id"]]
    assert ids(country="gr") == [athens["id"]]
    assert ids(region="DED") == [dresden["id"]]
    assert ids(region="DE") == [dresden["id"]]
    assert ids(region="ITC4") == [milan["id"]]
    assert ids(sector="C25") == [milan["id"], athens["id"]]
    assert ids(sector="25.11") == [athens["id"]]
    assert ids(sector="C") == [milan["id"], athens["id"]]
    assert ids(external_id=milan["external_id"]) == [milan["id"]]
    assert ids(owner="hub-a") == [dresden["id"]]
    assert ids(q="ALUMINIUM") == [milan["id"]]  # matches description (any case)
    assert ids(q="50%") == [tokyo["id"]]  # LIKE wildcards are taken literally
    assert ids(q="0%") == [tokyo["id"]]
    assert ids(q="_") == []
    assert ids(ids=f"{athens['id']},{dresden['id']},999999") == [dresden["id"], athens["id"]]
    assert ids(ids="") == []
    assert ids(kind="research", country="EL") == [athens["id"]]


def test_q_searches_offers_needs_keywords(profiles_client: TestClient, create: Create) -> None:
    profile = create(offers=["Cryogenic Testing"], needs=["pilot buyers"], keywords=["quantum"])
    for q in ("cryogenic", "PILOT BUY", "Quantum"):
        data = profiles_client.get("/profiles", params={"q": q}).json()["data"]
        assert [p["id"] for p in data] == [profile["id"]]


def test_pages_walk_everything_once(profiles_client: TestClient, create: Create) -> None:
    created = [create()["id"] for _ in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = profiles_client.get("/profiles", params=params).json()
        assert page["count"] == len(page["data"]) <= 3
        seen += [p["id"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created


def test_health(profiles_client: TestClient, create: Create) -> None:
    create()
    assert profiles_client.get("/health").json() == {
        "status": "ok",
        "ready": True,
        "details": {"profiles": 1},
    }


@pytest.mark.parametrize("param", ["q", "external_id", "owner", "cursor"])
def test_list_rejects_nul_in_text_filters(profiles_client: TestClient, param: str) -> None:
    response = profiles_client.get("/profiles", params={param: "a\x00b"})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"{param}: contains a NUL character (\\u0000), which is not accepted in text"
    )


def test_a_request_key_replays_only_for_its_owner_and_only_a_profile_still_there(
    profiles_client: TestClient,
) -> None:
    key = {"X-Crosslink-Request-Key": "a" * 64}
    hub = {"X-Crosslink-Owner": "hub", **key}
    first = profiles_client.post("/profiles", json=profile_payload(), headers=hub)
    again = profiles_client.post("/profiles", json=profile_payload(), headers=hub)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    # Another owner's create is never answered with this owner's profile.
    other = profiles_client.post(
        "/profiles", json=profile_payload(), headers={"X-Crosslink-Owner": "other", **key}
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # Once the profile is gone, the key made it no longer: a repeat creates afresh.
    url = f"/profiles/{other.json()['id']}"
    assert profiles_client.delete(url, headers={"X-Crosslink-Owner": "other"}).status_code == 204
    renewed = profiles_client.post(
        "/profiles", json=profile_payload(), headers={"X-Crosslink-Owner": "other", **key}
    )
    assert renewed.status_code == 201 and renewed.json()["id"] not in (
        first.json()["id"],
        other.json()["id"],
    )
    short = profiles_client.post(
        "/profiles", json=profile_payload(), headers={"X-Crosslink-Request-Key": "x"}
    )
    assert short.status_code == 422
