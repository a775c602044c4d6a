"""Partner search: the match request, filters, and explained results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from models.common import CountryCode, LanguageCode, ProfileId, RegionPrefix, SectorCode
from models.feedback import MAX_EXCLUDE
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


FILTER_FIELDS = tuple(MatchFilters.model_fields)
FEEDBACK_FIELDS = ("exclude_ids", "boost_ids")


class MatchPaging(BaseModel):
    """Which slice of the ranking, and what a seeker's own neighbourhood may contribute."""

    # Strict in a JSON body (`false` is not an offset, 0 is not a flag); MatchQuery parses the
    # same fields from query strings.
    limit: StrictInt = Field(default=10, ge=1, le=100)
    offset: StrictInt = Field(default=0, ge=0, le=1_000)
    include_own_region: StrictBool = Field(
        default=False, description="With a seeker: keep candidates from the seeker's NUTS-2 region"
    )
    include_known_partners: StrictBool = Field(
        default=False,
        description="With a seeker: keep its known partners (ranked up) instead of excluding them",
    )
    # Internal (gateway -> matcher), set from the caller's own feedback and not part of the
    # public schema: candidates this caller hid or marked not relevant, and those it endorsed.
    # (SkipJsonSchema would hide them, but FastAPI cannot then render them as query parameters.)
    exclude_ids: list[ProfileId] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDE,
        description="Internal: set by the gateway from the caller's own feedback (replaced)",
    )
    boost_ids: list[ProfileId] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDE,
        description="Internal: set by the gateway from the caller's own feedback (replaced)",
    )


class MatchOptions(MatchPaging):
    """The match options: filters, paging and the seeker flags, for text and profile matches."""

    filters: MatchFilters = Field(default_factory=MatchFilters)


class MatchRequest(MatchOptions):
    """`POST /match`: partners for a text, optionally on behalf of a seeker profile."""

    model_config = ConfigDict(extra="forbid")

    text: QueryText
    seeker_id: ProfileId | None = Field(default=None, description="Match on behalf of this profile")

    def options(self) -> MatchOptions:
        return MatchOptions.model_validate(self.model_dump(include=set(MatchOptions.model_fields)))


def _split(value: object) -> object:
    """Repeatable or comma-separated: `?kinds=sme&kinds=research` or `?kinds=sme,research`."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    out: list[object] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip())
        else:
            out.append(item)
    return out


# Query strings: "20" is a limit, "true"/"1"/"yes"/"on" a flag.
_SCALARS: dict[str, TypeAdapter[Any]] = {
    "limit": TypeAdapter(int),
    "offset": TypeAdapter(int),
    "include_own_region": TypeAdapter(bool),
    "include_known_partners": TypeAdapter(bool),
}


class MatchQuery(MatchFilters, MatchPaging):
    """The match options as query parameters (`GET .../matches`): the filters flat, each
    repeatable or comma-separated. The gateway and the matcher read the same model."""

    model_config = ConfigDict(extra="ignore")

    @field_validator(*FILTER_FIELDS, *FEEDBACK_FIELDS, mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return _split(value)

    @field_validator(*_SCALARS, mode="before")
    @classmethod
    def _from_query_string(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        try:
            return _SCALARS[str(info.field_name)].validate_python(value)
        except ValidationError:
            return value  # refused by the strict field, with its message

    def options(self) -> MatchOptions:
        filters = MatchFilters.model_validate(self.model_dump(include=set(FILTER_FIELDS)))
        paging = self.model_dump(include=set(MatchPaging.model_fields))
        return MatchOptions(filters=filters, **paging)

    @staticmethod
    def params(options: MatchOptions) -> list[tuple[str, str]]:
        """The options as query parameters for a call upstream (defaults left out)."""
        params = [("limit", str(options.limit)), ("offset", str(options.offset))]
        for flag in ("include_own_region", "include_known_partners"):
            if getattr(options, flag):
                params.append((flag, "true"))
        for name, values in options.filters.model_dump(mode="json").items():
            params.extend((name, str(value)) for value in values)
        for name in FEEDBACK_FIELDS:  # comma-separated: up to MAX_EXCLUDE ids stay a short URL
            if ids := getattr(options, name):
                params.append((name, ",".join(map(str, ids))))
        return params


PassageField = Literal["description", "offer", "need", "keywords", "name"]


class MatchedPassage(BaseModel):
    field: PassageField
    index: int | None = Field(default=None, description="Position in offers/needs")
    text: str


class AcrossLanguages(BaseModel):
    """A need and a candidate written in different languages (both detected with confidence)."""

    need: LanguageCode = Field(description="ISO 639-1 code of the need's language, e.g. 'de'")
    candidate: LanguageCode = Field(description="ISO 639-1 code of the candidate's, e.g. 'en'")


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
    across_languages: AcrossLanguages | None = Field(
        default=None,
        description="Set when it matched across languages: the need is written in one, the "
        "candidate in another (absent when they are the same or either is unknown); BM25 does "
        "not count then, and the `lexical` component stands in from the semantic one",
    )


class MatchResult(BaseModel):
    profile: ProfilePublic
    score: float
    explanation: Explanation


class MatchesPublic(BaseModel):
    data: list[MatchResult]
    count: int
