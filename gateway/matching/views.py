"""/v1/match and /v1/profiles/{id}/matches: partner search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from gateway.deps import CallerDep, ProfileIdPath, ServicesDep
from gateway.matching.service import forward_match, forward_profile_matches
from gateway.openapi import COMMON, errors
from models.matching import MatchesPublic, MatchQuery, MatchRequest

router = APIRouter(tags=["partner search"], responses=COMMON)


@router.post("/match", response_model=MatchesPublic, responses=errors(404))
async def post_match(match_in: MatchRequest, caller: CallerDep, services: ServicesDep) -> Response:
    """Partners for a text (optionally on behalf of a profile), ranked and explained; 404 when
    the seeker profile is not known."""
    return await forward_match(services=services, match_in=match_in)


@router.get("/profiles/{profile_id}/matches", response_model=MatchesPublic, responses=errors(404))
async def get_profile_matches(
    profile_id: ProfileIdPath,
    caller: CallerDep,
    services: ServicesDep,
    query: Annotated[MatchQuery, Query()],
) -> Response:
    """Partners for a profile's needs, outside its own NUTS-2 region unless asked. Filters are
    repeatable or comma-separated (`kinds=research&kinds=sme` or `kinds=research,sme`)."""
    return await forward_profile_matches(
        services=services, profile_id=profile_id, options=query.options()
    )
