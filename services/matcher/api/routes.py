"""HTTP surface of the matcher (the gateway exposes it under /v1).

`GET /health` answers 200 with `ready: true` once the index has caught up with the change feed,
and 503 with the error shape (`not_ready`, the same fields in `details`) before; `/match` and
`/profiles/{id}/matches` answer 503 `not_ready` until then too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from crosslink.errors import NotReady
from models.common import MAX_ID, Health
from models.matching import MatchesPublic, MatchQuery, MatchRequest
from services.matcher.api.deps import EngineDep, FollowerDep

__all__ = ["router"]

router = APIRouter()


def _json(matches: MatchesPublic) -> Response:
    """Serialised by pydantic-core in one step (the hot path: no dict, no second validation)."""
    return Response(content=matches.model_dump_json(), media_type="application/json")


@router.post("/match", response_model=MatchesPublic)
def match(request: MatchRequest, engine: EngineDep) -> Response:
    """Partners for a free-text need, optionally on behalf of a seeker profile."""
    return _json(engine.match(request))


@router.get("/profiles/{profile_id}/matches", response_model=MatchesPublic)
def profile_matches(
    profile_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    engine: EngineDep,
    query: Annotated[MatchQuery, Query()],
) -> Response:
    """Partners for a profile: its description and needs are the query, it is the seeker."""
    options = query.options()
    return _json(
        engine.match_profile(
            profile_id,
            filters=options.filters,
            limit=options.limit,
            offset=options.offset,
            include_own_region=options.include_own_region,
            include_known_partners=options.include_known_partners,
            exclude_ids=options.exclude_ids,
            boost_ids=options.boost_ids,
        )
    )


@router.get("/health", response_model=Health)
def health(follower: FollowerDep) -> Health:
    """Ready once caught up with the change feed; `lag` says how far behind it is now."""
    details = {
        "seq": follower.engine.seq,
        "feed_last_seq": follower.feed_last_seq,
        "lag": follower.lag,
        "profiles": follower.engine.count(),
        "passages": follower.engine.index.count(),
        "model": follower.engine.encoder.name,
        "last_error": follower.last_error,
    }
    if not follower.ready:
        raise NotReady(
            "the matcher is catching up with the profiles change feed",
            details={"status": "starting", "ready": False, **details},
        )
    return Health(status="ok", ready=True, details=details)
