"""Webhooks and saved-search alerts: subscriptions, deliveries, alerts and the event payloads.

Events are sent per the Standard Webhooks specification: the body is `WebhookEvent` as JSON,
signed with the subscription's secret (headers `webhook-id`, `webhook-timestamp`,
`webhook-signature`). The `webhook-id` is the event's `id`; redeliveries reuse it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from models.matching import Explanation, MatchFilters, QueryText
from models.profiles import ProfilePublic


class EventType(StrEnum):
    profile_created = "profile.created"
    profile_updated = "profile.updated"
    profile_deleted = "profile.deleted"
    match_alert = "match.alert"


TEST_EVENT = "webhook.test"

WebhookScope = Literal["own", "all"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
WebhookDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="http(s) URL receiving POSTs; private addresses are refused")
    events: list[EventType] = Field(min_length=1, max_length=4)
    description: WebhookDescription | None = None
    scope: WebhookScope = Field(
        default="own", description="profile.* events for the hub's own profiles, or all"
    )


class WebhookUpdate(BaseModel):
    """Every field optional; `enabled: true` re-enables a subscription disabled by failures."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=4)
    description: WebhookDescription | None = None
    scope: WebhookScope | None = None
    enabled: bool | None = None


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[EventType]
    description: str | None = None
    scope: WebhookScope
    enabled: bool
    disabled_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Signing secret (whsec_...); shown only in this answer")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None = Field(default=None, description="None when no answer came")
    latency_ms: float
    error: str | None = None


class DeliveryPublic(BaseModel):
    id: int
    webhook_id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    next_attempt_at: datetime | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int


class AlertCreate(BaseModel):
    """A saved search: `text` or `profile_id` (partners for that profile), not both."""

    model_config = ConfigDict(extra="forbid")

    text: QueryText | None = None
    profile_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    filters: MatchFilters = Field(default_factory=MatchFilters)
    top_k: int = Field(default=10, ge=1, le=100, description="Fires when a profile enters these")
    min_score: float | None = Field(
        default=None, ge=0, description="And, if set, when its score reaches this"
    )

    @model_validator(mode="after")
    def _one_query(self) -> AlertCreate:
        if (self.text is None) == (self.profile_id is None):
            raise ValueError("send either 'text' or 'profile_id' (exactly one of them)")
        return self


class AlertPublic(AlertCreate):
    id: int
    created_at: datetime


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


class AlertHit(BaseModel):
    """The `data` of a `match.alert` event, and one item of the pull list."""

    alert_id: int
    profile: ProfilePublic
    rank: int = Field(description="1-based position in the alert's results")
    score: float
    explanation: Explanation


class AlertMatch(AlertHit):
    cursor: int = Field(description="Pass as ?after= to get only later matches")
    event_id: str
    matched_at: datetime


class AlertMatchesPublic(BaseModel):
    data: list[AlertMatch]
    count: int
    next_cursor: int | None = Field(default=None, description="The last item's cursor")


class ProfileEventData(BaseModel):
    """The `data` of `profile.*` events: public fields only, never contact details."""

    profile_id: int
    seq: int = Field(description="The change feed's sequence number")
    profile: ProfilePublic | None = Field(default=None, description="None for profile.deleted")


class WebhookEvent(BaseModel):
    """The body of every delivery."""

    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]
