"""HTTP surface of the cluster intelligence (the gateway exposes it under /v1): technology fields,
the competence map (JSON or CSV), cross-sector bridges and a cluster's potential.

The figures are computed in the background once the matcher has caught up with the change feed,
and again when writes settle; every route serves the last computed state (`computed_at`) and
answers 503 `not_ready` until the matcher has caught up and the first computation is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from models.intel import (
    BridgesPublic,
    BridgesQuery,
    ClusterPotential,
    CompetenceMap,
    CompetenceQuery,
    FieldsPublic,
)
from services.matcher import intel
from services.matcher.api.deps import IntelDep, LandscapeDep

__all__ = ["router"]

router = APIRouter(tags=["cluster intelligence"])


@router.get("/fields", response_model=FieldsPublic)
def list_fields(landscape: LandscapeDep) -> FieldsPublic:
    """The technology fields: id, characteristic terms, number of organisations."""
    return intel.fields_public(landscape)


@router.post("/fields/recompute", response_model=FieldsPublic)
def recompute_fields(state: IntelDep) -> FieldsPublic:
    """Re-cluster now (ids are inherited from the closest previous fields)."""
    return intel.fields_public(state.recompute(refit=True))


@router.get(
    "/map/competences",
    response_model=CompetenceMap,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def competences(
    landscape: LandscapeDep, query: Annotated[CompetenceQuery, Query()]
) -> CompetenceMap | Response:
    """Organisations per region x field, the specialisation index and the top organisations."""
    result = intel.competence_map(
        landscape,
        level=query.level,
        field=query.field,
        kind=query.kind,
        small_below=query.small_below,
    )
    if query.format == "csv":
        return Response(
            result.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="competences-{query.level}.csv"'
            },
        )
    return result


@router.get("/bridges", response_model=BridgesPublic)
def list_bridges(landscape: LandscapeDep, query: Annotated[BridgesQuery, Query()]) -> BridgesPublic:
    """Pairs whose need and offer meet across fields and regions, with the field pairs."""
    return intel.bridges(
        landscape,
        from_region=query.from_region,
        to_region=query.to_region,
        min_distance=query.min_distance,
        limit=query.limit,
    )


@router.get("/clusters/{profile_id}/potential", response_model=ClusterPotential)
def cluster_potential(
    profile_id: Annotated[int, Path(ge=1, le=2**63 - 1)], landscape: LandscapeDep
) -> ClusterPotential:
    """A cluster's fields, peers elsewhere, complementary partners and its region's gaps."""
    return intel.potential(landscape, profile_id)
