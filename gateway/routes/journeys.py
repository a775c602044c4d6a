"""/v1 journeys: voucher providers, hub batch matching, visit plans."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from gateway.deps import CallerDep, ServicesDep
from gateway.journeys.batch import run_batch
from gateway.journeys.visits import plan_visit
from gateway.journeys.vouchers import find_providers
from gateway.keys import Scope
from gateway.plans import load_plan, render_briefing, save_plan
from gateway.routes import COMMON, errors
from gateway.schemas import (
    BatchRequest,
    BatchResult,
    VisitPlan,
    VisitPlanRequest,
    VoucherProviders,
    VoucherRequest,
)

router = APIRouter(responses=COMMON)

Format = Annotated[
    Literal["json", "md"],
    Query(description="`md` answers the printable briefing as Markdown (text/markdown)"),
]
_MARKDOWN: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}
}


@router.post(
    "/vouchers/providers", response_model=VoucherProviders, tags=["vouchers"], responses=errors(404)
)
async def post_voucher_providers(
    voucher_in: VoucherRequest, caller: CallerDep, services: ServicesDep
) -> VoucherProviders:
    """Knowledge providers for an innovation voucher, outside the applicant's region."""
    return await find_providers(services=services, voucher_in=voucher_in)


@router.post(
    "/match/batch", response_model=BatchResult, tags=["partner search"], responses=errors(401, 403)
)
async def post_match_batch(
    batch_in: BatchRequest, caller: CallerDep, services: ServicesDep
) -> BatchResult:
    """Up to 100 queries (key required): one result list per query, in order, with errors."""
    caller.require(Scope.read)
    return await run_batch(services=services, batch_in=batch_in)


def _answer(plan: VisitPlan, fmt: str) -> VisitPlan | Response:
    if fmt == "md":
        return Response(render_briefing(plan), media_type="text/markdown; charset=utf-8")
    return plan


@router.post(
    "/visits/plan",
    response_model=VisitPlan,
    tags=["visits"],
    responses={**errors(404), **_MARKDOWN},
)
async def post_visit_plan(
    plan_in: VisitPlanRequest, caller: CallerDep, services: ServicesDep, format: Format = "json"
) -> VisitPlan | Response:
    """Plan a business exploratory visit. The plan stays GET-able at `briefing_url` for a while
    (CROSSLINK_VISIT_PLAN_TTL seconds, default 24 h)."""
    plan = await plan_visit(services=services, plan_in=plan_in)
    ttl = services.settings.visit_plan_ttl
    await run_in_threadpool(save_plan, engine=services.keys_engine, plan=plan, ttl=ttl)
    return _answer(plan, format)


@router.get(
    "/visits/{plan_id}",
    response_model=VisitPlan,
    tags=["visits"],
    responses={**errors(404), **_MARKDOWN},
)
def get_visit_plan(
    plan_id: Annotated[str, Path(max_length=64)],
    caller: CallerDep,
    services: ServicesDep,
    format: Format = "json",
) -> VisitPlan | Response:
    """A stored visit plan; `?format=md` gives the printable briefing."""
    plan = load_plan(
        engine=services.keys_engine, plan_id=plan_id, ttl=services.settings.visit_plan_ttl
    )
    return _answer(plan, format)
