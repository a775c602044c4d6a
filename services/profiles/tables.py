"""SQLModel tables: profiles, the change feed and the feedback on suggestions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, delete, event, or_
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


# No default_factory below: SQLModel inspects each factory's signature on every construction,
# which made bulk imports several times slower. Writers set these values explicitly.


class Profile(SQLModel, table=True):
    # AUTOINCREMENT: SQLite would otherwise hand a deleted profile's id (the highest) to the next
    # profile, and a link to the deleted one would silently point at another hub's profile.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, unique=True, index=True, max_length=200)
    name: str = Field(max_length=300)
    kind: str = Field(index=True, max_length=20)
    country: str = Field(index=True, max_length=2)
    region: str | None = Field(default=None, index=True, max_length=10)
    city: str | None = Field(default=None, max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    offers: list[str] = Field(sa_column=Column(JSON, nullable=False))
    needs: list[str] = Field(sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(sa_column=Column(JSON, nullable=False))
    sectors: list[str] = Field(sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(sa_column=Column(JSON, nullable=False))
    website: str | None = Field(default=None, max_length=2048)
    partners: list[str] = Field(sa_column=Column(JSON, nullable=False))
    contact: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    owner: str | None = Field(default=None, index=True, max_length=200)
    # Denormalised for portable filters: lower-cased text for `q`,
    # "|C25.11|C26|" for sector prefixes.
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    sectors_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int = Field(default=1)


class ProfileChange(SQLModel, table=True):
    __tablename__ = "profile_change"
    __table_args__ = {"sqlite_autoincrement": True}  # a seq is never handed out twice

    seq: int | None = Field(default=None, primary_key=True)
    op: str = Field(max_length=10)
    profile_id: int = Field(index=True)
    # Public fields only (never contact); null for a delete (tombstone). Only the latest entry
    # per profile is kept (feed.record_change compacts the older ones away).
    profile: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CreateRequest(SQLModel, table=True):
    """A create's request key (a hash the gateway derives from the caller and its
    `Idempotency-Key`) and the profile it made: a retry whose first answer was lost gets that
    profile back instead of a duplicate. No personal data; dropped with the profile."""

    __tablename__ = "create_request"

    key: str = Field(primary_key=True, max_length=64)
    profile_id: int = Field(index=True)
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class Feedback(SQLModel, table=True):
    """One caller's mark on a suggested partner (models.feedback); erased with either profile."""

    __tablename__ = "feedback"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(index=True, max_length=200)
    voter: str = Field(index=True, max_length=200)
    seeker_id: int | None = Field(default=None, index=True)
    alert_id: int | None = Field(default=None)
    need_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    candidate_id: int = Field(index=True)
    signal: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=300)
    counted: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


@event.listens_for(Profile, "after_delete")
def _erase_feedback(_mapper: Any, connection: Any, target: Profile) -> None:
    """A deleted profile takes every mark naming it (as candidate or seeker) along, in its flush."""
    connection.execute(
        delete(Feedback).where(
            or_(Feedback.candidate_id == target.id, Feedback.seeker_id == target.id)  # type: ignore[arg-type]
        )
    )
