"""/v1/match and /v1/profiles/{id}/matches: partner search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ConfigDict, Field

from gateway.deps import CallerDep, ServicesDep
from gateway.journeys.matching import forward_match, forward_profile_matches
from gateway.routes import COMMON, ProfileId, errors
from models.matching import MatchesPublic, MatchFilters, MatchRequest

router = APIRouter(tags=["partner search"], responses=COMMON)


class MatchQuery(MatchFilters):
    """The filters as repeated query parameters, plus paging."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000)
    include_own_region: bool = False
    include_known_partners: bool = False


@router.post("/match", response_model=MatchesPublic)
async def post_match(match_in: MatchRequest, caller: CallerDep, services: ServicesDep) -> Response:
    """Partners for a text (optionally on behalf of a profile), ranked and explained."""
    body = match_in.model_dump_json(exclude_unset=True).encode()
    return await forward_match(services=services, body=body)


@router.get("/profiles/{profile_id}/matches", response_model=MatchesPublic, responses=errors(404))
async def get_profile_matches(
    profile_id: ProfileId,
    caller: CallerDep,
    services: ServicesDep,
    query: Annotated[MatchQuery, Query()],
) -> Response:
    """Partners for a profile's needs, outside its own NUTS-2 region unless asked."""
    return await forward_profile_matches(
        services=services,
        profile_id=profile_id,
        filters=MatchFilters.model_validate(
            query.model_dump(include=set(MatchFilters.model_fields))
        ),
        limit=query.limit,
        offset=query.offset,
        include_own_region=query.include_own_region,
        include_known_partners=query.include_known_partners,
    )
