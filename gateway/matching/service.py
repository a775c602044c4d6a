"""Partner search through the matchers; results carry public profile fields only."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from gateway.deps import Services
from gateway.upstream import expect
from models.matching import MatchesPublic, MatchOptions, MatchQuery, MatchRequest


def _public(body: Any) -> MatchesPublic:
    matches = expect(MatchesPublic, body, "matcher")
    for result in matches.data:
        result.profile.contact = None
    return matches


def _text_body(match_in: MatchRequest) -> bytes:
    return match_in.model_dump_json(exclude_unset=True).encode()


async def match_text(*, services: Services, match_in: MatchRequest) -> MatchesPublic:
    body = await services.matchers.json(
        "POST", "/match", content=_text_body(match_in), headers={"content-type": "application/json"}
    )
    return _public(body)


async def forward_match(*, services: Services, match_in: MatchRequest) -> Response:
    """`/v1/match` as the matcher answers it, unparsed. The request was validated here already,
    and the matcher holds no contact details (it drops them when it indexes a profile), so its
    JSON is already the public answer: no decode, validate and encode again on the hot path."""
    response = await services.matchers.raw(
        "POST", "/match", content=_text_body(match_in), headers={"content-type": "application/json"}
    )
    return Response(content=response.content, media_type="application/json")


async def match_profile(
    *, services: Services, profile_id: int, options: MatchOptions | None = None
) -> MatchesPublic:
    params = MatchQuery.params(options or MatchOptions())
    body = await services.matchers.json("GET", f"/profiles/{profile_id}/matches", params=params)
    return _public(body)


async def forward_profile_matches(
    *, services: Services, profile_id: int, options: MatchOptions
) -> Response:
    """`/v1/profiles/{id}/matches` as the matcher answers it, unparsed (see `forward_match`)."""
    params = MatchQuery.params(options)
    response = await services.matchers.raw("GET", f"/profiles/{profile_id}/matches", params=params)
    return Response(content=response.content, media_type="application/json")
