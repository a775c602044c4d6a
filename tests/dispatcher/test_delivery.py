"""Delivery through the dispatcher's internal API to a real receiver on loopback: signatures,
order, outages, the retry window, slow receivers, private addresses, hubs kept apart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from services.profiles.app import create_app as create_profiles_app
from services.profiles.config import ProfilesSettings
from tests.dispatcher.conftest import running
from tests.dispatcher.receiver import Receiver, poll
from tests.factories import profile_payload

pytestmark = pytest.mark.anyio

ALL_PROFILE_EVENTS = ["profile.created", "profile.updated", "profile.deleted"]
HUB_A = {"X-Crosslink-Hub": "hub-a"}


async def test_events_are_signed_public_and_verify_with_the_library(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    async with running(tmp_path, database_url) as stack:
        sub = await stack.subscribe("hub-a", receiver.url, events=ALL_PROFILE_EVENTS)
        assert sub["secret"].startswith("whsec_")
        profile = await stack.write("hub-a", profile_payload())
        await stack.write("hub-b", profile_payload())  # not hub-a's: an `own` scope skips it
        pid = profile["id"]
        await poll(lambda: len(receiver.events()) == 1, deadline=10, what="the create")
        changed = await stack.profiles.patch(
            f"/profiles/{pid}", json={"city": "Chemnitz"}, headers={"X-Crosslink-Owner": "hub-a"}
        )
        assert changed.status_code == 200
        await poll(lambda: len(receiver.events()) == 2, deadline=10, what="the update")
        gone = await stack.profiles.delete(
            f"/profiles/{pid}", headers={"X-Crosslink-Owner": "hub-a"}
        )
        assert gone.status_code == 204

        await poll(lambda: len(receiver.events()) >= 3, deadline=10, what="the delete")
        events = [r.verify(sub["secret"]) for r in receiver.events()]
        assert [e["type"] for e in events] == ALL_PROFILE_EVENTS
        assert {e["data"]["profile_id"] for e in events} == {pid}
        assert events[1]["data"]["profile"]["city"] == "Chemnitz"
        assert events[2]["data"]["profile"] is None
        assert [r.id for r in receiver.events()] == [e["id"] for e in events]
        assert all(
            b"contact" not in r.body and b"@example.eu" not in r.body for r in receiver.events()
        )
        with pytest.raises(Exception, match="signature"):
            receiver.events()[0].verify("whsec_" + "A" * 32)

        # The secret is shown once: neither GET nor the list repeats it.
        one = await stack.get("hub-a", f"/webhooks/{sub['id']}")
        assert "secret" not in one and one["url"] == receiver.url

        async def all_delivered() -> dict[str, Any] | None:
            body = await stack.get("hub-a", f"/webhooks/{sub['id']}/deliveries")
            return body if all(d["status"] == "delivered" for d in body["data"]) else None

        deliveries = await poll(all_delivered, deadline=5, what="three deliveries recorded")
        assert deliveries["count"] == 3
        attempt = deliveries["data"][0]["attempts"][0]
        assert attempt["status_code"] == 204 and attempt["error"] is None
        assert attempt["latency_ms"] > 0


async def test_changes_faster_than_the_feed_is_read_arrive_as_one_event_with_the_latest_data(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    """The feed keeps each profile's latest entry only (erasure), so what changed while the
    dispatcher was away arrives as the latest state: a create, never an update of a profile
    the receiver has not heard of, and nothing of a profile that came and went meanwhile."""
    profiles_app = create_profiles_app(
        ProfilesSettings(database_url=database_url, data_dir=tmp_path, demo_data=False)
    )
    async with profiles_app.router.lifespan_context(profiles_app):
        async with running(tmp_path, database_url, profiles_app=profiles_app) as stack:
            sub = await stack.subscribe("hub-a", receiver.url, events=ALL_PROFILE_EVENTS)
        # The dispatcher is away: a profile created and moved, another created and deleted.
        owner = {"X-Crosslink-Owner": "hub-a"}
        transport = httpx.ASGITransport(app=profiles_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profiles") as profiles:
            created = await profiles.post("/profiles", json=profile_payload(), headers=owner)
            pid = created.json()["id"]
            moved = await profiles.patch(
                f"/profiles/{pid}", json={"city": "Chemnitz"}, headers=owner
            )
            assert moved.status_code == 200
            brief = (await profiles.post("/profiles", json=profile_payload(), headers=owner)).json()
            assert (await profiles.delete(f"/profiles/{brief['id']}", headers=owner)).is_success
        async with running(tmp_path, database_url, profiles_app=profiles_app) as stack:
            later = await stack.write("hub-a", profile_payload())
            await poll(lambda: len(receiver.events()) >= 2, deadline=10, what="two creates")
            events = [r.verify(sub["secret"]) for r in receiver.events()]
            assert [(e["type"], e["data"]["profile_id"]) for e in events] == [
                ("profile.created", pid),
                ("profile.created", later["id"]),
            ]
            assert events[0]["data"]["profile"]["city"] == "Chemnitz"


async def test_an_idle_dispatcher_holds_one_call_to_the_feed_and_a_write_still_arrives_at_once(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    profiles_app = create_profiles_app(
        ProfilesSettings(database_url=database_url, data_dir=tmp_path, demo_data=False)
    )
    feed_calls: list[bytes] = []

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/changes":
            feed_calls.append(scope["query_string"])
        await profiles_app(scope, receive, send)

    async with profiles_app.router.lifespan_context(profiles_app):
        async with running(tmp_path, database_url, profiles_app=counted, feed_wait=25) as stack:
            await stack.subscribe("hub-a", receiver.url)
            await poll(lambda: feed_calls, deadline=5, what="the first call to the feed")
            await anyio.sleep(1.5)  # idle: the poll interval is 0.02 s, so polling would be ~75
            assert len(feed_calls) <= 3, feed_calls
            assert b"wait=25" in feed_calls[-1]
            written = time.monotonic()
            await stack.write("hub-a", profile_payload())
            await poll(lambda: receiver.events(), deadline=5, what="the delivery")
            assert receiver.events()[0].at - written < 2.0


async def test_receiver_down_for_a_while_then_everything_arrives_in_order(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    async with running(tmp_path, database_url) as stack:
        sub = await stack.subscribe("hub-a", receiver.url)
        receiver.stop()
        written = [(await stack.write("hub-a", profile_payload()))["id"] for _ in range(6)]

        async def failing() -> bool:
            body = await stack.get("hub-a", f"/webhooks/{sub['id']}/deliveries")
            oldest = body["data"][-1]
            return len(oldest["attempts"]) >= 3 and oldest["attempts"][-1]["status_code"] is None

        await poll(failing, deadline=10, what="the first delivery to fail several times")
        receiver.start()
        await poll(
            lambda: len(receiver.events()) >= 6, deadline=15, what="all six after the outage"
        )
        events = [r.verify(sub["secret"]) for r in receiver.events()]
        assert [e["data"]["profile_id"] for e in events] == written
        assert len({e["id"] for e in events}) == 6
        body = await stack.get("hub-a", f"/webhooks/{sub['id']}")
        assert body["enabled"] is True


async def test_retry_window_passed_disables_the_subscription_with_the_reason(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    async with running(tmp_path, database_url, retry_window=0.6) as stack:
        receiver.status = 500
        sub = await stack.subscribe("hub-a", receiver.url)
        await stack.write("hub-a", profile_payload())

        async def disabled() -> dict[str, object] | None:
            body = await stack.get("hub-a", f"/webhooks/{sub['id']}")
            return None if body["enabled"] else body

        body = await poll(disabled, deadline=10, what="the subscription to be disabled")
        assert "retry window" in body["disabled_reason"]
        assert "answered 500" in body["disabled_reason"]
        deliveries = await stack.get("hub-a", f"/webhooks/{sub['id']}/deliveries")
        (delivery,) = deliveries["data"]
        assert delivery["status"] == "failed"
        assert len(delivery["attempts"]) >= 2
        assert {a["status_code"] for a in delivery["attempts"]} == {500}

        # Retrying needs the subscription enabled again; then it goes through, same event id.
        url = f"/webhooks/{sub['id']}/deliveries/{delivery['id']}/retry"
        refused = await stack.dispatcher.post(url, headers=HUB_A)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "conflict"
        receiver.status = 204
        enabled = await stack.dispatcher.patch(
            f"/webhooks/{sub['id']}", json={"enabled": True}, headers=HUB_A
        )
        assert enabled.status_code == 200 and enabled.json()["disabled_reason"] is None
        await poll(lambda: receiver.events(), deadline=10, what="the requeued delivery")
        assert receiver.events()[0].id == delivery["event_id"]

        async def recorded() -> bool:
            body = await stack.get("hub-a", f"/webhooks/{sub['id']}/deliveries")
            return bool(body["data"][0]["status"] == "delivered")

        await poll(recorded, deadline=5, what="the delivery to be recorded")
        again = await stack.dispatcher.post(url, headers=HUB_A)
        assert again.status_code == 202, again.text
        await poll(lambda: len(receiver.events()) == 2, deadline=10, what="the manual redelivery")
        assert receiver.events()[1].id == delivery["event_id"]


async def test_a_slow_receiver_never_holds_up_another(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    slow = Receiver().start()
    slow.delay = 1.0
    try:
        async with running(tmp_path, database_url) as stack:
            await stack.subscribe("hub-a", slow.url)
            await stack.subscribe("hub-a", receiver.url)
            for _ in range(3):
                await stack.write("hub-a", profile_payload())
            await poll(lambda: len(receiver.events()) == 3, deadline=2.5, what="the fast receiver")
            assert len(slow.events()) <= 2
            await poll(lambda: len(slow.events()) == 3, deadline=10, what="the slow receiver")
    finally:
        slow.stop()


async def test_test_event_and_redirects_are_not_followed(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    async with running(tmp_path, database_url) as stack:
        sub = await stack.subscribe("hub-a", receiver.url)
        queued = await stack.dispatcher.post(f"/webhooks/{sub['id']}/test", headers=HUB_A)
        assert queued.status_code == 202 and queued.json()["event_type"] == "webhook.test"
        await poll(lambda: receiver.events("webhook.test"), deadline=5, what="the test event")
        assert receiver.events()[0].verify(sub["secret"])["id"] == queued.json()["event_id"]

        target = Receiver().start()  # where the redirect points; it must never be called
        try:
            receiver.status, receiver.location = 307, target.url
            await stack.dispatcher.post(f"/webhooks/{sub['id']}/test", headers=HUB_A)

            async def redirect_failed() -> bool:
                body = await stack.get("hub-a", f"/webhooks/{sub['id']}/deliveries")
                attempts = body["data"][0]["attempts"]
                return bool(attempts) and "redirect" in (attempts[0]["error"] or "")

            await poll(redirect_failed, deadline=5, what="the redirect to count as a failure")
            assert target.events() == []
        finally:
            target.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_private_addresses_are_refused(tmp_path: Path, database_url: str, url: str) -> None:
    async with running(tmp_path, database_url, webhook_allow=[]) as stack:
        response = await stack.dispatcher.post(
            "/webhooks", json={"url": url, "events": ["profile.created"]}, headers=HUB_A
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert (
            "private address" in error["message"] and "CROSSLINK_WEBHOOK_ALLOW" in error["message"]
        )


async def test_hubs_see_only_their_own_subscriptions(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    async with running(tmp_path, database_url) as stack:
        mine = await stack.subscribe("hub-a", receiver.url)
        theirs = await stack.subscribe("hub-b", receiver.url, scope="all")
        listed = await stack.get("hub-a", "/webhooks")
        assert [w["id"] for w in listed["data"]] == [mine["id"]]
        hub_b = {"X-Crosslink-Hub": "hub-b"}
        for method, path in [
            ("GET", f"/webhooks/{mine['id']}"),
            ("PATCH", f"/webhooks/{mine['id']}"),
            ("DELETE", f"/webhooks/{mine['id']}"),
            ("GET", f"/webhooks/{mine['id']}/deliveries"),
            ("POST", f"/webhooks/{mine['id']}/test"),
        ]:
            kwargs = {"json": {"description": "x"}} if method == "PATCH" else {}
            response = await stack.dispatcher.request(method, path, headers=hub_b, **kwargs)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
        deleted = await stack.dispatcher.delete(f"/webhooks/{theirs['id']}", headers=hub_b)
        assert deleted.status_code == 204
        assert (await stack.get("hub-b", "/webhooks"))["count"] == 0
