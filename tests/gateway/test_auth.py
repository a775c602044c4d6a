"""API keys and scopes: who may write, change, delete and see contact details."""

from __future__ import annotations

import pytest

from gateway.access.keys import Scope, create_key, revoke_key
from tests.factories import profile_payload
from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


async def test_writes_need_a_key_with_write_scope(stack: Stack) -> None:
    body = profile_payload()
    assert_error(await stack.client.post("/v1/profiles", json=body), 401, "unauthorized")
    error = assert_error(
        await stack.client.post("/v1/profiles", json=body, headers=stack.auth("reader")),
        403,
        "forbidden",
    )
    assert "write" in error["message"]
    bulk = await stack.client.post("/v1/profiles/bulk", json=[body])
    assert_error(bulk, 401, "unauthorized")


async def test_unknown_revoked_and_malformed_keys_are_refused(stack: Stack) -> None:
    for headers in (
        {"Authorization": "Bearer clk_not-a-real-token"},
        {"X-API-Key": "nope"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"X-API-Key": ""},
    ):
        assert_error(await stack.client.get("/v1/profiles", headers=headers), 401, "unauthorized")

    engine = stack.gateway.state.services.keys_engine
    key, token = create_key(engine=engine, hub="temp", scopes=[Scope.read])
    ok = await stack.client.get("/v1/profiles", headers={"X-API-Key": token})
    assert ok.status_code == 200
    revoke_key(engine=engine, key_id=key.id or 0)
    gone = await stack.client.get("/v1/profiles", headers={"X-API-Key": token})
    assert_error(gone, 401, "unauthorized")


async def test_hubs_own_what_they_create(stack: Stack) -> None:
    created = await stack.client.post(
        "/v1/profiles", json=profile_payload(), headers=stack.auth("hub_b")
    )
    assert created.status_code == 201, created.text
    profile = created.json()
    assert profile["owner"] == "hub-b" and profile["contact"]["email"]
    path = f"/v1/profiles/{profile['id']}"

    other = await stack.client.patch(path, json={"city": "Graz"}, headers=stack.auth("hub_a"))
    assert "belongs to another hub" in assert_error(other, 403, "forbidden")["message"]
    assert_error(await stack.client.delete(path, headers=stack.auth("hub_a")), 403, "forbidden")

    changed = await stack.client.patch(
        path, json={"city": "Graz"}, headers={**stack.auth("hub_b"), "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["city"] == "Graz" and changed.json()["version"] == 2
    assert changed.headers["ETag"] == '"2"'
    stale = await stack.client.patch(
        path, json={"city": "Linz"}, headers={**stack.auth("hub_b"), "If-Match": '"1"'}
    )
    assert_error(stale, 412, "version_mismatch")

    deleted = await stack.client.delete(path, headers=stack.auth("hub_b"))
    assert deleted.status_code == 204
    assert_error(await stack.client.get(path), 404, "not_found")


async def test_admin_may_change_any_profile(stack: Stack) -> None:
    path = f"/v1/profiles/{stack.ids['gw-wine']}"
    response = await stack.client.patch(
        path, json={"languages": ["fr", "en"]}, headers=stack.auth("admin")
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == "hub-a" and response.json()["languages"] == ["fr", "en"]


async def test_bulk_cannot_take_over_another_hubs_profile(stack: Stack) -> None:
    takeover = {**profile_payload(), "external_id": "gw-tourism", "name": "Hijacked"}
    response = await stack.client.post(
        "/v1/profiles/bulk", json=[takeover], headers=stack.auth("hub_b")
    )
    assert response.status_code == 200, response.text
    item = response.json()["items"][0]
    assert item["status"] == "rejected" and "another owner" in item["error"]
    current = await stack.client.get(f"/v1/profiles/{stack.ids['gw-tourism']}")
    assert current.json()["name"] == "Dalmatia Tourism Board"


@pytest.mark.parametrize(
    ("who", "sees_contact"),
    [(None, False), ("hub_b", False), ("reader", False), ("hub_a", True), ("contacts", True)],
)
async def test_contact_only_for_owner_or_contacts_scope(
    stack: Stack, who: str | None, sees_contact: bool
) -> None:
    headers = stack.auth(who) if who else {}
    response = await stack.client.get(f"/v1/profiles/{stack.ids['gw-lasertec']}", headers=headers)
    assert response.status_code == 200
    contact = response.json()["contact"]
    assert (
        contact == {"email": "gw-lasertec@example.eu", "phone": None, "person": "Contact Person"}
    ) is sees_contact
    if not sees_contact:
        assert contact is None
    listing = await stack.client.get("/v1/profiles", params={"q": "laser"}, headers=headers)
    assert listing.status_code == 200 and listing.json()["count"] >= 2
    assert all(p["contact"] is None for p in listing.json()["data"])
    matches = await stack.client.post("/v1/match", json={"text": "laser"}, headers=headers)
    assert all(r["profile"]["contact"] is None for r in matches.json()["data"])


async def test_list_filters_and_cursor_pass_through(stack: Stack) -> None:
    first = await stack.client.get("/v1/profiles", params={"country": "AT", "limit": 3})
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["count"] == 3 and page["next_cursor"]
    second = await stack.client.get(
        "/v1/profiles", params={"country": "AT", "limit": 3, "cursor": page["next_cursor"]}
    )
    ids = [p["id"] for p in page["data"]] + [p["id"] for p in second.json()["data"]]
    assert len(ids) == len(set(ids)) == 6
    owned = await stack.client.get("/v1/profiles", params={"owner": "hub-a", "kind": "cluster"})
    assert {p["name"] for p in owned.json()["data"]} >= {"Upper Austria Plastics Cluster"}
