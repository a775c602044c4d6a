"""Visit days an ambassador can travel: each day's hosts lie within one area (a circle of the
configured radius around one of them), the areas are picked by how much of the delegation they
cover, the days follow each other by distance, and within a day the visits follow a route.

Travel times are estimates: the straight-line distance times ROAD_FACTOR at AVERAGE_SPEED_KMH,
plus TRANSFER_MINUTES for parking and finding the door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models.places import Located, distance_km, locate
from models.profiles import ProfilePublic

__all__ = [
    "AVERAGE_SPEED_KMH",
    "ROAD_FACTOR",
    "TRANSFER_MINUTES",
    "TRAVEL_NOTE",
    "Area",
    "order_areas",
    "pick_areas",
    "route",
    "travel_minutes",
    "where_is",
]

ROAD_FACTOR = 1.3
AVERAGE_SPEED_KMH = 60.0
TRANSFER_MINUTES = 10
TRAVEL_NOTE = (
    f"Travel times are estimates: the straight-line distance × {ROAD_FACTOR:g} at "
    f"{AVERAGE_SPEED_KMH:g} km/h, plus {TRANSFER_MINUTES} minutes."
)


def where_is(profile: ProfilePublic) -> Located | None:
    return locate(country=profile.country, region=profile.region, city=profile.city)


def travel_minutes(km: float) -> int:
    return round(km * ROAD_FACTOR / AVERAGE_SPEED_KMH * 60) + TRANSFER_MINUTES


@dataclass
class Area:
    """One day's area: the hosts chosen in it, around the anchor host's location."""

    anchor: int  # profile id
    centre: tuple[float, float] | None
    hosts: list[int]
    gain: float


Chooser = Callable[[list[int], list[int], int], tuple[list[int], float]]


def pick_areas(
    *,
    points: dict[int, tuple[float, float] | None],
    serves: dict[int, list[int]],
    members: int,
    days: int,
    per_day: int,
    radius_km: float,
    choose: Chooser,
) -> list[Area]:
    """Day by day, the area whose best `per_day` hosts add most for the delegation.

    `points` and `serves` are per candidate (profile id): its location and the members it
    serves. `choose(pool, coverage, capacity)` picks hosts from a pool given how often each
    member is already served, and returns their ids and the gain they add.
    """
    remaining = sorted(points)
    coverage = [0] * members
    areas: list[Area] = []
    for _ in range(days):
        best: tuple[float, int, int] | None = None
        best_hosts: list[int] = []
        for anchor in remaining:
            centre = points[anchor]
            pool = [
                pid
                for pid in remaining
                if pid == anchor
                or (
                    centre is not None
                    and (point := points[pid]) is not None
                    and distance_km(centre, point) <= radius_km
                )
            ]
            hosts, gain = choose(pool, coverage, per_day)
            key = (gain, len(hosts), -anchor)
            if hosts and (best is None or key > best):
                best, best_hosts = key, hosts
        if best is None or best[0] <= 0:
            break
        anchor = -best[2]
        areas.append(Area(anchor=anchor, centre=points[anchor], hosts=best_hosts, gain=best[0]))
        for pid in best_hosts:
            remaining.remove(pid)
            for m in serves[pid]:
                coverage[m] += 1
    return areas


def order_areas(areas: list[Area]) -> list[Area]:
    """The best-covering area first, then always the nearest one not yet visited."""
    if not areas:
        return []
    ordered = [areas[0]]
    rest = areas[1:]
    while rest:
        here = ordered[-1].centre
        if here is None:
            ordered.append(rest.pop(0))
            continue

        def away(area: Area, here: tuple[float, float] = here) -> float:
            return distance_km(here, area.centre) if area.centre else float("inf")

        ordered.append(rest.pop(min(range(len(rest)), key=lambda i: away(rest[i]))))
    return ordered


def route(points: list[tuple[float, float] | None]) -> list[int]:
    """A short path through the points (indices): start at an end, go to the nearest next."""
    located = [i for i, p in enumerate(points) if p is not None]
    if len(located) < 2:
        return [*located, *(i for i, p in enumerate(points) if p is None)]

    def at(i: int) -> tuple[float, float]:
        point = points[i]
        assert point is not None
        return point

    centre = (
        sum(at(i)[0] for i in located) / len(located),
        sum(at(i)[1] for i in located) / len(located),
    )
    start = max(located, key=lambda i: (distance_km(centre, at(i)), -i))
    path, left = [start], [i for i in located if i != start]
    while left:
        nxt = min(left, key=lambda i: (distance_km(at(path[-1]), at(i)), i))
        path.append(nxt)
        left.remove(nxt)
    return [*path, *(i for i, p in enumerate(points) if p is None)]
