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


async def test_small_regions_are_marked_and_get_no_label(gw: Stack) -> None:
    """An index on a handful of organisations is not a specialisation: `small`, no label."""
    default = (await gw.client.get("/v1/map/competences", params={"level": "country"})).json()
    assert default["small_below"] == 5
    for cell in default["data"]:
        assert cell["small"] == (cell["region_total"] < 5), cell
        assert (cell["specialisation_label"] is None) == cell["small"], cell
    austria = [c for c in default["data"] if c["region"] == "AT"]
    assert austria and not austria[0]["small"]  # Austria has more than five organisations
    one = [c for c in default["data"] if c["region_total"] == 1]
    assert one and all(c["small"] and c["specialisation"] >= 1 for c in one)
    strict = await gw.client.get(
        "/v1/map/competences", params={"level": "nuts2", "small_below": 1, "format": "csv"}
    )
    assert strict.status_code == 200
    rows = list(csv.DictReader(io.StringIO(strict.text)))
    assert rows and all(r["small"] == "false" and r["specialisation_label"] for r in rows)
    strongest = max(rows, key=lambda r: float(r["specialisation"]))
    assert float(strongest["specialisation"]) >= 2
    assert strongest["specialisation_label"] == "strongly specialised"
    bad = await gw.client.get("/v1/map/competences", params={"small_below": 0})
    assert bad.status_code == 422 and "small_below" in bad.text


async def test_fields_are_named_by_a_phrase_not_a_bag_of_words(gw: Stack) -> None:
    fields = (await gw.client.get("/v1/fields")).json()["data"]
    assert fields
    for field in fields:
        label = field["label"]
        assert label and label[0].isupper() and ", " not in label, label
        words = [w.strip("()").casefold() for w in label.split()]
        assert not {w + "s" for w in words} & set(words), label  # not "career careers"
        assert len(field["terms"]) >= 2  # the characteristic terms are still there
    packaging = [f for f in fields if "packaging" in f["terms"]]
    assert packaging and "packaging" in packaging[0]["label"].casefold()
    cells = (await gw.client.get("/v1/map/competences", params={"level": "country"})).json()
    labels = {f["id"]: f["label"] for f in fields}
    assert all(c["field_label"] == labels[c["field"]] for c in cells["data"])
