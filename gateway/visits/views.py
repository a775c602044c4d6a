"""/v1/visits: plan a business exploratory visit, fetch a stored plan or its briefing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from gateway.deps import CallerDep, ServicesDep
from gateway.idempotency import IdempotencyKeyHeader, caller_scope, run_once
from gateway.openapi import COMMON, errors
from gateway.visits.erasure import existing_profile_ids, plan_profile_ids, without_profiles
from gateway.visits.service import plan_visit
from gateway.visits.store import load_plan, render_briefing, replace_plan, save_plan
from models.journeys import VisitPlan, VisitPlanRequest

router = APIRouter(tags=["visits"], responses=COMMON)

Format = Annotated[
    Literal["json", "md"],
    Query(description="`md` answers the printable briefing as Markdown (text/markdown)"),
]
_MARKDOWN: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}
}


async def _erased(services: ServicesDep, plan: VisitPlan) -> tuple[VisitPlan, bool]:
    """The plan without the profiles deleted since it was made (gateway/visits/erasure.py);
    True when it had to be rewritten."""
    named = plan_profile_ids(plan)
    gone = named - await existing_profile_ids(services=services, ids=named)
    return (without_profiles(plan, gone), True) if gone else (plan, False)


def _answer(plan: VisitPlan, fmt: str) -> VisitPlan | Response:
    if fmt == "md":
        return Response(render_briefing(plan), media_type="text/markdown; charset=utf-8")
    return plan


@router.post(
    "/visits/plan",
    response_model=VisitPlan,
    responses={**errors(404, 409), **_MARKDOWN},
)
async def post_visit_plan(
    request: Request,
    plan_in: VisitPlanRequest,
    caller: CallerDep,
    services: ServicesDep,
    format: Format = "json",
    idempotency_key: IdempotencyKeyHeader = None,
) -> VisitPlan | Response:
    """Plan a business exploratory visit. The plan stays GET-able at `briefing_url` for a while
    (CROSSLINK_VISIT_PLAN_TTL seconds, default 24 h); each caller may store
    CROSSLINK_PLAN_QUOTA plans per window (429 beyond). `Idempotency-Key` applies to
    `format=json`."""
    settings = services.settings

    async def plan_and_store() -> VisitPlan:
        services.limiter.quota(
            limit=settings.plan_quota, identity=caller_scope(caller, request), what="visit plans"
        )
        plan, _ = await _erased(services, await plan_visit(services=services, plan_in=plan_in))
        await run_in_threadpool(
            save_plan,
            engine=services.keys_engine,
            plan=plan,
            ttl=settings.visit_plan_ttl,
            max_bytes=settings.max_plan_bytes,
        )
        return plan

    if format == "md":
        return _answer(await plan_and_store(), format)
    return await run_once(
        request=request,
        engine=services.keys_engine,
        caller=caller,
        key=idempotency_key,
        ttl=settings.idempotency_ttl,
        status_code=200,
        run=plan_and_store,
    )


@router.get(
    "/visits/{plan_id}",
    response_model=VisitPlan,
    responses={**errors(404), **_MARKDOWN},
)
async def get_visit_plan(
    plan_id: Annotated[str, Path(max_length=64)],
    caller: CallerDep,
    services: ServicesDep,
    format: Format = "json",
) -> VisitPlan | Response:
    """A stored visit plan; `?format=md` gives the printable briefing. Profiles deleted since
    the plan was made are no longer in it (the stored plan is rewritten)."""
    stored = await run_in_threadpool(
        load_plan,
        engine=services.keys_engine,
        plan_id=plan_id,
        ttl=services.settings.visit_plan_ttl,
    )
    plan, rewritten = await _erased(services, stored)
    if rewritten:
        await run_in_threadpool(replace_plan, engine=services.keys_engine, plan=plan)
    return _answer(plan, format)
