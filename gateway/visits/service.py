"""Business exploratory visits: hosts in the target covering a delegation's needs, one area a
day (the programme itself is `days`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

from gateway.deps import Services
from gateway.matching import match_profile, match_text
from gateway.profiles import fetch_profile
from gateway.visits.days import Candidate, plan_days
from models import reference
from models.journeys import (
    DelegationMember,
    MemberSummary,
    ServedMember,
    VisitPlan,
    VisitPlanRequest,
)
from models.matching import MatchesPublic, MatchFilters, MatchOptions, MatchRequest, MatchResult
from models.profiles import ProfilePublic

CANDIDATES_PER_MEMBER = 15


def _target_filters(target: str) -> MatchFilters:
    return MatchFilters(countries=[target]) if len(target) == 2 else MatchFilters(regions=[target])


def target_name(target: str) -> str | None:
    if len(target) == 2:
        return reference.country_name(target)
    return reference.region_name(target)


async def _member_matches(
    member: DelegationMember, index: int, *, services: Services, target: str
) -> tuple[MemberSummary, MatchesPublic]:
    filters = _target_filters(target)
    if member.profile_id is not None:
        profile = await fetch_profile(services=services, profile_id=member.profile_id)
        need = "; ".join(profile.needs) or profile.description[:300]
        summary = MemberSummary(
            index=index, label=member.name or profile.name, need=need, profile_id=profile.id
        )
        options = MatchOptions(
            filters=filters, limit=CANDIDATES_PER_MEMBER, include_own_region=True
        )
        matches = await match_profile(services=services, profile_id=profile.id, options=options)
        return summary, matches
    assert member.need is not None
    summary = MemberSummary(
        index=index, label=member.name or f"Member {index + 1}", need=member.need
    )
    match_in = MatchRequest(text=member.need, filters=filters, limit=CANDIDATES_PER_MEMBER)
    return summary, await match_text(services=services, match_in=match_in)


def city_of(profile: ProfilePublic) -> str:
    """The place a host is visited in: its city, else its region or country."""
    return profile.city or profile.region_name or profile.country_name or profile.country


def _served(index: int, result: MatchResult, members: list[MemberSummary]) -> ServedMember:
    explanation = result.explanation
    why = explanation.reasons or [f"matches '{explanation.query_part}'"]
    return ServedMember(
        index=index,
        label=members[index].label,
        score=round(result.score, 4),
        why=why,
        passage=explanation.passage.text,
    )


async def plan_visit(*, services: Services, plan_in: VisitPlanRequest) -> VisitPlan:
    found = await asyncio.gather(
        *(
            _member_matches(m, i, services=services, target=plan_in.target)
            for i, m in enumerate(plan_in.delegation)
        )
    )
    members = [summary for summary, _ in found]
    own_ids = {m.profile_id for m in members if m.profile_id is not None}
    candidates: dict[int, Candidate] = {}
    for summary, matches in found:
        for result in matches.data:
            if result.profile.id in own_ids:
                continue
            candidate = candidates.setdefault(result.profile.id, Candidate(result.profile))
            candidate.serves[summary.index] = result
    radius = plan_in.radius_km or services.settings.visit_radius_km
    schedule = plan_days(
        candidates,
        members=members,
        days=plan_in.days,
        per_day=plan_in.visits_per_day,
        radius_km=radius,
        served=lambda c: [_served(m, r, members) for m, r in sorted(c.serves.items())],
        city=city_of,
    )
    days = schedule.days
    hosts = [v for day in days for v in day.visits]
    served = {s.index for host in hosts for s in host.serves}
    plan_id = uuid4().hex
    return VisitPlan(
        plan_id=plan_id,
        created_at=datetime.now(UTC),
        target=plan_in.target,
        target_name=target_name(plan_in.target),
        delegation=members,
        days=days,
        uncovered=[m.index for m in members if m.index not in served],
        radius_km=radius,
        areas_reason=schedule.reason if len(plan_in.target) == 2 else None,
        briefing_url=f"/v1/visits/{plan_id}?format=md",
    )
