"""Malformed bodies, query strings and headers: never a 500, always the one error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio

KEY = "key"  # placeholder: replaced by a real write key
BIG = 2**63

CASES: list[tuple[str, str, dict[str, Any]]] = [
    # partner search bodies
    (
        "POST",
        "/v1/match",
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
    ),
    ("POST", "/v1/match", {"content": b"", "headers": {"Content-Type": "application/json"}}),
    ("POST", "/v1/match", {"json": None}),
    ("POST", "/v1/match", {"json": ["laser"]}),
    ("POST", "/v1/match", {"json": {"text": ""}}),
    ("POST", "/v1/match", {"json": {"text": "   "}}),
    ("POST", "/v1/match", {"json": {"text": 42}}),
    ("POST", "/v1/match", {"json": {"text": "x" * 10_001}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "limit": 0}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "limit": "ten"}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "limit": BIG}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "seeker_id": BIG}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "seeker_id": -1}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "seeker_id": 2_000_000_000}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "filters": {"regions": ["XX9"]}}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "filters": {"countries": ["ZZ"]}}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "filters": {"sectors": ["Z99"]}}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "filters": {"colour": "red"}}}),
    ("POST", "/v1/match", {"json": {"text": "laser", "filters": "none"}}),
    ("POST", "/v1/match", {"content": "laser", "headers": {"Content-Type": "text/plain"}}),
    (
        "POST",
        "/v1/match",
        {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}},
    ),
    # profile paths and query strings
    ("GET", "/v1/profiles/abc", {}),
    ("GET", "/v1/profiles/0", {}),
    ("GET", "/v1/profiles/-5", {}),
    ("GET", f"/v1/profiles/{BIG}", {}),
    ("GET", "/v1/profiles/1.5", {}),
    ("GET", "/v1/profiles?limit=0", {}),
    ("GET", "/v1/profiles?limit=abc", {}),
    ("GET", "/v1/profiles?limit=100000", {}),
    ("GET", "/v1/profiles?cursor=%%%garbage", {}),
    ("GET", "/v1/profiles?cursor=" + "A" * 150, {}),
    ("GET", "/v1/profiles?country=ZZ", {}),
    ("GET", "/v1/profiles?region=XX9", {}),
    ("GET", "/v1/profiles?kind=bogus", {}),
    ("GET", "/v1/profiles?sector=Z99", {}),
    ("GET", "/v1/profiles?ids=a,b", {}),
    ("GET", "/v1/profiles?ids=" + ",".join(["1"] * 600), {}),
    ("GET", "/v1/profiles?q=" + "x" * 300, {}),
    ("GET", "/v1/profiles?q=%00", {}),
    ("GET", "/v1/profiles?owner=a%00b", {}),
    ("GET", "/v1/profiles/1/matches?limit=1000", {}),
    ("GET", "/v1/profiles/1/matches?offset=-1", {}),
    ("GET", "/v1/profiles/1/matches?regions=XX9", {}),
    ("GET", "/v1/profiles/1/matches?kinds=nope", {}),
    ("GET", "/v1/profiles/1/matches?include_own_region=perhaps", {}),
    ("GET", f"/v1/profiles/{BIG}/matches", {}),
    ("GET", "/v1/profiles/2000000000/matches", {}),
    # vouchers
    ("POST", "/v1/vouchers/providers", {"json": {}}),
    ("POST", "/v1/vouchers/providers", {"json": {"need": "laser"}}),
    ("POST", "/v1/vouchers/providers", {"json": {"applicant_region": "DED2"}}),
    (
        "POST",
        "/v1/vouchers/providers",
        {"json": {"need": "laser", "profile_id": 1, "applicant_region": "DED2"}},
    ),
    ("POST", "/v1/vouchers/providers", {"json": {"need": "laser", "applicant_region": "XX"}}),
    ("POST", "/v1/vouchers/providers", {"json": {"need": "laser", "applicant_region": 7}}),
    ("POST", "/v1/vouchers/providers", {"json": {"profile_id": 0, "applicant_region": "DED2"}}),
    (
        "POST",
        "/v1/vouchers/providers",
        {"json": {"profile_id": 2_000_000_000, "applicant_region": "DED2"}},
    ),
    (
        "POST",
        "/v1/vouchers/providers",
        {"json": {"need": "x", "applicant_region": "DED2", "kinds": ["alien"]}},
    ),
    # visit plans
    ("POST", "/v1/visits/plan", {"json": {"delegation": [], "target": "AT"}}),
    ("POST", "/v1/visits/plan", {"json": {"delegation": [{"need": "x"}], "target": "ZZ"}}),
    ("POST", "/v1/visits/plan", {"json": {"delegation": [{"need": "x"}], "target": "XX9"}}),
    (
        "POST",
        "/v1/visits/plan",
        {"json": {"delegation": [{"need": "x"}], "target": "AT", "days": 0}},
    ),
    (
        "POST",
        "/v1/visits/plan",
        {"json": {"delegation": [{"need": "x"}], "target": "AT", "days": 6}},
    ),
    (
        "POST",
        "/v1/visits/plan",
        {"json": {"delegation": [{"need": "x"}], "target": "AT", "visits_per_day": 9}},
    ),
    ("POST", "/v1/visits/plan", {"json": {"delegation": [{}], "target": "AT"}}),
    (
        "POST",
        "/v1/visits/plan",
        {"json": {"delegation": [{"need": "x", "profile_id": 1}], "target": "AT"}},
    ),
    (
        "POST",
        "/v1/visits/plan",
        {"json": {"delegation": [{"profile_id": 2_000_000_000}], "target": "AT"}},
    ),
    ("POST", "/v1/visits/plan", {"json": {"delegation": [{"need": "x"}] * 21, "target": "AT"}}),
    (
        "POST",
        "/v1/visits/plan?format=pdf",
        {"json": {"delegation": [{"need": "x"}], "target": "AT"}},
    ),
    ("GET", "/v1/visits/does-not-exist", {}),
    ("GET", "/v1/visits/" + "a" * 300, {}),
    ("GET", "/v1/visits/%00", {}),
    ("GET", "/v1/visits/abc?format=pdf", {}),
    # batch (with a key)
    ("POST", "/v1/match/batch", {"json": {"queries": []}, "key": True}),
    ("POST", "/v1/match/batch", {"json": {"queries": "x"}, "key": True}),
    ("POST", "/v1/match/batch", {"json": {"queries": [{"text": "x"}], "limit": 0}, "key": True}),
    ("POST", "/v1/match/batch", {"json": {"queries": [{"text": "x"}], "extra": 1}, "key": True}),
    ("POST", "/v1/match/batch", {"json": [{"text": "x"}], "key": True}),
    # profile writes (with a key)
    ("POST", "/v1/profiles", {"json": {"name": "x"}, "key": True}),
    ("POST", "/v1/profiles", {"json": {"profile": 1}, "key": True}),
    (
        "POST",
        "/v1/profiles",
        {
            "json": {
                "name": "A",
                "kind": "sme",
                "country": "DE",
                "region": "ITC4",
                "description": "x",
            },
            "key": True,
        },
    ),
    (
        "POST",
        "/v1/profiles",
        {
            "json": {
                "name": "A\u0000B",
                "kind": "sme",
                "country": "DE",
                "description": "x",
                "contact": {"email": "not-an-email"},
            },
            "key": True,
        },
    ),
    ("PATCH", "/v1/profiles/1", {"json": {"kind": "alien"}, "key": True}),
    ("PATCH", "/v1/profiles/1", {"json": [], "key": True}),
    (
        "PATCH",
        "/v1/profiles/1",
        {"json": {"city": "X"}, "key": True, "headers": {"If-Match": "abc"}},
    ),
    ("DELETE", "/v1/profiles/abc", {"key": True}),
    ("POST", "/v1/profiles/bulk", {"content": b"{nope", "key": True}),
    ("POST", "/v1/profiles/bulk", {"content": b"", "key": True}),
    ("POST", "/v1/profiles/bulk", {"json": {"not": "a list"}, "key": True}),
    (
        "POST",
        "/v1/profiles/bulk",
        {"content": b"\xff\xfe", "key": True, "headers": {"Content-Type": "application/x-ndjson"}},
    ),
    (
        "POST",
        "/v1/profiles/bulk",
        {"content": b"a,b\n1,2", "key": True, "headers": {"Content-Type": "text/csv"}},
    ),
    # headers
    ("GET", "/v1/profiles", {"headers": {"Authorization": "Bearer " + "x" * 5000}}),
    ("GET", "/v1/profiles", {"headers": {"Authorization": "Token abc"}}),
    ("GET", "/v1/profiles", {"headers": {"Authorization": ""}}),
    ("GET", "/v1/profiles", {"headers": {"X-API-Key": b"\xc3\xa9\xff"}}),
    (
        "POST",
        "/v1/match",
        {"json": {"text": "laser"}, "headers": {"Content-Type": "application/xml"}},
    ),
    ("GET", "/v1/nothing-here", {}),
    ("PUT", "/v1/match", {}),
]


# Odd but harmless: answered normally, never with a 500.
ACCEPTED: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/match", {"json": {"text": "laser\u0000nul"}}),
    ("POST", "/v1/profiles/bulk", {"json": [1, "two", None], "key": True}),
    ("GET", "/v1/profiles", {"headers": {"X-Request-ID": "x" * 10_000}}),
    ("GET", "/v1/profiles", {"headers": {"X-Request-ID": b"\xc3\xa9t\xc3\xa9"}}),
]


async def send(stack: Stack, method: str, url: str, kwargs: dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    if kwargs.pop("key", False):
        kwargs["headers"] = {**stack.auth("hub_b"), **kwargs.get("headers", {})}
    return await stack.client.request(method, url, **kwargs)


@pytest.mark.parametrize(
    ("method", "url", "kwargs"), CASES, ids=[f"{m} {u[:60]}" for m, u, _ in CASES]
)
async def test_malformed_requests_get_a_4xx_in_the_error_shape(
    stack: Stack, method: str, url: str, kwargs: dict[str, Any]
) -> None:
    response = await send(stack, method, url, kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]


@pytest.mark.parametrize(
    ("method", "url", "kwargs"), ACCEPTED, ids=[f"{m} {u[:60]}" for m, u, _ in ACCEPTED]
)
async def test_odd_but_valid_requests_are_answered(
    stack: Stack, method: str, url: str, kwargs: dict[str, Any]
) -> None:
    response = await send(stack, method, url, kwargs)
    assert response.status_code == 200, response.text[:300]
    if url.endswith("bulk"):
        assert response.json()["rejected"] == 3
