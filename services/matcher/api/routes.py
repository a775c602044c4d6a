"""HTTP surface of the matcher (the gateway exposes it under /v1).

`GET /health` answers 200 with `ready: true` once the index has caught up with the change feed,
and 503 with the error shape (`not_ready`, the same fields in `details`) before; `/match` and
`/profiles/{id}/matches` answer 503 `not_ready` until then too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from crosslink.errors import InvalidInput, NotReady
from models.common import Health
from models.matching import MatchesPublic, MatchFilters, MatchRequest
from services.matcher.api.deps import EngineDep, FollowerDep

__all__ = ["router"]

router = APIRouter()


def _json(matches: MatchesPublic) -> Response:
    """Serialised by pydantic-core in one step (the hot path: no dict, no second validation)."""
    return Response(content=matches.model_dump_json(), media_type="application/json")


ListParam = Annotated[list[str], Query()]


def _split(values: list[str]) -> list[str]:
    """Repeatable or comma-separated: `?kinds=sme&kinds=research` or `?kinds=sme,research`."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@router.post("/match", response_model=MatchesPublic)
def match(request: MatchRequest, engine: EngineDep) -> Response:
    """Partners for a free-text need, optionally on behalf of a seeker profile."""
    return _json(engine.match(request))


@router.get("/profiles/{profile_id}/matches", response_model=MatchesPublic)
def profile_matches(
    profile_id: int,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    kinds: ListParam = [],  # noqa: B006 - FastAPI copies defaults
    countries: ListParam = [],  # noqa: B006
    regions: ListParam = [],  # noqa: B006
    exclude_regions: ListParam = [],  # noqa: B006
    exclude_countries: ListParam = [],  # noqa: B006
    sectors: ListParam = [],  # noqa: B006
    include_own_region: bool = False,
    include_known_partners: bool = False,
) -> Response:
    """Partners for a profile: its description and needs are the query, it is the seeker."""
    try:
        filters = MatchFilters(
            kinds=_split(kinds),
            countries=_split(countries),
            regions=_split(regions),
            exclude_regions=_split(exclude_regions),
            exclude_countries=_split(exclude_countries),
            sectors=_split(sectors),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(
            f"{where}: {message}",
            details=[
                {"loc": ["query", *first["loc"]], "message": str(e["msg"]), "type": e["type"]}
                for e in exc.errors()
            ],
        ) from None
    return _json(
        engine.match_profile(
            profile_id,
            filters=filters,
            limit=limit,
            offset=offset,
            include_own_region=include_own_region,
            include_known_partners=include_known_partners,
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
