"""Issue 19, gateway side: limits before parsing, idempotent POSTs, plan quotas, safe CSV,
an OpenAPI document that tells the truth, ids that are not booleans."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from models import intel as wire
from models.tabular import csv_text, safe_cell
from tests.factories import profile_payload
from tests.gateway.conftest import Stack, wait_for_intel

pytestmark = pytest.mark.anyio

TWENTY_MB = 20 * 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture
async def created(stack: Stack) -> AsyncIterator[list[tuple[int, str]]]:
    """Profiles a test creates, deleted afterwards: the session's stack (and the intelligence
    other modules assert on) keeps exactly its dataset."""
    made: list[tuple[int, str]] = []
    yield made
    for profile_id, hub in made:
        response = await stack.client.delete(f"/v1/profiles/{profile_id}", headers=stack.auth(hub))
        assert response.status_code in (204, 404), response.text


class CountingBody:
    """A streamed request body that records how much of it the server pulled."""

    def __init__(self, total: int):
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK


async def test_an_anonymous_20_mb_write_is_refused_unread(stack: Stack) -> None:
    body = CountingBody(TWENTY_MB)
    response = await stack.client.post(
        "/v1/profiles", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert body.sent <= CHUNK  # nothing (at most the first chunk in flight) was read

    announced = await stack.client.post(
        "/v1/profiles/bulk",
        content=b"[" + b" " * (TWENTY_MB + 1024) + b"]",
        headers=stack.auth("hub_a"),
    )
    assert announced.status_code == 413, announced.text
    error = announced.json()["error"]
    assert error["code"] == "payload_too_large" and error["details"]["limit_bytes"] > 0


async def test_a_streamed_body_over_the_limit_stops_at_the_limit(stack: Stack) -> None:
    body = CountingBody(TWENTY_MB)
    response = await stack.client.post(
        "/v1/profiles",
        content=body,
        headers={**stack.auth("hub_a"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    limit = stack.gateway.state.services.settings.max_body_bytes
    assert error["code"] == "payload_too_large" and str(limit) in error["message"]
    assert body.sent <= limit + 2 * CHUNK  # it stopped reading at the limit


async def test_a_lost_create_retried_with_its_key_yields_one_profile(
    stack: Stack, created: list[tuple[int, str]]
) -> None:
    key = str(uuid.uuid4())
    payload = profile_payload(name=f"Idempotent GmbH {key[:8]}")
    headers = {**stack.auth("hub_a"), "Idempotency-Key": key}
    first = await stack.client.post("/v1/profiles", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    created.append((first.json()["id"], "hub_a"))
    # The client "lost" that answer and retries with the same key.
    again = await stack.client.post("/v1/profiles", json=payload, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    listed = await stack.client.get("/v1/profiles", params={"q": payload["name"]})
    assert [p["id"] for p in listed.json()["data"]] == [first.json()["id"]]

    other = await stack.client.post(
        "/v1/profiles", json={**payload, "name": "Another body"}, headers=headers
    )
    assert other.status_code == 422
    assert "different request" in other.json()["error"]["message"]

    # Keys are per caller: hub-b's same key is a request of its own.
    theirs = await stack.client.post(
        "/v1/profiles",
        json={**payload, "external_id": f"b-{key}"},
        headers={**stack.auth("hub_b"), "Idempotency-Key": key},
    )
    assert theirs.status_code == 201, theirs.text
    created.append((theirs.json()["id"], "hub_b"))
    assert theirs.json()["id"] != first.json()["id"]


class LosesTheFirstCreateAnswer(httpx.AsyncBaseTransport):
    """The real profiles service behind a network that drops the answer of the first create,
    after the service committed it (as when the gateway times out on a slow commit)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/profiles" and not self.dropped:
            self.dropped += 1
            await response.aread()
            raise httpx.ReadTimeout("answer lost after the commit", request=request)
        return response


