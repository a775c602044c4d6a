"""Dependencies: the engine and the follower built in the lifespan, reached via app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crosslink.errors import NotReady
from services.matcher.service import MatchEngine
from services.matcher.sync import FeedFollower


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


FollowerDep = Annotated[FeedFollower, Depends(get_follower)]
EngineDep = Annotated[MatchEngine, Depends(get_ready_engine)]
