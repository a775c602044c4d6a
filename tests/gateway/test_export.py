"""`GET /v1/profiles/export`: streamed through the gateway, contacts only for the owner's
profiles or with the `contacts` scope, the list filters, the one error shape, and an export
that `crosslink import` reads back into an empty database as the same profiles."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crosslink.cli import app as cli
from models.profiles import ProfileCreate
from tests.databases import fresh_database
from tests.factories import profile_payload
from tests.gateway.conftest import PROFILES, Stack

pytestmark = pytest.mark.anyio

EXPORT = "/v1/profiles/export"
OURS = {p["external_id"] for p in PROFILES}  # hub-a's, each with a contact


async def export(stack: Stack, who: str | None = None, **params: Any) -> list[dict[str, Any]]:
    headers = stack.auth(who) if who else {}
    response = await stack.client.get(EXPORT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert "content-length" not in response.headers  # streamed, not buffered into one body
    return [json.loads(line) for line in response.text.splitlines()]


async def listed(stack: Stack, **params: Any) -> list[str | None]:
    """external_ids of `GET /v1/profiles` with these filters, every page."""
    found: list[str | None] = []
    cursor = None
    while True:
        page_params = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await stack.client.get("/v1/profiles", params=page_params)).json()
        found += [p["external_id"] for p in page["data"]]
        if not (cursor := page["next_cursor"]):
            return found


@pytest.mark.parametrize(
    ("who", "sees"),
    [(None, "none"), ("reader", "none"), ("hub_b", "own"), ("hub_a", "own"), ("contacts", "all")],
)
async def test_contacts_only_for_the_owner_or_with_the_contacts_scope(
    stack: Stack, who: str | None, sees: str
) -> None:
    theirs = profile_payload(city="Brno", country="CZ", region="CZ06")
    created = await stack.client.post("/v1/profiles", json=theirs, headers=stack.auth("hub_b"))
    assert created.status_code == 201, created.text
    try:
        records = {p["external_id"]: p for p in await export(stack, who)}
    finally:  # the session's stack keeps its dataset: later suites count its profiles
        path = f"/v1/profiles/{created.json()['id']}"
        deleted = await stack.client.delete(path, headers=stack.auth("hub_b"))
        assert deleted.status_code == 204, deleted.text
    assert OURS <= set(records) and theirs["external_id"] in records
    hub = {"hub_a": "hub-a", "hub_b": "hub-b"}.get(who or "")
    for external_id, record in records.items():
        owner = "hub-b" if external_id == theirs["external_id"] else None
        if external_id in OURS:
            owner = "hub-a"
        if owner is None:
            continue  # profiles other tests made: their owner is not known here
        expected = sees == "all" or (sees == "own" and owner == hub)
        assert (record["contact"] is not None) is expected, (who, external_id)
    if sees == "all":
        assert records["gw-lasertec"]["contact"]["email"] == "gw-lasertec@example.eu"


async def test_the_list_filters_narrow_the_export(stack: Stack) -> None:
    everything = [p["external_id"] for p in await export(stack)]
    assert everything == await listed(stack)
    for params in (
        {"country": "DE"},
        {"kind": ["research", "cluster"]},
        {"region": "DED"},
        {"owner": "hub-a", "country": "IT"},
        {"q": "laser"},
    ):
        narrowed = [p["external_id"] for p in await export(stack, **params)]
        assert narrowed == await listed(stack, **params), params
        assert 0 < len(narrowed) < len(everything), params


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"format": "xml"}, "'jsonl' or 'csv'"),
        ({"country": "ZZ"}, "country 'ZZ' is not an ISO 3166-1 alpha-2 code"),
        ({"region": "XX9"}, "region 'XX9' is not a NUTS code"),
        ({"kind": "bogus"}, "kind"),
        ({"q": "x" * 201}, "q"),
    ],
)
async def test_a_bad_export_query_gets_the_one_error_shape(
    stack: Stack, params: dict[str, str], mentions: str
) -> None:
    response = await stack.client.get(EXPORT, params=params)
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error"}
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and mentions in error["message"]
    assert set(error) == {"code", "message", "details"}


async def test_a_csv_export_imports_into_an_empty_database_as_the_same_profiles(
    stack: Stack, tmp_path: Path
) -> None:
    response = await stack.client.get(
        EXPORT, params={"format": "csv", "owner": "hub-a"}, headers=stack.auth("contacts")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="crosslink-profiles.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["external_id"] for row in rows} >= OURS
    path = tmp_path / "hub-a.csv"
    path.write_bytes(response.content)
    with fresh_database(tmp_path, "test_gw_copy") as url:
        env = {"CROSSLINK_DATABASE_URL": url}
        args = ["import", str(path), "--owner", "hub-a", "--no-progress"]
        imported = CliRunner().invoke(cli, args, env=env)
        assert imported.exit_code == 0, imported.output
        assert f"created {len(rows)}, updated 0" in imported.output
        again = CliRunner().invoke(cli, ["export", "--contacts"], env=env)
        assert again.exit_code == 0, again.output
    copied = [json.loads(line) for line in again.stdout.splitlines()]
    by_external_id = {p["external_id"]: p for p in copied}
    for profile in PROFILES:
        path = f"/v1/profiles/{stack.ids[profile['external_id']]}"
        original = (await stack.client.get(path, headers=stack.auth("contacts"))).json()
        fields = {name: original[name] for name in ProfileCreate.model_fields}
        assert fields == by_external_id[profile["external_id"]], profile["external_id"]


async def test_the_export_is_in_the_openapi_document(stack: Stack) -> None:
    document = (await stack.client.get("/openapi.json")).json()
    operation = document["paths"][EXPORT]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/x-ndjson", "text/csv"}
    names = {p["name"] for p in operation["parameters"]}
    assert {"format", "kind", "country", "region", "sector", "owner", "q"} <= names
    assert not names & {"include_contact", "contacts_owner"}  # the service's, not the caller's


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_other_methods_on_the_export_are_405_not_a_bad_profile_id(
    stack: Stack, method: str
) -> None:
    response = await stack.client.request(method, EXPORT, headers=stack.auth("hub_a"))
    assert response.status_code == 405, response.text
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD"
