"""Cluster intelligence through the gateway: /v1 passes the matcher's figures on unchanged,
renders the CSV export, and answers malformed input and unknown profiles in the error shape."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import PROFILES, Stack

pytestmark = pytest.mark.anyio


async def from_matcher(stack: Stack, url: str, **params: Any) -> Any:
    async with httpx.AsyncClient(transport=stack.matcher, base_url="http://matcher") as client:
        response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_fields_and_map_are_the_matchers(gw: Stack) -> None:
    response = await gw.client.get("/v1/fields")
    assert response.status_code == 200, response.text
    fields = response.json()
    assert fields["count"] >= 2 and fields["profiles"] == len(PROFILES)
    assert fields == await from_matcher(gw, "/fields")
    response = await gw.client.get("/v1/map/competences", params={"level": "country"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == await from_matcher(gw, "/map/competences", level="country")
    austria = {c["region_total"] for c in body["data"] if c["region"] == "AT"}
    assert austria == {sum(p["country"] == "AT" for p in PROFILES)}
    for cell in body["data"]:
        expected = (cell["count"] / cell["region_total"]) / (cell["field_total"] / cell["total"])
        assert cell["specialisation"] == pytest.approx(expected, abs=1e-4)


async def test_map_csv_export(gw: Stack) -> None:
    response = await gw.client.get(
        "/v1/map/competences", params={"level": "nuts2", "kind": "cluster", "format": "csv"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    clusters = {p["region"][:4] for p in PROFILES if p["kind"] == "cluster"}
    assert {r["region"] for r in rows} == clusters
    assert all(r["total"] == str(len(clusters)) for r in rows)


async def test_bridges_and_potential_pass_through(gw: Stack) -> None:
    response = await gw.client.get("/v1/bridges", params={"limit": 5, "min_distance": 0.1})
    assert response.status_code == 200, response.text
    assert response.json() == await from_matcher(gw, "/bridges", limit=5, min_distance=0.1)
    biopack = gw.ids["gw-biopack"]
    response = await gw.client.get(f"/v1/clusters/{biopack}/potential")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile"]["name"] == next(
        p["name"] for p in PROFILES if p["external_id"] == "gw-biopack"
    )
    assert body["region"] == "ES51" and body["fields"]
    assert all(p["profile"]["kind"] == "cluster" for p in body["peers"])
    assert all(p["profile"]["region"][:4] != "ES51" for p in body["peers"])


@pytest.mark.parametrize(
    ("url", "params", "status", "code"),
    [
        ("/v1/map/competences", {"level": "nuts9"}, 422, "invalid_input"),
        ("/v1/map/competences", {"field": "F999"}, 422, "invalid_input"),
        ("/v1/bridges", {"to_region": "ZZ"}, 422, "invalid_input"),
        ("/v1/bridges", {"limit": "lots"}, 422, "invalid_input"),
        ("/v1/clusters/0/potential", {}, 422, "invalid_input"),
        ("/v1/clusters/2147483000/potential", {}, 404, "not_found"),
    ],
)
async def test_malformed_and_unknown(
    gw: Stack, url: str, params: dict[str, str], status: int, code: str
) -> None:
    response = await gw.client.get(url, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
