"""The profile family (ProfileBase -> ProfileCreate / ProfileUpdate / ProfilePublic /
ProfilesPublic), the change feed and import results."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from models import reference
from models.common import (
    CountryCode,
    Description,
    ExternalId,
    Keyword,
    LanguageCode,
    Name,
    RegionCode,
    SectorCode,
    ShortText,
)

# Internal header of a create (gateway -> profiles service): a hash of the caller and its
# Idempotency-Key, so a create whose answer was lost is never made twice.
REQUEST_KEY_HEADER = "X-Crosslink-Request-Key"


class Kind(StrEnum):
    sme = "sme"
    research = "research"
    cluster = "cluster"
    company = "company"
    public = "public"
    other = "other"


class Contact(BaseModel):
    """Private: shown only to the owner or a key with the `contacts` scope."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50, pattern=r"^[0-9+()./\- ]{3,50}$")
    person: str | None = Field(default=None, max_length=200)


def _check_region_country(country: str | None, region: str | None) -> None:
    if country and region and region[:2] != country:
        raise ValueError(
            f"region '{region}' lies in country '{region[:2]}', not in '{country}'; "
            "the region's first two letters must be the country"
        )


class ProfileBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId | None = None
    name: Name
    kind: Kind
    country: CountryCode
    region: RegionCode | None = None
    city: str | None = Field(default=None, max_length=200)
    description: Description
    offers: list[ShortText] = Field(default_factory=list, max_length=50)
    needs: list[ShortText] = Field(default_factory=list, max_length=50)
    keywords: list[Keyword] = Field(default_factory=list, max_length=100)
    sectors: list[SectorCode] = Field(default_factory=list, max_length=50)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=30)
    website: HttpUrl | None = None
    partners: list[ExternalId] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _region_in_country(self) -> ProfileBase:
        _check_region_country(self.country, self.region)
        return self


class ProfileCreate(ProfileBase):
    contact: Contact | None = None


class ProfileUpdate(BaseModel):
    """Every field optional; only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    # name, kind, country and description may be left out but not cleared: null is refused
    # (422), and the schema says so (no null alternative in the document).
    external_id: ExternalId | None = None
    name: Name | SkipJsonSchema[None] = None
    kind: Kind | SkipJsonSchema[None] = None
    country: CountryCode | SkipJsonSchema[None] = None
    region: RegionCode | None = None
    city: str | None = Field(default=None, max_length=200)
    description: Description | SkipJsonSchema[None] = None
    offers: list[ShortText] | None = Field(default=None, max_length=50)
    needs: list[ShortText] | None = Field(default=None, max_length=50)
    keywords: list[Keyword] | None = Field(default=None, max_length=100)
    sectors: list[SectorCode] | None = Field(default=None, max_length=50)
    languages: list[LanguageCode] | None = Field(default=None, max_length=30)
    website: HttpUrl | None = None
    partners: list[ExternalId] | None = Field(default=None, max_length=10_000)
    contact: Contact | None = None
    version: StrictInt | None = Field(
        default=None, description="Optimistic concurrency, like If-Match"
    )

    @field_validator("name", "kind", "country", "description")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; send a value or leave the field out")
        return value

    @model_validator(mode="after")
    def _region_in_country(self) -> ProfileUpdate:
        _check_region_country(self.country, self.region)
        return self


class ProfilePublic(ProfileBase):
    """What clients see. `contact` is present only when the caller may see it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    region_name: str | None = None
    country_name: str | None = None
    owner: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int
    contact: Contact | None = None

    @model_validator(mode="after")
    def _names(self) -> ProfilePublic:
        if self.region_name is None:
            self.region_name = reference.region_name(self.region)
        if self.country_name is None:
            self.country_name = reference.country_name(self.country)
        return self


class ProfilesPublic(BaseModel):
    data: list[ProfilePublic]
    count: int = Field(description="Number of items in this page")
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")


class ChangeOp(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class Change(BaseModel):
    seq: int
    op: ChangeOp
    profile_id: int
    profile: ProfilePublic | None = None


class ChangesPublic(BaseModel):
    changes: list[Change]
    last_seq: int = Field(description="Highest seq in the feed (not only in this page)")


ItemStatus = Literal["created", "updated", "unchanged", "rejected"]


class ImportItem(BaseModel):
    line: int = Field(
        description="1-based line (JSONL), row (CSV, header is line 1) or array index + 1"
    )
    status: ItemStatus
    id: int | None = None
    external_id: str | None = None
    error: str | None = None


class ImportResult(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    items: list[ImportItem] = Field(default_factory=list)
