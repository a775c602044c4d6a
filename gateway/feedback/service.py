"""Feedback through the profiles service, always on behalf of its owner; and what it does to
the owner's matches (the exclusions and boosts sent to the matcher)."""

from __future__ import annotations

from typing import TypeVar

from gateway.deps import Services
from gateway.feedback.identity import FeedbackIdentity
from gateway.upstream import expect
from models.feedback import (
    FeedbackCreate,
    FeedbackPublic,
    FeedbackReceived,
    FeedbackRecord,
    FeedbackScope,
    FeedbacksPublic,
)
from models.matching import MatchOptions

__all__ = [
    "add_feedback",
    "delete_feedback",
    "list_feedback",
    "received_feedback",
    "scoped_options",
]

OWNER_HEADER = "X-Crosslink-Owner"
Options = TypeVar("Options", bound=MatchOptions)


def _owner(identity: FeedbackIdentity) -> dict[str, str]:
    return {OWNER_HEADER: identity.owner}


async def add_feedback(
    *, services: Services, identity: FeedbackIdentity, feedback_in: FeedbackCreate
) -> tuple[FeedbackPublic, bool]:
    """Store the mark; True when it is new (the same mark again is answered as stored)."""
    record = FeedbackRecord(**feedback_in.model_dump(), owner=identity.owner, voter=identity.voter)
    response = await services.profiles.request(
        "POST",
        "/feedback",
        content=record.model_dump_json(),
        headers={"content-type": "application/json"},
    )
    return expect(FeedbackPublic, response.json(), "profiles"), response.status_code == 201


async def list_feedback(
    *,
    services: Services,
    identity: FeedbackIdentity,
    seeker_id: int | None,
    candidate_id: int | None,
) -> FeedbacksPublic:
    params = {k: str(v) for k, v in (("seeker_id", seeker_id), ("candidate_id", candidate_id)) if v}
    body = await services.profiles.json("GET", "/feedback", params=params, headers=_owner(identity))
    return expect(FeedbacksPublic, body, "profiles")


async def delete_feedback(
    *, services: Services, identity: FeedbackIdentity, feedback_id: int
) -> None:
    await services.profiles.json("DELETE", f"/feedback/{feedback_id}", headers=_owner(identity))


async def received_feedback(*, services: Services, hub: str) -> FeedbackReceived:
    body = await services.profiles.json("GET", "/feedback/received", params={"hub": hub})
    return expect(FeedbackReceived, body, "profiles")


async def scoped_options(
    *,
    services: Services,
    identity: FeedbackIdentity | None,
    options: Options,
    seeker_id: int | None,
) -> Options:
    """`options` with the caller's exclusions and boosts for this seeker (none without an
    identity): what a client sent in these internal fields is replaced, never trusted."""
    scope = FeedbackScope()
    if identity is not None:
        params = {"seeker_id": str(seeker_id)} if seeker_id else {}
        body = await services.profiles.json(
            "GET", "/feedback/scope", params=params, headers=_owner(identity)
        )
        scope = expect(FeedbackScope, body, "profiles")
    if not (scope.exclude_ids or scope.boost_ids or options.exclude_ids or options.boost_ids):
        return options
    return options.model_copy(
        update={"exclude_ids": scope.exclude_ids, "boost_ids": scope.boost_ids}
    )
