"""Ownership is checked once, by the profiles service, in the write itself: the gateway sends a
change straight on with the caller's hub and reports a refusal in its own words."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.factories import profile_payload
from tests.gateway.conftest import Stack
from tests.gateway.test_upstreams import Counting, serve

pytestmark = pytest.mark.anyio


async def test_a_foreign_hub_cannot_change_or_delete_and_one_call_decides(stack: Stack) -> None:
    created = await stack.client.post(
        "/v1/profiles", json=profile_payload(city="Dresden"), headers=stack.auth("hub_b")
    )
    assert created.status_code == 201, created.text
    path = f"/v1/profiles/{created.json()['id']}"
    profiles = Counting(stack.profiles)
    app = create_app(
        stack.settings(), profiles_transport=profiles, matcher_transports=[stack.matcher]
    )
    patch, delete, own = await serve(
        app,
        ("PATCH", path, {"json": {"city": "Graz"}, "headers": stack.auth("hub_a")}),
        ("DELETE", path, {"headers": stack.auth("hub_a")}),
        ("PATCH", path, {"json": {"city": "Linz"}, "headers": stack.auth("hub_b")}),
    )
    for refused in (patch, delete):
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert error["code"] == "forbidden" and "belongs to another hub" in error["message"]
        assert error["details"] == {"profile_id": created.json()["id"]}
    assert own.status_code == 200 and own.json()["city"] == "Linz"
    # One upstream call per change, no lookup before it; the hub travels with the write.
    upstream = path.removeprefix("/v1")
    sent = [(r.method, r.url.path, r.headers.get("x-crosslink-owner")) for r in profiles.requests]
    assert sent == [
        ("PATCH", upstream, "hub-a"),
        ("DELETE", upstream, "hub-a"),
        ("PATCH", upstream, "hub-b"),
    ]
    current = await stack.client.get(path)
    assert current.status_code == 200 and current.json()["city"] == "Linz"


async def test_an_admin_changes_any_profile_without_an_owner_header(stack: Stack) -> None:
    created = await stack.client.post(
        "/v1/profiles", json=profile_payload(), headers=stack.auth("hub_b")
    )
    path = f"/v1/profiles/{created.json()['id']}"
    profiles = Counting(stack.profiles)
    app = create_app(
        stack.settings(), profiles_transport=profiles, matcher_transports=[stack.matcher]
    )
    (changed,) = await serve(
        app, ("PATCH", path, {"json": {"city": "Graz"}, "headers": stack.auth("admin")})
    )
    assert changed.status_code == 200 and changed.json()["city"] == "Graz"
    assert [r.headers.get("x-crosslink-owner") for r in profiles.requests] == [None]


async def test_changing_a_missing_profile_is_404(stack: Stack) -> None:
    response = await stack.client.patch(
        "/v1/profiles/2000000000", json={"city": "Graz"}, headers=stack.auth("hub_a")
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
