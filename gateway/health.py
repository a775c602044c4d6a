"""GET /health: the gateway's readiness is its upstreams' readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from gateway.deps import ServicesDep
from models.common import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def get_health(services: ServicesDep) -> Health:
    """Ready when the profiles service and at least one matcher are ready."""
    profiles, matchers = await asyncio.gather(
        services.profiles.health(), services.matchers.health()
    )
    ready = profiles["ready"] and any(m["ready"] for m in matchers)
    status = "ok" if ready and all(m["ready"] for m in matchers) else "degraded"
    return Health(status=status, ready=ready, details={"profiles": profiles, "matchers": matchers})
