"""Partner search through the matchers; results carry public profile fields only."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from gateway.deps import Services
from gateway.upstream import expect
from models.matching import MatchesPublic, MatchFilters, MatchRequest


def _public(body: Any) -> MatchesPublic:
    matches = expect(MatchesPublic, body, "matcher")
    for result in matches.data:
        result.profile.contact = None
    return matches


def filter_params(filters: MatchFilters) -> list[tuple[str, str]]:
    """MatchFilters as repeated query parameters (`kinds=research&kinds=sme`)."""
    params: list[tuple[str, str]] = []
    for name, values in filters.model_dump(mode="json").items():
        params.extend((name, str(value)) for value in values)
    return params


async def match_text(*, services: Services, match_in: MatchRequest) -> MatchesPublic:
    body = await services.matchers.json(
        "POST", "/match", json=match_in.model_dump(mode="json", exclude_unset=True)
    )
    return _public(body)


async def forward_match(*, services: Services, body: bytes) -> Response:
    """`/v1/match` as the matcher answers it, unparsed. The request was validated here already,
    and the matcher holds no contact details (it drops them when it indexes a profile), so its
    JSON is already the public answer: no decode, validate and encode again on the hot path."""
    response = await services.matchers.raw(
        "POST", "/match", content=body, headers={"content-type": "application/json"}
    )
    return Response(content=response.content, media_type="application/json")


def _profile_match_params(
    filters: MatchFilters | None,
    limit: int,
    offset: int,
    include_own_region: bool,
    include_known_partners: bool,
) -> list[tuple[str, str]]:
    params = [("limit", str(limit)), ("offset", str(offset))]
    if include_own_region:
        params.append(("include_own_region", "true"))
    if include_known_partners:
        params.append(("include_known_partners", "true"))
    params.extend(filter_params(filters or MatchFilters()))
    return params


async def match_profile(
    *,
    services: Services,
    profile_id: int,
    filters: MatchFilters | None = None,
    limit: int = 10,
    offset: int = 0,
    include_own_region: bool = False,
    include_known_partners: bool = False,
) -> MatchesPublic:
    params = _profile_match_params(
        filters, limit, offset, include_own_region, include_known_partners
    )
    body = await services.matchers.json("GET", f"/profiles/{profile_id}/matches", params=params)
    return _public(body)


async def forward_profile_matches(
    *,
    services: Services,
    profile_id: int,
    filters: MatchFilters,
    limit: int,
    offset: int,
    include_own_region: bool,
    include_known_partners: bool,
) -> Response:
    """`/v1/profiles/{id}/matches` as the matcher answers it, unparsed (see `forward_match`)."""
    params = _profile_match_params(
        filters, limit, offset, include_own_region, include_known_partners
    )
    response = await services.matchers.raw("GET", f"/profiles/{profile_id}/matches", params=params)
    return Response(content=response.content, media_type="application/json")
