"""/v1/match/batch: a hub's many queries in one call."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.access import Scope
from gateway.batch.service import run_batch
from gateway.deps import CallerDep, ServicesDep
from gateway.gate import KEY_REQUIRED, GatedRoute
from gateway.openapi import COMMON, errors
from models.journeys import BatchRequest, BatchResult

router = APIRouter(tags=["partner search"], responses=COMMON, route_class=GatedRoute)


@router.post(
    "/match/batch",
    response_model=BatchResult,
    responses=errors(401, 403, 413),
    openapi_extra=KEY_REQUIRED,
)
async def post_match_batch(
    batch_in: BatchRequest, caller: CallerDep, services: ServicesDep
) -> BatchResult:
    """Up to 100 queries (key required): one result list per query, in order, with errors."""
    caller.require(Scope.read)
    return await run_batch(services=services, batch_in=batch_in)
