"""/v1/feedback: mark a suggested partner, list your marks, undo one; hubs read the counts
their profiles received."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from crosslink.errors import Unauthorized
from gateway.deps import CallerDep, ServicesDep
from gateway.feedback.identity import identify, remember_visitor
from gateway.feedback.service import (
    add_feedback,
    delete_feedback,
    list_feedback,
    received_feedback,
)
from gateway.openapi import COMMON, errors
from models.common import MAX_ID
from models.feedback import FeedbackCreate, FeedbackPublic, FeedbackReceived, FeedbacksPublic

router = APIRouter(tags=["feedback"], responses=COMMON)

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post(
    "/feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackPublic,
    responses=errors(404),
)
async def post_feedback(
    feedback_in: FeedbackCreate,
    request: Request,
    response: Response,
    caller: CallerDep,
    services: ServicesDep,
) -> FeedbackPublic:
    """Mark a suggested partner. `hide` and `not_relevant` take it out of your results for
    that seeker (or, without one, all your searches) from the next request on; `relevant` and
    `contacted` move it up for you and count, once per caller and from a quorum of callers
    on, in everyone's ranking. Without
    an API key the mark belongs to this browser (a cookie it is given here)."""
    identity = identify(request, caller, mint=True)
    assert identity is not None
    stored, created = await add_feedback(
        services=services, identity=identity, feedback_in=feedback_in
    )
    if identity.new_token:
        remember_visitor(request, response, identity.new_token)
    if not created:
        response.status_code = status.HTTP_200_OK
    return stored


@router.get("/feedback", response_model=FeedbacksPublic)
async def get_feedback(
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
    seeker_id: OptionalId = None,
    candidate_id: OptionalId = None,
) -> FeedbacksPublic:
    """Your own marks, newest first; nobody else's are ever shown."""
    identity = identify(request, caller)
    if identity is None:
        return FeedbacksPublic(data=[], count=0)
    return await list_feedback(
        services=services, identity=identity, seeker_id=seeker_id, candidate_id=candidate_id
    )


@router.delete(
    "/feedback/{feedback_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(404),
)
async def delete_one_feedback(
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
) -> Response:
    """Undo one of your marks (another caller's is reported as not existing)."""
    identity = identify(request, caller, mint=True)
    assert identity is not None
    await delete_feedback(services=services, identity=identity, feedback_id=feedback_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/feedback/received", response_model=FeedbackReceived, responses=errors(401))
async def get_received(caller: CallerDep, services: ServicesDep) -> FeedbackReceived:
    """For the key's hub: per profile it owns, how many callers marked it contacted or
    relevant (counts only, never who)."""
    if caller.anonymous:
        raise Unauthorized("the feedback a hub's profiles received needs the hub's API key")
    assert caller.hub is not None
    return await received_feedback(services=services, hub=caller.hub)
