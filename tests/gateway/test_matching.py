"""The match options read the same at the gateway as at the matcher (one model, models.matching)."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.conftest import Stack

pytestmark = pytest.mark.anyio


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["profile"]["id"] for r in response.json()["data"]]


async def test_profile_match_filters_repeated_or_comma_separated(stack: Stack) -> None:
    url = f"/v1/profiles/{stack.ids['gw-aluparts']}/matches"
    comma = await stack.client.get(url, params={"kinds": "research,sme", "limit": 20})
    repeated = await stack.client.get(
        url, params=[("kinds", "research"), ("kinds", "sme"), ("limit", "20")]
    )
    assert ids(comma) == ids(repeated)
    kinds = {r["profile"]["kind"] for r in comma.json()["data"]}
    assert kinds and kinds <= {"research", "sme"}
    only = await stack.client.get(url, params={"kinds": "research", "limit": 20})
    assert set(ids(only)) < set(ids(comma))


async def test_gateway_and_matcher_answer_the_same_options_alike(stack: Stack) -> None:
    profile_id = stack.ids["gw-aluparts"]
    params = {"countries": "DE,FR", "kinds": "research, sme", "limit": "5", "offset": "1"}
    through = await stack.client.get(f"/v1/profiles/{profile_id}/matches", params=params)
    async with httpx.AsyncClient(transport=stack.matcher, base_url="http://matcher") as matcher:
        direct = await matcher.get(f"/profiles/{profile_id}/matches", params=params)
        bad_direct = await matcher.get(f"/profiles/{profile_id}/matches?kinds=sme,robot")
    assert ids(through) == ids(direct) and len(ids(through)) <= 5
    assert {r["profile"]["country"] for r in through.json()["data"]} <= {"DE", "FR"}
    bad = await stack.client.get(f"/v1/profiles/{profile_id}/matches?kinds=sme,robot")
    assert bad.status_code == bad_direct.status_code == 422
    assert bad.json()["error"] == bad_direct.json()["error"]
    assert bad.json()["error"]["message"].startswith("query.kinds.1: ")
