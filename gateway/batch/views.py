"""/v1/match/batch: a hub's many queries in one call."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.access import Scope
from gateway.batch.service import run_batch
from gateway.deps import CallerDep, ServicesDep
from gateway.gate import KEY_REQUIRED, GatedRoute
from gateway.idempotency import IdempotencyKeyHeader, run_once
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
    request: Request,
    batch_in: BatchRequest,
    caller: CallerDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Up to 100 queries (key required): one result list per query, in order, with errors."""
    caller.require(Scope.read)
    return await run_once(
        request=request,
        engine=services.keys_engine,
        caller=caller,
        key=idempotency_key,
        ttl=services.settings.idempotency_ttl,
        status_code=200,
        run=lambda: run_batch(services=services, batch_in=batch_in),
    )
