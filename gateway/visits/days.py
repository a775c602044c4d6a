"""The programme: which hosts, on which day, in which order. Hosts are chosen by how much they
add for the delegation (greedy coverage, kinds kept diverse), one area per day (`areas`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.visits.areas import Area, order_areas, pick_areas, route, travel_minutes, where_is
from models.journeys import GeoPoint, HostVisit, Leg, MemberSummary, ServedMember, VisitDay
from models.matching import MatchResult
from models.places import Located, distance_km
from models.profiles import ProfilePublic

__all__ = ["Candidate", "Schedule", "choose_hosts", "plan_days"]

REPEAT_WEIGHT = 0.35  # a member already served by k hosts counts REPEAT_WEIGHT**k
SAME_KIND_WEIGHT = 0.6  # each host of the same kind already chosen


@dataclass
class Candidate:
    profile: ProfilePublic
    serves: dict[int, MatchResult] = field(default_factory=dict)


@dataclass
class Schedule:
    days: list[VisitDay]
    reason: str


def choose_hosts(
    candidates: dict[int, Candidate], *, members: int, capacity: int, coverage: list[int]
) -> tuple[list[Candidate], float]:
    """Greedy coverage: each pick adds most for members still unserved (given `coverage`, how
    often each is already served), kinds kept diverse; the picks and the gain they add."""
    covered = list(coverage) if coverage else [0] * members
    kinds: Counter[str] = Counter()
    remaining = dict(candidates)
    chosen: list[Candidate] = []
    total = 0.0

    def gain(candidate: Candidate) -> float:
        served = sum(
            max(result.score, 0.01) * REPEAT_WEIGHT ** covered[m]
            for m, result in candidate.serves.items()
        )
        return served * SAME_KIND_WEIGHT ** kinds[candidate.profile.kind]

    while remaining and len(chosen) < capacity:
        best = max(remaining.values(), key=lambda c: (gain(c), -c.profile.id))
        total += gain(best)
        chosen.append(best)
        del remaining[best.profile.id]
        kinds[best.profile.kind] += 1
        for m in best.serves:
            covered[m] += 1
    return chosen, total


def _point(located: Located | None) -> GeoPoint | None:
    if located is None:
        return None
    return GeoPoint(lat=located.lat, lon=located.lon, precision=located.precision)


def _area_name(profile: ProfilePublic) -> str:
    place = profile.city or profile.region_name or profile.country_name or profile.country
    return f"around {place.title() if place.isupper() else place}"


def _labels(indices: set[int], members: list[MemberSummary]) -> str:
    names = [members[i].label for i in sorted(indices)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def plan_days(
    candidates: dict[int, Candidate],
    *,
    members: list[MemberSummary],
    days: int,
    per_day: int,
    radius_km: float,
    served: Callable[[Candidate], list[ServedMember]],
    city: Callable[[ProfilePublic], str],
) -> Schedule:
    """One area of `radius_km` per day, the areas that add most for the delegation first, days
    ordered by distance, each day's visits in route order with the legs between them."""
    located = {pid: where_is(c.profile) for pid, c in candidates.items()}
    points = {pid: (p.lat, p.lon) if p else None for pid, p in located.items()}

    def choose(pool: list[int], coverage: list[int], capacity: int) -> tuple[list[int], float]:
        picked, gain = choose_hosts(
            {pid: candidates[pid] for pid in pool},
            members=len(members),
            capacity=capacity,
            coverage=coverage,
        )
        return [c.profile.id for c in picked], gain

    areas: list[Area] = pick_areas(
        points=points,
        serves={pid: list(c.serves) for pid, c in candidates.items()},
        members=len(members),
        days=days,
        per_day=per_day,
        radius_km=radius_km,
        choose=choose,
    )
    picked = {id(a): i for i, a in enumerate(areas)}
    out: list[VisitDay] = []
    for number, area in enumerate(order_areas(areas), start=1):
        hosts = [candidates[pid] for pid in area.hosts]
        order = route([points[c.profile.id] for c in hosts])
        hosts = [hosts[i] for i in order]
        legs = []
        for a, b in zip(hosts, hosts[1:], strict=False):
            pa, pb = points[a.profile.id], points[b.profile.id]
            if pa is None or pb is None:
                continue
            km = distance_km(pa, pb)
            legs.append(
                Leg(
                    from_profile=a.profile.id,
                    to_profile=b.profile.id,
                    distance_km=round(km, 1),
                    minutes=travel_minutes(km),
                )
            )
        serves = {m for c in hosts for m in c.serves}
        rank = picked[id(area)] + 1
        why = (
            f"{'The' if rank == 1 else f'The {_ordinal(rank)}'} best area within "
            f"{radius_km:g} km: {len(hosts)} host{'s' if len(hosts) != 1 else ''} serving "
            f"{_labels(serves, members)}."
        )
        out.append(
            VisitDay(
                day=number,
                cities=list(dict.fromkeys(city(c.profile) for c in hosts)),
                visits=[
                    HostVisit(
                        profile=c.profile, serves=served(c), location=_point(located[c.profile.id])
                    )
                    for c in hosts
                ],
                area=_area_name(candidates[area.anchor].profile),
                centre=_point(located[area.anchor]),
                legs=legs,
                why=why,
            )
        )
    considered = sum(1 for p in points.values() if p is not None)
    reason = (
        f"Of {len(candidates)} possible hosts ({considered} placed on the map), the "
        f"{len(out)} area{'s' if len(out) != 1 else ''} of {radius_km:g} km radius whose hosts "
        "together serve the most members (and serve them best) were chosen, one a day; a member "
        "already served counts less in the next area."
    )
    return Schedule(days=out, reason=reason)


def _ordinal(n: int) -> str:
    return {2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")
