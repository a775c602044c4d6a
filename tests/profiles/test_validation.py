"""Every field's validation, through HTTP, with the exact message."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import profile_payload

CASES: list[tuple[str, Any, str]] = [
    ("name", "", "name: String should have at least 1 character"),
    ("name", "x" * 301, "name: String should have at most 300 characters"),
    ("name", "a\x00b", "name: contains a NUL character (\\u0000), which is not accepted in text"),
    (
        "kind",
        "startup",
        "kind: Input should be 'sme', 'research', 'cluster', 'company', 'public' or 'other'",
    ),
    (
        "country",
        "XX",
        "country: country 'XX' is not an ISO 3166-1 alpha-2 code; expected e.g. 'DE', 'EL' or 'UK'",
    ),
    ("region", "XX9", "region: region 'XX9' is not a NUTS code; expected e.g. 'DED2'"),
    (
        "region",
        "FR10",
        "request: region 'FR10' lies in country 'FR', not in 'DE'; "
        "the region's first two letters must be the country",
    ),
    ("city", "x" * 201, "city: String should have at most 200 characters"),
    ("description", "", "description: String should have at least 1 character"),
    ("description", "x" * 10_001, "description: String should have at most 10000 characters"),
    ("offers", ["x" * 1001], "offers.0: String should have at most 1000 characters"),
    ("offers", ["a"] * 51, "offers: List should have at most 50 items after validation, not 51"),
    ("needs", [""], "needs.0: String should have at least 1 character"),
    ("keywords", ["x" * 101], "keywords.0: String should have at most 100 characters"),
    (
        "sectors",
        ["Z99"],
        "sectors.0: sector 'Z99' is not a NACE Rev. 2 code; expected e.g. 'C25' or 'C25.11'",
    ),
    (
        "languages",
        ["english"],
        "languages.0: language 'english' is not an ISO 639 code; expected e.g. 'en' or 'deu'",
    ),
    ("website", "not a url", "website: Input should be a valid URL, relative URL without a base"),
    ("partners", [""], "partners.0: String should have at least 1 character"),
    ("external_id", "", "external_id: String should have at least 1 character"),
    (
        "contact",
        {"email": "nope"},
        "contact.email: value is not a valid email address: An email address must have an @-sign.",
    ),
    (
        "contact",
        {"phone": "call me"},
        "contact.phone: String should match pattern '^[0-9+()./\\- ]{3,50}$'",
    ),
    ("contact", {"fax": "1"}, "contact.fax: Extra inputs are not permitted"),
    ("colour", "red", "colour: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_create_rejects_invalid_field(
    profiles_client: TestClient, field: str, value: Any, message: str
) -> None:
    payload = profile_payload(country="DE", region="DED2")
    payload[field] = value
    response = profiles_client.post("/profiles", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == message
    assert profiles_client.get("/profiles").json()["count"] == 0


@pytest.mark.parametrize("field", ["name", "kind", "country", "description"])
def test_required_fields(profiles_client: TestClient, field: str) -> None:
    payload = profile_payload()
    del payload[field]
    response = profiles_client.post("/profiles", json=payload)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == f"{field}: Field required"


def test_normalises_codes(profiles_client: TestClient) -> None:
    payload = profile_payload(
        country="gr", region="el30", sectors=["25.11", "m72"], languages=["EN"], name="  Lab  "
    )
    response = profiles_client.post("/profiles", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["country"], body["region"], body["name"]) == ("EL", "EL30", "Lab")
    assert body["sectors"] == ["C25.11", "M72"]
    assert body["languages"] == ["en"]
    assert body["region_name"] and body["country_name"] == "Greece"


def test_world_countries_without_region(profiles_client: TestClient) -> None:
    response = profiles_client.post("/profiles", json=profile_payload(country="JP", region=None))
    assert response.status_code == 201
    assert response.json()["country_name"] == "Japan"


def test_patch_validates_the_merged_profile(profiles_client: TestClient) -> None:
    created = profiles_client.post("/profiles", json=profile_payload(country="DE", region="DED2"))
    url = f"/profiles/{created.json()['id']}"
    response = profiles_client.patch(url, json={"country": "FR"})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "request: region 'DED2' lies in country 'DE', not in 'FR'; "
        "the region's first two letters must be the country"
    )
    response = profiles_client.patch(url, json={"name": None})
    assert response.json()["error"]["message"] == (
        "name: may not be null; send a value or leave the field out"
    )
    response = profiles_client.patch(url, json={"sectors": ["Q99"]})
    assert response.json()["error"]["message"] == (
        "sectors.0: sector 'Q99' is not a NACE Rev. 2 code; expected e.g. 'C25' or 'C25.11'"
    )
    assert profiles_client.get(url).json()["version"] == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "query.limit: Input should be greater than or equal to 1"),
        ("limit=501", "query.limit: Input should be less than or equal to 500"),
        ("cursor=zzz", "cursor 'zzz' is not valid; pass the next_cursor of a previous page"),
        ("ids=1,a", "ids: 'a' is not a profile id; expected e.g. 'ids=3,17,42'"),
        (
            "kind=startup",
            "query.kind.0: Input should be 'sme', 'research', 'cluster', 'company', "
            "'public' or 'other'",
        ),
        ("region=XX9", "query.region.0: region 'XX9' is not a NUTS code; expected e.g. 'DED2'"),
        (
            "sector=Z99",
            "query.sector.0: sector 'Z99' is not a NACE Rev. 2 code; "
            "expected e.g. 'C25' or 'C25.11'",
        ),
    ],
)
def test_list_rejects_bad_query(profiles_client: TestClient, query: str, message: str) -> None:
    response = profiles_client.get(f"/profiles?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after=-1", "query.after: Input should be greater than or equal to 0"),
        ("limit=1001", "query.limit: Input should be less than or equal to 1000"),
    ],
)
def test_changes_rejects_bad_query(profiles_client: TestClient, query: str, message: str) -> None:
    response = profiles_client.get(f"/changes?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == message
