"""/v1/webhooks and /v1/alerts through the gateway, with the real profiles service and the
dispatcher in-process and a real receiver on loopback: keys, hubs kept apart, no contacts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.access.keys import Scope, create_key
from gateway.app import create_app
from gateway.config import GatewaySettings
from services.dispatcher.app import create_app as create_dispatcher_app
from services.dispatcher.config import DispatcherSettings
from services.profiles.app import create_app as create_profiles_app
from services.profiles.config import ProfilesSettings
from tests.dispatcher.conftest import (
    FAST,
)
from tests.dispatcher.receiver import Receiver, poll
from tests.factories import profile_payload

pytestmark = pytest.mark.anyio

OPEN = "100000/minute"


@dataclass
class Gateway:
    client: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
async def gateway(tmp_path: Path, database_url: str) -> AsyncIterator[Gateway]:
    async with AsyncExitStack() as exits:
        profiles_app = create_profiles_app(
            ProfilesSettings(database_url=database_url, data_dir=tmp_path, demo_data=False)
        )
        await exits.enter_async_context(profiles_app.router.lifespan_context(profiles_app))
        profiles = httpx.ASGITransport(app=profiles_app)
        dispatcher_app = create_dispatcher_app(
            DispatcherSettings.model_validate(
                {**FAST, "data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path / 'd.db'}"}
            ),
            profiles_transport=profiles,
            matcher_transports=[],
        )
        await exits.enter_async_context(dispatcher_app.router.lifespan_context(dispatcher_app))
        settings = GatewaySettings.model_validate(
            {
                "data_dir": tmp_path,
                "keys_database_url": f"sqlite:///{tmp_path / 'keys.db'}",
                "rate_limit_anonymous": OPEN,
                "rate_limit_key": OPEN,
            }
        )
        app = create_app(
            settings,
            profiles_transport=profiles,
            dispatcher_transport=httpx.ASGITransport(app=dispatcher_app),
        )
        await exits.enter_async_context(app.router.lifespan_context(app))
        client = await exits.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        )
        engine = app.state.services.keys_engine
        tokens = {
            name: create_key(engine=engine, hub=hub, scopes=scopes)[1]
            for name, hub, scopes in [
                ("hub_a", "hub-a", [Scope.read, Scope.write]),
                ("hub_b", "hub-b", [Scope.read, Scope.write]),
                ("reader", "hub-r", [Scope.read]),
            ]
        }
        yield Gateway(client, tokens)


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


async def _subscribe(gw: Gateway, who: str, url: str, **body: Any) -> dict[str, Any]:
    response = await gw.client.post(
        "/v1/webhooks",
        json={"url": url, "events": ["profile.created"], **body},
        headers=gw.auth(who),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_keys_need_write(gateway: Gateway, receiver: Receiver) -> None:
    body = {"url": receiver.url, "events": ["profile.created"]}
    anonymous = await gateway.client.post("/v1/webhooks", json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    reader = await gateway.client.get("/v1/alerts", headers=gateway.auth("reader"))
    assert reader.status_code == 403
    assert "'write' scope" in reader.json()["error"]["message"]


async def test_a_hub_never_receives_another_hubs_contacts_and_sees_only_its_own(
    gateway: Gateway, receiver: Receiver, second_receiver: Receiver
) -> None:
    mine = await _subscribe(gateway, "hub_a", receiver.url)
    watcher = await _subscribe(gateway, "hub_b", second_receiver.url, scope="all")
    assert mine["secret"].startswith("whsec_")

    payload = profile_payload(contact={"email": "secret-person@example.eu", "phone": "+49 351 1"})
    created = await gateway.client.post("/v1/profiles", json=payload, headers=gateway.auth("hub_a"))
    assert created.status_code == 201, created.text
    pid = created.json()["id"]

    await poll(lambda: receiver.events() and second_receiver.events(), deadline=10, what="both")
    own = receiver.events()[0].verify(mine["secret"])
    seen = second_receiver.events()[0].verify(watcher["secret"])
    assert own["data"]["profile_id"] == seen["data"]["profile_id"] == pid
    assert seen["data"]["profile"]["name"] == payload["name"]
    for received in (receiver.events()[0], second_receiver.events()[0]):
        assert b"secret-person" not in received.body and b"+49 351" not in received.body
        assert "contact" not in received.event["data"]["profile"]

    # hub-b's own-scoped subscription would not have heard of hub-a's profile at all.
    listed = await gateway.client.get("/v1/webhooks", headers=gateway.auth("hub_b"))
    assert [w["id"] for w in listed.json()["data"]] == [watcher["id"]]
    assert "secret" not in listed.json()["data"][0]
    for method, path in [
        ("GET", f"/v1/webhooks/{mine['id']}"),
        ("DELETE", f"/v1/webhooks/{mine['id']}"),
        ("GET", f"/v1/webhooks/{mine['id']}/deliveries"),
        ("POST", f"/v1/webhooks/{mine['id']}/test"),
    ]:
        response = await gateway.client.request(method, path, headers=gateway.auth("hub_b"))
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"

    deliveries = await gateway.client.get(
        f"/v1/webhooks/{mine['id']}/deliveries", headers=gateway.auth("hub_a")
    )
    assert deliveries.status_code == 200
    (delivery,) = deliveries.json()["data"]
    assert delivery["event_id"] == own["id"] and delivery["event_type"] == "profile.created"
    retried = await gateway.client.post(
        f"/v1/webhooks/{mine['id']}/deliveries/{delivery['id']}/retry",
        headers=gateway.auth("hub_a"),
    )
    assert retried.status_code == 202, retried.text
    await poll(lambda: len(receiver.events()) == 2, deadline=10, what="the redelivery")
    assert receiver.events()[1].id == own["id"]

    patched = await gateway.client.patch(
        f"/v1/webhooks/{mine['id']}", json={"description": "members"}, headers=gateway.auth("hub_a")
    )
    assert patched.status_code == 200 and patched.json()["description"] == "members"
    deleted = await gateway.client.delete(
        f"/v1/webhooks/{mine['id']}", headers=gateway.auth("hub_a")
    )
    assert deleted.status_code == 204


async def test_private_urls_are_refused_and_bad_bodies_named(gateway: Gateway) -> None:
    for url in ("http://169.254.169.254/latest", "http://10.0.0.8/hook", "ftp://example.eu/x"):
        response = await gateway.client.post(
            "/v1/webhooks",
            json={"url": url, "events": ["profile.created"]},
            headers=gateway.auth("hub_a"),
        )
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    unknown = await gateway.client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.eu/x", "events": ["profile.exploded"]},
        headers=gateway.auth("hub_a"),
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"].startswith("events.0")


async def test_alerts_are_per_hub(gateway: Gateway) -> None:
    body = {"text": "laser welding", "filters": {"countries": ["DE"]}, "top_k": 5}
    created = await gateway.client.post("/v1/alerts", json=body, headers=gateway.auth("hub_a"))
    assert created.status_code == 201, created.text
    alert = created.json()
    assert alert["filters"]["countries"] == ["DE"] and alert["top_k"] == 5
    path = f"/v1/alerts/{alert['id']}"
    assert (await gateway.client.get(path, headers=gateway.auth("hub_a"))).json() == alert
    assert (await gateway.client.get(path, headers=gateway.auth("hub_b"))).status_code == 404
    listed = await gateway.client.get("/v1/alerts", headers=gateway.auth("hub_b"))
    assert listed.json()["count"] == 0
    matches = await gateway.client.get(f"{path}/matches?after=0", headers=gateway.auth("hub_a"))
    assert matches.status_code == 200 and matches.json()["data"] == []
    bad = await gateway.client.post(
        "/v1/alerts", json={"text": "x", "profile_id": 1}, headers=gateway.auth("hub_a")
    )
    assert bad.status_code == 422 and "exactly one" in bad.json()["error"]["message"]
    assert (await gateway.client.delete(path, headers=gateway.auth("hub_b"))).status_code == 404
    assert (await gateway.client.delete(path, headers=gateway.auth("hub_a"))).status_code == 204
    assert (await gateway.client.get(path, headers=gateway.auth("hub_a"))).status_code == 404
