"""The dispatcher's own SQLModel tables (its own database): subscriptions, alerts, events,
deliveries and their attempts, the change-feed cursor and the work the feed leaves for alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = False, index: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


class Subscription(SQLModel, table=True):
    __tablename__ = "dispatcher_subscription"

    id: int | None = Field(default=None, primary_key=True)
    hub: str = Field(index=True, max_length=200)
    url: str = Field(max_length=2048)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=500)
    scope: str = Field(default="own", max_length=10)
    secret: str = Field(max_length=100)
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Alert(SQLModel, table=True):
    __tablename__ = "dispatcher_alert"

    id: int | None = Field(default=None, primary_key=True)
    hub: str = Field(index=True, max_length=200)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    profile_id: int | None = None
    filters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    top_k: int = 10
    min_score: float | None = None
    created_at: datetime = _when()


class Event(SQLModel, table=True):
    """One event, shared by every subscription it goes to; `body` is exactly what is signed."""

    __tablename__ = "dispatcher_event"

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=40)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _when()


class Delivery(SQLModel, table=True):
    __tablename__ = "dispatcher_delivery"

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(index=True)
    event_id: str = Field(index=True, max_length=40)
    status: str = Field(default="pending", index=True, max_length=10)
    next_attempt_at: datetime | None = _when(nullable=True, index=True)
    failures: int = Field(default=0, description="Failed attempts since it was (re)queued")
    retry_since: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    delivered_at: datetime | None = _when(nullable=True)


class Attempt(SQLModel, table=True):
    __tablename__ = "dispatcher_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(index=True)
    at: datetime = _when()
    status_code: int | None = None
    latency_ms: float = 0.0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Cursor(SQLModel, table=True):
    """How far the dispatcher has read the profiles change feed."""

    __tablename__ = "dispatcher_cursor"

    name: str = Field(primary_key=True, max_length=40)
    seq: int = 0


class ProfileOwner(SQLModel, table=True):
    """Who owns each profile, so an `own`-scoped subscription also hears of its deletions."""

    __tablename__ = "dispatcher_profile_owner"

    profile_id: int = Field(primary_key=True)
    owner: str | None = Field(default=None, max_length=200)


class AlertCheck(SQLModel, table=True):
    """A created/updated profile still to be checked against the alerts (written with the
    cursor advance, deleted with the alert events it produced)."""

    __tablename__ = "dispatcher_alert_check"

    seq: int = Field(primary_key=True)
    profile_id: int
    not_before: datetime | None = _when(nullable=True)


class AlertMember(SQLModel, table=True):
    """A profile currently in an alert's results: it fires again only after leaving them."""

    __tablename__ = "dispatcher_alert_member"
    __table_args__ = (UniqueConstraint("alert_id", "profile_id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    profile_id: int = Field(index=True)


class AlertMatchRow(SQLModel, table=True):
    """What an alert found, for the pull API; `id` is the cursor."""

    __tablename__ = "dispatcher_alert_match"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    event_id: str = Field(max_length=40)
    hit: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    matched_at: datetime = _when()
