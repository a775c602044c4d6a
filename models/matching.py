"""Partner search: the match request, filters, and explained results."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from models.common import CountryCode, RegionPrefix, SectorCode
from models.profiles import Kind, ProfilePublic

QueryText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]


class MatchFilters(BaseModel):
    """Applied before the cut: a filtered search returns `limit` results if that many qualify."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Kind] = Field(default_factory=list)
    countries: list[CountryCode] = Field(default_factory=list)
    regions: list[RegionPrefix] = Field(
        default_factory=list, description="NUTS prefixes, any level"
    )
    exclude_regions: list[RegionPrefix] = Field(default_factory=list)
    exclude_countries: list[CountryCode] = Field(default_factory=list)
    sectors: list[SectorCode] = Field(default_factory=list, description="NACE prefixes")


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: QueryText
    seeker_id: int | None = Field(default=None, description="Match on behalf of this profile")
    filters: MatchFilters = Field(default_factory=MatchFilters)
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000)
    include_own_region: bool = Field(
        default=False, description="With a seeker: keep candidates from the seeker's NUTS-2 region"
    )
    include_known_partners: bool = Field(
        default=False,
        description="With a seeker: keep its known partners (ranked up) instead of excluding them",
    )


PassageField = Literal["description", "offer", "need", "keywords", "name"]


class MatchedPassage(BaseModel):
    field: PassageField
    index: int | None = Field(default=None, description="Position in offers/needs")
    text: str


class Explanation(BaseModel):
    passage: MatchedPassage = Field(description="The candidate's passage that matched best")
    query_part: str = Field(description="The part of the query (or seeker's text) it matched")
    shared_terms: list[str] = Field(default_factory=list)
    shared_sectors: list[str] = Field(default_factory=list)
    components: dict[str, float] = Field(
        default_factory=dict, description="Score components: semantic, lexical, reciprocal, priors"
    )
    reasons: list[str] = Field(default_factory=list, description="Plain-language reasons")
    partnerships: int = Field(
        default=0,
        description="The candidate's corroborated partnerships: what the activity prior counts",
    )


class MatchResult(BaseModel):
    profile: ProfilePublic
    score: float
    explanation: Explanation


class MatchesPublic(BaseModel):
    data: list[MatchResult]
    count: int
