"""Erasure reaches stored visit plans: a plan never shows a profile that has been deleted.

Every time a plan is answered (when it is made and each time it is fetched) the profiles it
names (hosts and delegation members) are checked against the profiles service in one batched
call (`GET /profiles?ids=...`). A plan naming a deleted profile is rewritten, and the rewritten
plan replaces the stored one: the deleted host's visit is dropped (a day left empty goes, the
days are numbered again, members no other host serves become uncovered); a delegation member
given by a deleted profile keeps its place as "Member N" without the profile's name or needs
(and the reasons that quoted its needs are replaced).
Whichever way the profile was deleted (the gateway, the profiles service, an import, another
replica), its data is never answered again; an unread stored copy is rewritten when the plan is
next read, and removed with the plan after CROSSLINK_VISIT_PLAN_TTL.
"""

from __future__ import annotations

from gateway.deps import Services
from gateway.upstream import expect
from gateway.visits.service import city_of
from models.journeys import HostVisit, MemberSummary, ServedMember, VisitDay, VisitPlan
from models.profiles import ProfilesPublic

__all__ = [
    "DELETED_NEED",
    "DELETED_REASON",
    "existing_profile_ids",
    "plan_profile_ids",
    "without_profiles",
]

DELETED_NEED = "(this member's profile has been deleted)"
DELETED_REASON = "matched the needs of this member's profile, since deleted"


def plan_profile_ids(plan: VisitPlan) -> set[int]:
    """Every profile a plan names: its hosts and the members given by profile."""
    hosts = {visit.profile.id for day in plan.days for visit in day.visits}
    return hosts | {m.profile_id for m in plan.delegation if m.profile_id is not None}


async def existing_profile_ids(*, services: Services, ids: set[int]) -> set[int]:
    """Those of `ids` the profiles service still has (one call: a plan names at most 60)."""
    if not ids:
        return set()
    params = {"ids": ",".join(str(i) for i in sorted(ids)), "limit": 500}
    body = await services.profiles.json("GET", "/profiles", params=params)
    return {profile.id for profile in expect(ProfilesPublic, body, "profiles").data}


def _scrubbed(served: ServedMember) -> ServedMember:
    """What a host offers a member whose profile was deleted, without that profile's name or
    the needs the reasons quote (the host's own passage stays)."""
    label = f"Member {served.index + 1}"
    return served.model_copy(update={"label": label, "why": [DELETED_REASON]})


def without_profiles(plan: VisitPlan, gone: set[int]) -> VisitPlan:
    """The plan with every trace of the profiles in `gone` removed."""
    delegation = [
        MemberSummary(index=m.index, label=f"Member {m.index + 1}", need=DELETED_NEED)
        if m.profile_id in gone
        else m
        for m in plan.delegation
    ]
    erased = {m.index for m in plan.delegation if m.profile_id in gone}
    days: list[VisitDay] = []
    for day in plan.days:
        visits = [
            HostVisit(
                profile=visit.profile,
                serves=[_scrubbed(s) if s.index in erased else s for s in visit.serves],
            )
            for visit in day.visits
            if visit.profile.id not in gone
        ]
        if visits:
            cities = list(dict.fromkeys(city_of(v.profile) for v in visits))
            days.append(VisitDay(day=len(days) + 1, cities=cities, visits=visits))
    served = {s.index for day in days for visit in day.visits for s in visit.serves}
    return plan.model_copy(
        update={
            "delegation": delegation,
            "days": days,
            "uncovered": [m.index for m in delegation if m.index not in served],
        }
    )
