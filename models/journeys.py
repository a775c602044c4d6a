"""Wire schemas of the gateway's own journeys: voucher providers, hub batches, visit plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from models.common import CountryCode, ErrorDetail, Name, ProfileId, RegionCode, RegionPrefix
from models.matching import MatchFilters, MatchResult, QueryText
from models.profiles import Kind, ProfilePublic


def _exactly_one(model: BaseModel, first: str, second: str) -> None:
    if (getattr(model, first) is None) == (getattr(model, second) is None):
        raise ValueError(f"give exactly one of '{first}' or '{second}'")


class VoucherRequest(BaseModel):
    """An applicant's need (or its profile) and home region."""

    model_config = ConfigDict(extra="forbid")

    need: QueryText | None = Field(default=None, description="What the applicant needs, in words")
    profile_id: ProfileId | None = Field(default=None, description="Or: the applicant's profile")
    applicant_region: RegionCode = Field(description="The applicant's NUTS region, e.g. 'DED2'")
    countries: list[CountryCode] = Field(default_factory=list, max_length=60)
    kinds: list[Kind] = Field(default_factory=lambda: [Kind.research], max_length=6)
    limit: StrictInt = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _one_source(self) -> VoucherRequest:
        _exactly_one(self, "need", "profile_id")
        return self


class VoucherProviders(BaseModel):
    data: list[MatchResult]
    count: int
    excluded_region: str = Field(description="Providers from this NUTS region are left out")


class BatchQuery(BaseModel):
    """One query of a batch: a profile to match for, or a text."""

    model_config = ConfigDict(extra="forbid")

    profile_id: ProfileId | None = None
    text: QueryText | None = None
    filters: MatchFilters = Field(default_factory=MatchFilters)

    @model_validator(mode="after")
    def _one_source(self) -> BatchQuery:
        _exactly_one(self, "profile_id", "text")
        return self


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queries: list[Any] = Field(
        min_length=1,
        max_length=100,
        description=(
            'Up to 100 queries, each `{"profile_id": int}` or `{"text": str}` with optional '
            "`filters` (as in /v1/match). Each is checked on its own: a bad one gets an error "
            "in its slot, the others are still answered."
        ),
        examples=[[{"text": "laser welding process monitoring"}, {"profile_id": 12}]],
    )
    limit: StrictInt = Field(default=10, ge=1, le=100)


class BatchItem(BaseModel):
    index: int = Field(description="0-based position of the query in the request")
    status: Literal["ok", "error"]
    data: list[MatchResult] = Field(default_factory=list)
    count: int = 0
    error: ErrorDetail | None = None


class BatchResult(BaseModel):
    results: list[BatchItem]
    ok: int
    failed: int


class DelegationMember(BaseModel):
    """A delegation member: a profile or a need in words."""

    model_config = ConfigDict(extra="forbid")

    profile_id: ProfileId | None = None
    need: QueryText | None = None
    name: Name | None = Field(default=None, description="Label for the briefing")

    @model_validator(mode="after")
    def _one_source(self) -> DelegationMember:
        _exactly_one(self, "profile_id", "need")
        return self


class VisitPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delegation: list[DelegationMember] = Field(min_length=1, max_length=20)
    target: RegionPrefix = Field(
        description="NUTS code of any level or a country, e.g. 'DED2', 'AT'"
    )
    days: StrictInt = Field(default=2, ge=1, le=5)
    visits_per_day: StrictInt = Field(default=4, ge=1, le=8)
    radius_km: float | None = Field(
        default=None,
        ge=5,
        le=1000,
        description="Each day's hosts lie within this distance of the day's centre; default "
        "CROSSLINK_VISIT_RADIUS_KM (60 km)",
    )


class MemberSummary(BaseModel):
    index: int
    label: str
    need: str
    profile_id: int | None = None


class ServedMember(BaseModel):
    index: int = Field(description="Position of the member in the delegation")
    label: str
    score: float
    why: list[str] = Field(description="Plain-language reasons")
    passage: str = Field(description="The host's passage that matched the member's need")


class GeoPoint(BaseModel):
    lat: float
    lon: float
    precision: Literal["city", "nuts3", "nuts2", "nuts1", "country"] = Field(
        description="What the point stands for: the host's city, else its region's point"
    )


class Leg(BaseModel):
    """The way from one visit to the next on the same day."""

    from_profile: int
    to_profile: int
    distance_km: float = Field(description="Straight-line (great-circle) distance")
    minutes: int = Field(description="Estimated travel time by road")


class HostVisit(BaseModel):
    profile: ProfilePublic
    serves: list[ServedMember]
    location: GeoPoint | None = Field(default=None, description="None when it cannot be placed")


class VisitDay(BaseModel):
    day: int
    cities: list[str]
    visits: list[HostVisit] = Field(description="In the order of the route")
    area: str | None = Field(default=None, description="Where the day is, e.g. 'around Dresden'")
    centre: GeoPoint | None = Field(
        default=None, description="Every host of the day lies within radius_km of it"
    )
    legs: list[Leg] = Field(default_factory=list, description="Between consecutive visits")
    why: str | None = Field(default=None, description="Why this area was chosen")


class VisitPlan(BaseModel):
    plan_id: str
    created_at: datetime
    target: str
    target_name: str | None
    delegation: list[MemberSummary]
    days: list[VisitDay]
    uncovered: list[int] = Field(description="Members no host in the target serves")
    briefing_url: str = Field(description="GET this for the printable Markdown briefing")
    radius_km: float | None = Field(default=None, description="Each day's area radius")
    areas_reason: str | None = Field(
        default=None, description="For a whole country: how the areas were picked"
    )
