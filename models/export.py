"""Export wire shapes: the query of `GET /v1/profiles/export` (and the profiles service's
`GET /profiles/export`), the formats and their media types, and the CSV columns that both the
export writes and `crosslink import` reads.

An exported line is a `ProfileCreate` (JSONL: one JSON object per line; CSV: the columns below,
list fields as `|`-separated values or a JSON array, contact split into three columns), so what
is exported can be imported again. `contact` is present only where the caller may see it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from models.common import CountryCode, RegionPrefix, SectorCode
from models.profiles import Kind, ProfileCreate

__all__ = [
    "CSV_COLUMNS",
    "CSV_CONTACT_COLUMNS",
    "EXPORT_MEDIA_TYPES",
    "LIST_FIELDS",
    "ExportFormat",
    "ProfileExportQuery",
    "ServiceExportQuery",
]


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


EXPORT_MEDIA_TYPES = {
    ExportFormat.jsonl: "application/x-ndjson",
    ExportFormat.csv: "text/csv; charset=utf-8",
}

LIST_FIELDS = ("partners", "offers", "needs", "keywords", "sectors", "languages")
CSV_CONTACT_COLUMNS = {
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_person": "person",
}
CSV_COLUMNS = tuple(name for name in ProfileCreate.model_fields if name != "contact") + tuple(
    CSV_CONTACT_COLUMNS
)


class ProfileExportQuery(BaseModel):
    """The filters of `GET /v1/profiles` (without paging: an export is every match)."""

    model_config = ConfigDict(extra="ignore")

    format: ExportFormat = Field(default=ExportFormat.jsonl, description="jsonl or csv")
    kind: list[Kind] = Field(default_factory=list, description="Repeatable")
    country: list[CountryCode] = Field(default_factory=list, description="Repeatable, ISO alpha-2")
    region: list[RegionPrefix] = Field(default_factory=list, description="NUTS prefix, repeatable")
    sector: list[SectorCode] = Field(default_factory=list, description="NACE prefix, repeatable")
    external_id: Annotated[str | None, Field(max_length=200)] = None
    owner: Annotated[str | None, Field(max_length=200, description="Owning hub")] = None
    q: Annotated[str | None, Field(max_length=200, description="Text contains")] = None


class ServiceExportQuery(ProfileExportQuery):
    """What the gateway asks the profiles service: the filters and whose contacts to include."""

    include_contact: bool = Field(default=False, description="Every profile's contact")
    contacts_owner: Annotated[
        str | None, Field(max_length=200, description="Contacts of this hub's profiles")
    ] = None