async def test_a_create_without_external_id_whose_answer_was_lost_is_made_once(
    stack: Stack, created: list[tuple[int, str]]
) -> None:
    key = str(uuid.uuid4())
    payload = profile_payload(name=f"Lost Answer SRL {key[:8]}")
    payload.pop("external_id", None)
    headers = {**stack.auth("hub_a"), "Idempotency-Key": key}
    lossy = LosesTheFirstCreateAnswer(stack.profiles)
    gateway = create_app(
        stack.settings(), profiles_transport=lossy, matcher_transports=[stack.matcher]
    )
    async with gateway.router.lifespan_context(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw3") as client:
            first = await client.post("/v1/profiles", json=payload, headers=headers)
            assert lossy.dropped == 1
            assert first.status_code == 504, first.text  # the client got no answer
            again = await client.post("/v1/profiles", json=payload, headers=headers)
    assert again.status_code == 201, again.text
    created.append((again.json()["id"], "hub_a"))
    listed = await stack.client.get("/v1/profiles", params={"q": payload["name"]})
    assert [p["id"] for p in listed.json()["data"]] == [again.json()["id"]]

    # Another hub's create with the same key is its own request, not a replay of hub-a's.
    theirs = await stack.client.post(
        "/v1/profiles", json=payload, headers={**stack.auth("hub_b"), "Idempotency-Key": key}
    )
    assert theirs.status_code == 201, theirs.text
    created.append((theirs.json()["id"], "hub_b"))
    assert theirs.json()["id"] != again.json()["id"]


async def test_idempotency_keys_survive_a_gateway_restart(
    stack: Stack, created: list[tuple[int, str]]
) -> None:
    key = str(uuid.uuid4())
    payload = profile_payload(name=f"Restart AG {key[:8]}")
    headers = {**stack.auth("hub_a"), "Idempotency-Key": key}
    first = await stack.client.post("/v1/profiles", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    created.append((first.json()["id"], "hub_a"))
    fresh = create_app(
        stack.settings(), profiles_transport=stack.profiles, matcher_transports=[stack.matcher]
    )
    async with fresh.router.lifespan_context(fresh):
        transport = httpx.ASGITransport(app=fresh)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw2") as client:
            again = await client.post("/v1/profiles", json=payload, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


async def test_untrusted_forwarded_for_is_ignored(stack: Stack) -> None:
    app = create_app(
        stack.settings(rate_limit_anonymous="5/minute"),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            statuses = [
                (
                    await client.get(
                        "/v1/fields", headers={"X-Forwarded-For": f"203.0.113.{i}, 10.0.0.{i}"}
                    )
                ).status_code
                for i in range(70)
            ]
    assert statuses.count(429) == 65, statuses  # one caller: 5 through, the rest limited


async def test_a_trusted_proxy_forwards_the_address(stack: Stack) -> None:
    app = create_app(
        stack.settings(rate_limit_anonymous="5/minute", trusted_proxies="198.51.100.7"),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            statuses = [
                (
                    await client.get("/v1/fields", headers={"X-Forwarded-For": f"203.0.113.{i}"})
                ).status_code
                for i in range(10)
            ]
    assert 429 not in statuses, statuses


async def test_anonymous_plans_are_bounded(stack: Stack) -> None:
    app = create_app(
        stack.settings(plan_quota="2/hour"),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    plan = {
        "target": "AT",
        "days": 1,
        "visits_per_day": 2,
        "delegation": [{"need": "testing of our solar modules in field trials", "name": "SunCo"}],
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("192.0.2.44", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            statuses = [
                (await client.post("/v1/visits/plan", json=plan)).status_code for _ in range(4)
            ]
            refused = await client.post("/v1/visits/plan", json=plan)
    assert statuses[:2] == [200, 200], statuses
    assert statuses[2:] == [429, 429]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "visit plans" in refused.json()["error"]["message"]

    tiny = create_app(
        stack.settings(max_plan_bytes=1_000),
        profiles_transport=stack.profiles,
        matcher_transports=[stack.matcher],
    )
    async with tiny.router.lifespan_context(tiny):
        transport = httpx.ASGITransport(app=tiny)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            big = await client.post("/v1/visits/plan", json=plan)
    assert big.status_code == 422 and "1000" in big.json()["error"]["message"]


def test_csv_cells_that_spreadsheets_run_are_neutralised() -> None:
    for dangerous in ('=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Lasertec") == "Lasertec" and safe_cell(-3) == "-3"
    rows = list(csv.reader(io.StringIO(csv_text(["name"], [["=cmd|' /C calc'!A0"]]))))
    assert rows == [["name"], ["'=cmd|' /C calc'!A0"]]


async def test_the_competence_csv_is_safe(stack: Stack) -> None:
    await wait_for_intel(stack)
    response = await stack.client.get("/v1/map/competences", params={"format": "csv"})
    assert response.status_code == 200
    served = wire.CompetenceMap.model_validate(
        (await stack.client.get("/v1/map/competences")).json()
    )
    assert served.data, "the competence map is empty; nothing to check"
    # The same rendering with an organisation named like a formula.
    evil = served.data[0].top[0].model_copy(update={"name": '=HYPERLINK("http://evil","x")'})
    cell = served.data[0].model_copy(update={"top": [evil], "field_label": "+41 22 000"})
    rows = list(csv.reader(io.StringIO(served.model_copy(update={"data": [cell]}).to_csv())))
    assert rows[1][3] == "'+41 22 000"
    assert rows[1][rows[0].index("top_organisations")] == '\'=HYPERLINK("http://evil","x")'
    for row in csv.reader(io.StringIO(response.text)):
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row


async def test_openapi_tells_the_truth(stack: Stack) -> None:
    document = (await stack.client.get("/openapi.json")).json()
    paths = document["paths"]
    assert {} in paths["/v1/profiles"]["get"]["security"]  # anonymous reads
    assert {} in paths["/v1/match"]["post"]["security"]
    assert {} not in paths["/v1/profiles"]["post"]["security"]  # writes need a key
    for path, item in paths.items():
        if not path.startswith("/v1"):
            continue
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "422", "429", "503", "504"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert {"400", "413"} <= codes, (method, path)
    assert "404" in paths["/v1/profiles/{profile_id}"]["get"]["responses"]
    cursor = next(p for p in paths["/v1/profiles"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["anyOf"][0]["maxLength"] == 100
    # A PATCH may leave the required fields out but not clear them: the schema allows no null.
    update = document["components"]["schemas"]["ProfileUpdate"]["properties"]
    for name in ("name", "kind", "country", "description"):
        assert "anyOf" not in update[name] and update[name].get("type") != "null", name
    assert {"type": "null"} in update["region"]["anyOf"]  # optional fields may be cleared

    not_allowed = await stack.client.put("/v1/profiles/1")
    assert not_allowed.status_code == 405
    assert set(not_allowed.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}
    assert not_allowed.json()["error"]["code"] == "method_not_allowed"


async def test_a_boolean_is_not_a_profile_id(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/match", json={"text": "laser welding", "seeker_id": False}
    )
    assert response.status_code == 422
    assert "seeker_id" in response.json()["error"]["message"]
