"""HTTP surface of the cluster intelligence (the gateway exposes it under /v1): technology fields,
the competence map (JSON or CSV), cross-sector bridges and a cluster's potential.

The fields are computed on first use and again when the profiles changed; like `/match`, every
route answers 503 `not_ready` until the matcher has caught up with the change feed.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from models.intel import (
    BridgesPublic,
    BridgesQuery,
    ClusterPotential,
    CompetenceMap,
    CompetenceQuery,
    FieldsPublic,
)
from services.matcher import intel
from services.matcher.deps import EngineDep
from services.matcher.fields import Landscape, Landscapes

router = APIRouter(tags=["cluster intelligence"])

_state_lock = threading.Lock()


def get_landscape(request: Request, engine: EngineDep) -> Landscape:
    """The current landscape of the app's engine (computed now if the profiles changed)."""
    state = request.app.state
    with _state_lock:
        landscapes: Landscapes | None = getattr(state, "landscapes", None)
        if landscapes is None or landscapes.engine is not engine:
            landscapes = state.landscapes = Landscapes(engine)
    return landscapes.current()


LandscapeDep = Annotated[Landscape, Depends(get_landscape)]


@router.get("/fields", response_model=FieldsPublic)
def list_fields(landscape: LandscapeDep) -> FieldsPublic:
    """The technology fields: id, characteristic terms, number of organisations."""
    return intel.fields_public(landscape)


@router.post("/fields/recompute", response_model=FieldsPublic)
def recompute_fields(request: Request, engine: EngineDep) -> FieldsPublic:
    """Re-cluster now (ids are inherited from the closest previous fields)."""
    get_landscape(request, engine)
    landscapes: Landscapes = request.app.state.landscapes
    return intel.fields_public(landscapes.current(recompute=True))


@router.get(
    "/map/competences",
    response_model=CompetenceMap,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def competences(
    landscape: LandscapeDep, query: Annotated[CompetenceQuery, Query()]
) -> CompetenceMap | Response:
    """Organisations per region x field, the specialisation index and the top organisations."""
    result = intel.competence_map(landscape, level=query.level, field=query.field, kind=query.kind)
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
