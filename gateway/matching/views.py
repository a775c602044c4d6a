"""/v1/match and /v1/profiles/{id}/matches: partner search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from gateway.deps import CallerDep, ProfileIdPath, ServicesDep
from gateway.feedback import identify, scoped_options
from gateway.matching.service import forward_match, forward_profile_matches
from gateway.openapi import COMMON, errors
from models.matching import MatchesPublic, MatchQuery, MatchRequest

router = APIRouter(tags=["partner search"], responses=COMMON)


@router.post("/match", response_model=MatchesPublic, responses=errors(404))
async def post_match(
    match_in: MatchRequest, request: Request, caller: CallerDep, services: ServicesDep
) -> Response:
    """Partners for a text (optionally on behalf of a profile), ranked and explained; without
    what the caller hid or marked not relevant, with what it marked relevant moved up; 404 when
    the seeker profile is not known."""
    identity = identify(request, caller)
    match_in = await scoped_options(
        services=services, identity=identity, options=match_in, seeker_id=match_in.seeker_id
    )
    return await forward_match(services=services, match_in=match_in)


@router.get("/profiles/{profile_id}/matches", response_model=MatchesPublic, responses=errors(404))
async def get_profile_matches(
    profile_id: ProfileIdPath,
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
    query: Annotated[MatchQuery, Query()],
) -> Response:
    """Partners for a profile's needs, outside its own NUTS-2 region unless asked. Filters are
    repeatable or comma-separated (`kinds=research&kinds=sme` or `kinds=research,sme`)."""
    options = await scoped_options(
        services=services,
        identity=identify(request, caller),
        options=query.options(),
        seeker_id=profile_id,
    )
    return await forward_profile_matches(services=services, profile_id=profile_id, options=options)
