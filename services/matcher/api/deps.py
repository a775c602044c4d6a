"""Dependencies: the engine, the follower and the intelligence state built in the lifespan,
reached via app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crosslink.errors import NotReady
from services.matcher.intel import IntelState, Landscape
from services.matcher.ranking import MatchEngine
from services.matcher.sync import FeedFollower

__all__ = ["EngineDep", "FollowerDep", "IntelDep", "LandscapeDep"]


def get_follower(request: Request) -> FeedFollower:
    follower: FeedFollower = request.app.state.follower
    return follower


def get_ready_engine(follower: Annotated[FeedFollower, Depends(get_follower)]) -> MatchEngine:
    """The engine, once it has caught up with the change feed (503 `not_ready` before)."""
    if not follower.ready:
        raise NotReady(
            "the matcher is still catching up with the profiles change feed; retry shortly",
            details={
                "seq": follower.engine.seq,
                "feed_last_seq": follower.feed_last_seq,
                "last_error": follower.last_error,
            },
            headers={"Retry-After": "1"},
        )
    return follower.engine


def get_intel(
    request: Request, engine: Annotated[MatchEngine, Depends(get_ready_engine)]
) -> IntelState:
    """The intelligence state, once the engine is ready (503 `not_ready` before)."""
    intel: IntelState = request.app.state.intel
    return intel


def get_landscape(intel: Annotated[IntelState, Depends(get_intel)]) -> Landscape:
    """The last computed landscape (503 `not_ready` before the first computation)."""
    return intel.current()


FollowerDep = Annotated[FeedFollower, Depends(get_follower)]
EngineDep = Annotated[MatchEngine, Depends(get_ready_engine)]
IntelDep = Annotated[IntelState, Depends(get_intel)]
LandscapeDep = Annotated[Landscape, Depends(get_landscape)]
