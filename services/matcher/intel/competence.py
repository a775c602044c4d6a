"""The competence map: organisations per region x field at one level, the location quotient
(the region's share in a field over the whole set's share) and the top organisations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.intel import (
    SMALL_REGION,
    CompetenceCell,
    CompetenceMap,
    Level,
    OrgRef,
    describe_specialisation,
)
from models.profiles import Kind
from models.reference import region_name
from services.matcher.intel.common import field_index, org_ref, region_at
from services.matcher.intel.landscape import Landscape

__all__ = ["Table", "competence_map", "table", "top_members"]

TOP_ORGS = 5


@dataclass
class Table:
    """Organisations per region x field at one level, and the location quotients."""

    regions: list[str]
    rows: np.ndarray  # profile rows on the map
    region_of_row: np.ndarray  # index into regions, per entry of rows
    counts: np.ndarray  # (regions, fields)
    region_total: np.ndarray
    field_total: np.ndarray
    total: int
    quotient: np.ndarray  # (regions, fields)

    def position(self, region: str) -> int | None:
        i = int(np.searchsorted(self.regions, region))
        return i if i < len(self.regions) and self.regions[i] == region else None


def table(landscape: Landscape, level: Level, kind: Kind | None = None) -> Table:
    key = ("table", level, kind)
    if key in landscape.cache:
        cached: Table = landscape.cache[key]
        return cached
    codes = [region_at(p, level) for p in landscape.profiles]
    rows = np.array(
        [
            i
            for i, p in enumerate(landscape.profiles)
            if codes[i] and (kind is None or p.kind == kind)
        ],
        dtype=np.int64,
    )
    regions, inverse = np.unique(np.array([codes[i] for i in rows], dtype=str), return_inverse=True)
    k = len(landscape.model.numbers)
    members = landscape.members[rows].astype(np.int64)
    counts = np.zeros((len(regions), k), dtype=np.int64)
    np.add.at(counts, inverse, members)
    region_total = np.bincount(inverse, minlength=len(regions))
    field_total = counts.sum(axis=0)
    total = len(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / np.maximum(region_total, 1)[:, None]
        overall = field_total / max(total, 1)
        quotient = np.where(overall > 0, share / np.where(overall > 0, overall, 1), 0.0)
    result = Table(
        regions=[str(r) for r in regions],
        rows=rows,
        region_of_row=inverse.astype(np.int64),
        counts=counts,
        region_total=region_total,
        field_total=field_total,
        total=total,
        quotient=quotient,
    )
    landscape.cache[key] = result
    return result


def top_members(landscape: Landscape, rows: np.ndarray, f: int, n: int = TOP_ORGS) -> list[OrgRef]:
    """The members of field f among `rows`, most specialised first (then most partners, id)."""
    members = rows[landscape.members[rows, f]]
    ranked = sorted(
        members,
        key=lambda r: (
            -float(landscape.weights[r, f]),
            -len(landscape.profiles[r].partners),
            landscape.profiles[r].id,
        ),
    )
    return [org_ref(landscape.profiles[r], landscape.weights[r, f]) for r in ranked[:n]]


def competence_map(
    landscape: Landscape,
    *,
    level: Level,
    field: str | None = None,
    kind: Kind | None = None,
    small_below: int = SMALL_REGION,
) -> CompetenceMap:
    """Every region x field with members: counts, location quotient, top organisations;
    regions with fewer than `small_below` organisations are marked small (no label)."""
    wanted = field_index(landscape, field) if field else None
    t = table(landscape, level, kind)
    cells = []
    for r, region in enumerate(t.regions):
        region_rows = t.rows[t.region_of_row == r]
        for f in range(t.counts.shape[1]) if wanted is None else [wanted]:
            if not t.counts[r, f]:
                continue
            small = bool(t.region_total[r] < small_below)
            quotient = round(float(t.quotient[r, f]), 4)
            cells.append(
                CompetenceCell(
                    region=region,
                    region_name=region_name(region) if level != "country" else None,
                    field=landscape.field_id(f),
                    field_label=landscape.label(f),
                    count=int(t.counts[r, f]),
                    region_total=int(t.region_total[r]),
                    field_total=int(t.field_total[f]),
                    total=t.total,
                    specialisation=quotient,
                    small=small,
                    specialisation_label=None if small else describe_specialisation(quotient),
                    top=top_members(landscape, region_rows, f),
                )
            )
    return CompetenceMap(
        level=level,
        kind=kind,
        total=t.total,
        small_below=small_below,
        data=cells,
        count=len(cells),
        computed_at=landscape.computed_at,
    )
