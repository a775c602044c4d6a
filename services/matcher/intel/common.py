"""What every intelligence view shares: the fields as published, a field looked up by id, an
organisation reference, and where a profile is."""

from __future__ import annotations

from crosslink.errors import InvalidInput
from models.intel import FieldsPublic, Level, OrgRef, TechField
from models.profiles import ProfilePublic
from models.reference import nuts2_of
from services.matcher.intel.landscape import Landscape

__all__ = ["field_index", "fields_public", "in_region", "org_ref", "place", "region_at"]


def fields_public(landscape: Landscape) -> FieldsPublic:
    sizes = landscape.members.sum(axis=0)
    data = [
        TechField(
            id=landscape.field_id(i),
            label=landscape.label(i),
            terms=landscape.labels[i],
            size=int(sizes[i]),
            passages=int(landscape.field_passages[i]),
        )
        for i in range(len(landscape.model.numbers))
    ]
    return FieldsPublic(
        data=data,
        count=len(data),
        profiles=len(landscape.profiles),
        seq=landscape.seq,
        computed_at=landscape.computed_at,
    )


def field_index(landscape: Landscape, field_id: str) -> int:
    i = landscape.index_of(field_id.strip().upper())
    if i is None:
        known = ", ".join(landscape.model.ids[:10]) or "none yet"
        raise InvalidInput(
            f"field '{field_id}' is not a technology field; expected one of {known} "
            "(see GET /fields)",
            details={"field": field_id, "accepted": landscape.model.ids},
        )
    return i


def org_ref(profile: ProfilePublic, weight: float = 1.0) -> OrgRef:
    return OrgRef(
        id=profile.id,
        name=profile.name,
        kind=profile.kind,
        country=profile.country,
        region=profile.region,
        weight=round(float(weight), 4),
    )


def region_at(profile: ProfilePublic, level: Level) -> str | None:
    """The profile's region at `level`, None when its region is not that precise."""
    if level == "country":
        return profile.country
    size = 3 if level == "nuts1" else 4
    region = profile.region or ""
    return region[:size] if len(region) >= size else None


def in_region(profile: ProfilePublic, prefix: str) -> bool:
    if len(prefix) == 2:
        return profile.country == prefix
    return (profile.region or "").startswith(prefix)


def place(profile: ProfilePublic) -> str:
    """Where a profile is, for telling regions apart: its NUTS-2 region, else its country."""
    return nuts2_of(profile.region) or profile.country
