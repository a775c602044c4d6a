"""/v1/fields, /v1/map/competences, /v1/bridges, /v1/clusters/{id}/potential: the cluster
intelligence computed by the matchers, passed on (the CSV export is rendered here from JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from gateway.deps import CallerDep, ProfileIdPath, ServicesDep
from gateway.intel import service
from gateway.openapi import COMMON, errors
from models import intel as wire

router = APIRouter(tags=["cluster intelligence"], responses=COMMON)


@router.get("/fields", response_model=wire.FieldsPublic)
async def get_fields(caller: CallerDep, services: ServicesDep) -> wire.FieldsPublic:
    """The technology fields: id, characteristic terms, number of organisations."""
    return await service.get_fields(services=services)


@router.get(
    "/map/competences",
    response_model=wire.CompetenceMap,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def get_competence_map(
    caller: CallerDep, services: ServicesDep, query: Annotated[wire.CompetenceQuery, Query()]
) -> wire.CompetenceMap | Response:
    """Per region x technology field: organisations, specialisation index, top organisations."""
    result = await service.get_competence_map(services=services, query=query)
    if query.format == "csv":
        return Response(
            result.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="competences-{query.level}.csv"'
            },
        )
    return result


@router.get("/bridges", response_model=wire.BridgesPublic)
async def get_bridges(
    caller: CallerDep, services: ServicesDep, query: Annotated[wire.BridgesQuery, Query()]
) -> wire.BridgesPublic:
    """Cross-sector bridges: one's need answered by another's offer, across regions."""
    return await service.get_bridges(services=services, query=query)


@router.get(
    "/clusters/{profile_id}/potential", response_model=wire.ClusterPotential, responses=errors(404)
)
async def get_cluster_potential(
    profile_id: ProfileIdPath, caller: CallerDep, services: ServicesDep
) -> wire.ClusterPotential:
    """A cluster's fields and their regional specialisation, peers, bridges and gaps."""
    return await service.get_cluster_potential(services=services, profile_id=profile_id)
