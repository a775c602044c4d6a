"""/v1/fields, /v1/map/competences, /v1/bridges, /v1/clusters/{id}/potential: the cluster
intelligence computed by the matchers, passed on (the CSV export is rendered here from JSON)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from gateway.deps import CallerDep, ServicesDep
from gateway.routes import COMMON, ProfileId, errors
from gateway.upstream import expect
from models.common import RegionPrefix
from models.intel import BridgesPublic, ClusterPotential, CompetenceMap, FieldsPublic, Level
from models.profiles import Kind

router = APIRouter(tags=["cluster intelligence"], responses=COMMON)


@router.get("/fields", response_model=FieldsPublic)
async def get_fields(caller: CallerDep, services: ServicesDep) -> FieldsPublic:
    """The technology fields: id, characteristic terms, number of organisations."""
    return expect(FieldsPublic, await services.matchers.json("GET", "/fields"), "matcher")


@router.get(
    "/map/competences",
    response_model=CompetenceMap,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def get_competence_map(
    caller: CallerDep,
    services: ServicesDep,
    level: Level = "nuts2",
    field: Annotated[str | None, Query(max_length=20, description="A field id, e.g. F3")] = None,
    kind: Kind | None = None,
    format: Literal["json", "csv"] = "json",
) -> CompetenceMap | Response:
    """Per region x technology field: organisations, specialisation index, top organisations."""
    params: dict[str, str] = {"level": level}
    if field:
        params["field"] = field
    if kind:
        params["kind"] = kind.value
    body = await services.matchers.json("GET", "/map/competences", params=params)
    result = expect(CompetenceMap, body, "matcher")
    if format == "csv":
        return Response(
            result.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="competences-{level}.csv"'},
        )
    return result


@router.get("/bridges", response_model=BridgesPublic)
async def get_bridges(
    caller: CallerDep,
    services: ServicesDep,
    from_region: Annotated[
        RegionPrefix | None, Query(description="The seeker's country or NUTS region")
    ] = None,
    to_region: Annotated[
        RegionPrefix | None, Query(description="The provider's country or NUTS region")
    ] = None,
    min_distance: Annotated[
        float, Query(ge=0.0, le=2.0, description="Least 1 - cosine between the two fields")
    ] = 0.0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BridgesPublic:
    """Cross-sector bridges: one's need answered by another's offer, across regions."""
    params: dict[str, str] = {"min_distance": str(min_distance), "limit": str(limit)}
    if from_region:
        params["from_region"] = from_region
    if to_region:
        params["to_region"] = to_region
    body = await services.matchers.json("GET", "/bridges", params=params)
    return expect(BridgesPublic, body, "matcher")


@router.get(
    "/clusters/{profile_id}/potential", response_model=ClusterPotential, responses=errors(404)
)
async def get_cluster_potential(
    profile_id: ProfileId, caller: CallerDep, services: ServicesDep
) -> ClusterPotential:
    """A cluster's fields and their regional specialisation, peers, bridges and gaps."""
    body = await services.matchers.json("GET", f"/clusters/{profile_id}/potential")
    return expect(ClusterPotential, body, "matcher")
