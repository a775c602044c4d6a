"""Business exploratory visits: hosts in the target covering a delegation's needs, by city/day."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

from gateway.deps import Services
from gateway.matching import match_profile, match_text
from gateway.profiles import fetch_profile
from models import reference
from models.journeys import (
    DelegationMember,
    HostVisit,
    MemberSummary,
    ServedMember,
    VisitDay,
    VisitPlan,
    VisitPlanRequest,
)
from models.matching import MatchesPublic, MatchFilters, MatchOptions, MatchRequest, MatchResult
from models.profiles import ProfilePublic

CANDIDATES_PER_MEMBER = 15
REPEAT_WEIGHT = 0.35  # a member already served by k hosts counts REPEAT_WEIGHT**k
SAME_KIND_WEIGHT = 0.6  # each host of the same kind already chosen


@dataclass
class Candidate:
    profile: ProfilePublic
    serves: dict[int, MatchResult] = field(default_factory=dict)


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


def choose_hosts(
    candidates: dict[int, Candidate], *, members: int, capacity: int
) -> list[Candidate]:
    """Greedy coverage: each pick adds most for members still unserved, kinds kept diverse."""
    coverage = [0] * members
    kinds: Counter[str] = Counter()
    remaining = dict(candidates)
    chosen: list[Candidate] = []
    while remaining and len(chosen) < capacity:

        def gain(candidate: Candidate) -> float:
            served = sum(
                max(result.score, 0.01) * REPEAT_WEIGHT ** coverage[m]
                for m, result in candidate.serves.items()
            )
            return served * SAME_KIND_WEIGHT ** kinds[candidate.profile.kind]

        best = max(remaining.values(), key=lambda c: (gain(c), -c.profile.id))
        chosen.append(best)
        del remaining[best.profile.id]
        kinds[best.profile.kind] += 1
        for m in best.serves:
            coverage[m] += 1
    return chosen


def city_of(profile: ProfilePublic) -> str:
    """The place a host is visited in: its city, else its region or country."""
    return profile.city or profile.region_name or profile.country_name or profile.country


def group_into_days(hosts: list[Candidate], *, days: int, per_day: int) -> list[list[Candidate]]:
    """Keep a city's hosts on one day where they fit (best fit, largest city first)."""
    by_city: dict[str, list[Candidate]] = defaultdict(list)
    for host in hosts:
        by_city[city_of(host.profile)].append(host)
    schedule: list[list[Candidate]] = [[] for _ in range(days)]
    for _, group in sorted(by_city.items(), key=lambda item: (-len(item[1]), item[0])):
        while group:
            room = [per_day - len(day) for day in schedule]
            fitting = [i for i, r in enumerate(room) if r >= len(group)]
            day = min(fitting, key=lambda i: (room[i], i)) if fitting else room.index(max(room))
            if room[day] <= 0:
                return [d for d in schedule if d]  # capacity reached; cannot happen by design
            schedule[day].extend(group[: room[day]])
            group = group[room[day] :]
    return [d for d in schedule if d]


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
    hosts = choose_hosts(
        candidates, members=len(members), capacity=plan_in.days * plan_in.visits_per_day
    )
    schedule = group_into_days(hosts, days=plan_in.days, per_day=plan_in.visits_per_day)
    days = []
    for number, day in enumerate(schedule, start=1):
        day.sort(key=lambda c: (city_of(c.profile), c.profile.name))
        visits = [
            HostVisit(
                profile=c.profile,
                serves=[_served(m, r, members) for m, r in sorted(c.serves.items())],
            )
            for c in day
        ]
        cities = list(dict.fromkeys(city_of(c.profile) for c in day))
        days.append(VisitDay(day=number, cities=cities, visits=visits))
    served = {m for host in hosts for m in host.serves}
    plan_id = uuid4().hex
    return VisitPlan(
        plan_id=plan_id,
        created_at=datetime.now(UTC),
        target=plan_in.target,
        target_name=target_name(plan_in.target),
        delegation=members,
        days=days,
        uncovered=[m.index for m in members if m.index not in served],
        briefing_url=f"/v1/visits/{plan_id}?format=md",
    )
