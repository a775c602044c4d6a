"""Cluster intelligence as the matchers compute it, validated on the way through."""

from __future__ import annotations

from gateway.deps import Services
from gateway.upstream import expect
from models.intel import (
    BridgesPublic,
    BridgesQuery,
    ClusterPotential,
    CompetenceMap,
    CompetenceQuery,
    FieldsPublic,
)


async def get_fields(*, services: Services) -> FieldsPublic:
    return expect(FieldsPublic, await services.matchers.json("GET", "/fields"), "matcher")


async def get_competence_map(*, services: Services, query: CompetenceQuery) -> CompetenceMap:
    body = await services.matchers.json("GET", "/map/competences", params=query.upstream())
    return expect(CompetenceMap, body, "matcher")


async def get_bridges(*, services: Services, query: BridgesQuery) -> BridgesPublic:
    body = await services.matchers.json("GET", "/bridges", params=query.upstream())
    return expect(BridgesPublic, body, "matcher")


async def get_cluster_potential(*, services: Services, profile_id: int) -> ClusterPotential:
    body = await services.matchers.json("GET", f"/clusters/{profile_id}/potential")
    return expect(ClusterPotential, body, "matcher")
