"""The time split: an index of organisations profiled from projects signed before the cutoff,
and queries from later multi-partner projects with the seeker's real co-beneficiaries."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from eval.config import EvalSettings
from models.reference import nuts2_of
from services.profiles.cordis import BENEFICIARY_ROLES, CordisData, Project, build_profiles


@dataclass
class Query:
    project_id: str
    text: str
    seeker: int
    seeker_kind: str
    relevant: set[int]  # co-beneficiaries in other NUTS-2 regions, in the index
    known: set[int] = field(default_factory=set)  # the seeker's partners before the cutoff
    region: str | None = None  # the seeker's NUTS-2 region (what an anonymous need excludes)

    @property
    def relevant_new(self) -> set[int]:
        return self.relevant - self.known


@dataclass
class Split:
    profiles: list[dict[str, Any]]  # index position + 1 is the profile id
    activity: list[int]  # projects before the cutoff, per profile
    queries: list[Query]
    _regions2: np.ndarray | None = field(default=None, repr=False)

    def region2(self, pid: int) -> str | None:
        return nuts2_of(self.profiles[pid - 1].get("region"))

    @property
    def regions2(self) -> np.ndarray:
        """NUTS-2 region per profile (index = id - 1), '' where unknown."""
        if self._regions2 is None:
            self._regions2 = np.array(
                [nuts2_of(r.get("region")) or "" for r in self.profiles], dtype=object
            )
        return self._regions2


def need_text(project: Project) -> str:
    """A project as a need: its title and objective (what every query asks)."""
    return f"{project.title}. {project.objective}"[:10_000]


def _shorten(record: dict[str, Any], settings: EvalSettings) -> dict[str, Any]:
    description = record["description"]
    if len(description) > settings.eval_description_chars:
        description = description[: settings.eval_description_chars].rsplit(" ", 1)[0]
    return {
        **record,
        "description": description,
        "offers": record["offers"][: settings.eval_offers],
        "keywords": record["keywords"][: settings.eval_keywords],
    }


FORMATS = ("cordis", "description")


def description_only(record: dict[str, Any]) -> dict[str, Any]:
    """What an outside evaluator imports with `crosslink import`: name, kind, country, region,
    sectors and a description; no offers, keywords or partners."""
    keep = ("external_id", "name", "kind", "country", "region", "sectors", "description")
    return {k: record[k] for k in keep if k in record} | {
        "offers": [],
        "keywords": [],
        "partners": [],
    }


def formatted(split: Split, fmt: str) -> Split:
    """The same split (queries, activity) with profiles in another format."""
    if fmt == "cordis":
        return split
    if fmt != "description":
        raise ValueError(f"unknown profile format {fmt!r}; expected one of {FORMATS}")
    return Split([description_only(r) for r in split.profiles], split.activity, split.queries)


def build_split(
    data: CordisData,
    settings: EvalSettings,
    *,
    cutoff: date | None = None,
    queries_before: date | None = None,
    queries: int | None = None,
) -> Split:
    """Deterministic for given data and settings; `cutoff`, `queries_before` and `queries`
    override the settings' (the matrix builds several splits from one configuration)."""
    rng = random.Random(settings.eval_seed)
    cutoff = cutoff or settings.eval_cutoff
    wanted = queries or settings.eval_queries
    records = list(build_profiles(data, signed_before=cutoff))
    records.sort(key=lambda r: r["external_id"])
    if settings.eval_pool and len(records) > settings.eval_pool:
        records = sorted(rng.sample(records, settings.eval_pool), key=lambda r: r["external_id"])
    profiles = [_shorten(r, settings) for r in records]
    id_of = {r["external_id"].removeprefix("cordis:"): i for i, r in enumerate(profiles, start=1)}
    activity_of: Counter[str] = Counter()
    for pid, project in data.projects.items():
        if project.signed is not None and project.signed < cutoff:
            activity_of.update({m.org_id for m in data.members.get(pid, [])})
    activity = [activity_of[r["external_id"].removeprefix("cordis:")] for r in profiles]

    found: list[Query] = []
    end = queries_before or settings.eval_queries_before
    later = sorted(
        pid
        for pid, p in data.projects.items()
        if p.signed is not None and p.signed >= cutoff and (end is None or p.signed < end)
    )
    for pid in later:
        members = data.members.get(pid, [])
        beneficiaries = [m for m in members if m.role in BENEFICIARY_ROLES and m.org_id in id_of]
        coordinators = [m for m in beneficiaries if m.role == "coordinator"]
        if not beneficiaries:
            continue
        seeker_m = (coordinators or beneficiaries)[0]
        seeker = id_of[seeker_m.org_id]
        seeker_region = nuts2_of(profiles[seeker - 1].get("region"))
        relevant = {
            id_of[m.org_id]
            for m in beneficiaries
            if id_of[m.org_id] != seeker
            and (
                seeker_region is None
                or nuts2_of(profiles[id_of[m.org_id] - 1].get("region")) != seeker_region
            )
        }
        if not relevant:
            continue
        project = data.projects[pid]
        known = {
            id_of[p.removeprefix("cordis:")]
            for p in profiles[seeker - 1]["partners"]
            if p.removeprefix("cordis:") in id_of
        }
        found.append(
            Query(
                project_id=pid,
                text=need_text(project),
                seeker=seeker,
                seeker_kind=profiles[seeker - 1]["kind"],
                relevant=relevant,
                known=known,
                region=seeker_region,
            )
        )
    if len(found) > wanted:
        found = rng.sample(found, wanted)
    return Split(profiles, activity, found)
