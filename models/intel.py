"""Cluster intelligence: technology fields, the competence map, cross-sector bridges and a
cluster's potential. Figures are computed by the matcher; the gateway passes them on."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from models.common import RegionPrefix
from models.matching import MatchedPassage
from models.profiles import Kind
from models.tabular import csv_text

Level = Literal["country", "nuts1", "nuts2"]
SMALL_REGION = 5  # fewer organisations than this: "too few organisations" for an index
Specialisation = Literal["strongly specialised", "above average", "about average", "below average"]
FieldId = str  # "F3": stable while the data does not change much
ComputedAt = Annotated[
    datetime | None,
    Field(
        description="When the figures were computed (in the background, after the last writes "
        "settled); they reflect the profiles as they were then"
    ),
]


class CompetenceQuery(BaseModel):
    """The query parameters of the competence map, the same for the matcher and the gateway."""

    level: Level = "nuts2"
    field: str | None = Field(default=None, max_length=20, description="A field id, e.g. F3")
    kind: Kind | None = None
    format: Literal["json", "csv"] = Field(default="json", description="csv: one row a cell")
    small_below: int = Field(
        default=SMALL_REGION,
        ge=1,
        le=10_000,
        description="Regions with fewer organisations are marked `small`: their index rests on "
        "a handful of organisations and gets no label",
    )

    def upstream(self) -> dict[str, str]:
        """The parameters the matcher computes from (the format is rendered downstream)."""
        params: dict[str, str] = {"level": self.level, "small_below": str(self.small_below)}
        if self.field:
            params["field"] = self.field
        if self.kind:
            params["kind"] = self.kind.value
        return params


class BridgesQuery(BaseModel):
    """The query parameters of the bridges, the same for the matcher and the gateway."""

    from_region: RegionPrefix | None = Field(
        default=None, description="The seeker's country or NUTS region"
    )
    to_region: RegionPrefix | None = Field(
        default=None, description="The provider's country or NUTS region"
    )
    min_distance: float = Field(
        default=0.0, ge=0.0, le=2.0, description="Least 1 - cosine between the two fields"
    )
    limit: int = Field(default=20, ge=1, le=100)

    def upstream(self) -> dict[str, str]:
        params: dict[str, str] = {"min_distance": str(self.min_distance), "limit": str(self.limit)}
        if self.from_region:
            params["from_region"] = self.from_region
        if self.to_region:
            params["to_region"] = self.to_region
        return params


class TechField(BaseModel):
    """A technology field: a cluster of the profiles' competence passages."""

    id: FieldId
    label: str = Field(
        description="The field's name: its most characteristic keyphrases, e.g. 'Hydrogen and "
        "fuel cells'"
    )
    terms: list[str] = Field(description="Its most characteristic terms (c-TF-IDF), best first")
    size: int = Field(description="Organisations with this field among their competences")
    passages: int = Field(description="Competence passages (description, offers, keywords)")


class FieldsPublic(BaseModel):
    data: list[TechField]
    count: int
    profiles: int = Field(description="Profiles the fields were computed on")
    seq: int = Field(description="Change-feed position of the data they were computed on")
    computed_at: ComputedAt = None


class OrgRef(BaseModel):
    """An organisation as the intelligence views name it (public fields only)."""

    id: int
    name: str
    kind: Kind
    country: str
    region: str | None = None
    weight: float = Field(
        default=1.0, description="Share of its competence passages in the field at hand"
    )


class CompetenceCell(BaseModel):
    """One region x field. specialisation = (count / region_total) / (field_total / total):
    above 1 the region holds a larger share of the field than the whole set does."""

    region: str
    region_name: str | None = None
    field: FieldId
    field_label: str
    count: int = Field(description="Organisations of the region in the field")
    region_total: int = Field(description="Organisations of the region")
    field_total: int = Field(description="Organisations in the field, all regions")
    total: int = Field(description="Organisations on the map")
    specialisation: float
    small: bool = Field(
        default=False,
        description="The region has fewer organisations than `small_below`: the index rests on "
        "a handful of them, so it is not read as a specialisation",
    )
    specialisation_label: Specialisation | None = Field(
        default=None, description="The index in words; None for a small region"
    )
    top: list[OrgRef] = Field(default_factory=list, description="Its most specialised members")


CSV_COLUMNS = [
    "region",
    "region_name",
    "field",
    "field_label",
    "count",
    "region_total",
    "field_total",
    "total",
    "specialisation",
    "top_organisations",
    "small",
    "specialisation_label",
]


def describe_specialisation(value: float) -> Specialisation:
    """The index in words, the same on the pages and in the API."""
    if value >= 2:
        return "strongly specialised"
    if value >= 1.25:
        return "above average"
    if value > 0.8:
        return "about average"
    return "below average"


class CompetenceMap(BaseModel):
    level: Level
    kind: Kind | None = None
    total: int
    small_below: int = Field(default=SMALL_REGION, description="See CompetenceCell.small")
    data: list[CompetenceCell]
    count: int
    computed_at: ComputedAt = None

    def to_csv(self) -> str:
        """One row per region x field; the top organisations `;`-separated."""
        rows = (
            [
                c.region,
                c.region_name or "",
                c.field,
                c.field_label,
                c.count,
                c.region_total,
                c.field_total,
                c.total,
                f"{c.specialisation:.4f}",
                "; ".join(o.name for o in c.top),
                "true" if c.small else "false",
                c.specialisation_label or "",
            ]
            for c in self.data
        )
        return csv_text(CSV_COLUMNS, rows)


class Bridge(BaseModel):
    """The provider's offer answers the seeker's need; they work in different fields."""

    seeker: OrgRef
    provider: OrgRef
    seeker_field: FieldId
    provider_field: FieldId
    field_distance: float = Field(description="1 - cosine of the two fields' centroids")
    similarity: float = Field(description="Cosine of the need and the offer")
    need: MatchedPassage
    offer: MatchedPassage
    reason: str


class FieldPair(BaseModel):
    seeker_field: FieldId
    seeker_label: str
    provider_field: FieldId
    provider_label: str
    field_distance: float
    bridges: int
    mean_similarity: float


class BridgesPublic(BaseModel):
    data: list[Bridge]
    count: int
    field_pairs: list[FieldPair] = Field(description="The bridges aggregated by pair of fields")
    computed_at: ComputedAt = None


class FieldStanding(BaseModel):
    """One of a profile's fields and how specialised its region is in it."""

    field: FieldId
    label: str
    weight: float
    region: str | None
    count: int
    specialisation: float | None = Field(description="None when the profile has no region")


class Peer(BaseModel):
    profile: OrgRef
    similarity: float
    shared_fields: list[FieldId]


class Opportunity(BaseModel):
    """A field where the profile's region is weak and a neighbouring region is strong."""

    field: FieldId
    label: str
    region: str
    specialisation: float
    count: int
    neighbour: str
    neighbour_name: str | None = None
    scope: Literal["nuts1", "country"] = Field(description="Same NUTS-1 region or same country")
    neighbour_specialisation: float
    neighbour_count: int
    examples: list[OrgRef] = Field(default_factory=list)


class ClusterPotential(BaseModel):
    profile: OrgRef
    region: str | None
    fields: list[FieldStanding]
    peers: list[Peer]
    complementary: list[Bridge]
    opportunities: list[Opportunity]
    computed_at: ComputedAt = None
