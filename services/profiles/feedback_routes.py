"""Routes of the feedback store (internal; the gateway calls them with the caller as owner)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from crosslink.errors import InvalidInput
from models.common import MAX_ID
from models.feedback import (
    FeedbackCounts,
    FeedbackPublic,
    FeedbackReceived,
    FeedbackRecord,
    FeedbackScope,
    FeedbacksPublic,
)
from services.profiles import feedback
from services.profiles.deps import SessionDep, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/feedback", tags=["feedback"])

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _owner(value: str | None) -> str:
    owner = (value or "").strip()
    if not owner:
        raise InvalidInput("X-Crosslink-Owner is required: feedback always belongs to someone")
    return owner


OwnerHeader = Annotated[str | None, Header(alias="X-Crosslink-Owner", max_length=200)]


@router.post("", status_code=201, response_model=FeedbackPublic)
def post_feedback(
    record: FeedbackRecord, session: SessionDep, settings: SettingsDep, response: Response
) -> FeedbackPublic:
    """Store a mark; the same mark again answers 200 with the stored one."""
    row, created = feedback.add_feedback(
        session=session, record=record, daily_cap=settings.feedback_daily_cap
    )
    if not created:
        response.status_code = 200
    return feedback.to_public(row)


@router.get("", response_model=FeedbacksPublic)
def get_feedback(
    session: SessionDep,
    owner: OwnerHeader = None,
    seeker_id: OptionalId = None,
    candidate_id: OptionalId = None,
) -> FeedbacksPublic:
    rows = feedback.list_feedback(
        session=session, owner=_owner(owner), seeker_id=seeker_id, candidate_id=candidate_id
    )
    return FeedbacksPublic(data=[feedback.to_public(r) for r in rows], count=len(rows))


@router.get("/scope", response_model=FeedbackScope)
def get_scope(
    session: SessionDep,
    owner: OwnerHeader = None,
    seeker_id: OptionalId = None,
    alert_id: OptionalId = None,
) -> FeedbackScope:
    """What the owner's marks do to a search for `seeker_id` (or without a seeker)."""
    return feedback.search_scope(
        session=session, owner=_owner(owner), seeker_id=seeker_id, alert_id=alert_id
    )


@router.get("/counts", response_model=FeedbackCounts)
def get_counts(session: SessionDep) -> FeedbackCounts:
    """Per candidate, the distinct callers endorsing it (the matcher's `feedback` signal)."""
    return feedback.count_endorsements(session=session)


@router.get("/received", response_model=FeedbackReceived)
def get_received(
    session: SessionDep, hub: Annotated[str, Query(min_length=1, max_length=200)]
) -> FeedbackReceived:
    rows = feedback.received_counts(session=session, hub=hub)
    return FeedbackReceived(data=rows, count=len(rows))


@router.delete("/{feedback_id}", status_code=204)
def delete_feedback(
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    owner: OwnerHeader = None,
) -> Response:
    feedback.delete_feedback(session=session, owner=_owner(owner), feedback_id=feedback_id)
    return Response(status_code=204)
