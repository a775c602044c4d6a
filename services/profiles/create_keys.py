"""Creates made once per request key: the gateway sends `X-Crosslink-Request-Key` (a hash of
the caller and its `Idempotency-Key`) with a create; the key is stored in the create's own
transaction, so a retry whose first answer was lost (the service crashed or the gateway timed
out after the commit) gets the profile that was made instead of a duplicate.

Keys are kept `CROSSLINK_IDEMPOTENCY_TTL` seconds, like the gateway's answers, and dropped with
their profile."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlmodel import Session, col, delete

from services.profiles.tables import CreateRequest, Profile, utcnow

__all__ = ["forget_profile", "remember", "replay"]


def replay(*, session: Session, key: str, owner: str | None, ttl: float) -> Profile | None:
    """The profile an earlier create with this key made for this owner, if it is still there."""
    row = session.get(CreateRequest, key)
    if row is None:
        return None
    made = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    if made < utcnow() - timedelta(seconds=ttl):
        return None
    profile = session.get(Profile, row.profile_id)
    return profile if profile is not None and profile.owner == owner else None


def remember(*, session: Session, key: str, profile_id: int, ttl: float) -> None:
    """Record the key with the create (the caller holds the write lock and commits)."""
    cutoff = utcnow() - timedelta(seconds=ttl)
    session.exec(delete(CreateRequest).where(col(CreateRequest.created_at) < cutoff))  # type: ignore[call-overload]
    session.exec(delete(CreateRequest).where(col(CreateRequest.key) == key))  # type: ignore[call-overload]
    session.add(CreateRequest(key=key, profile_id=profile_id, created_at=utcnow()))


def forget_profile(*, session: Session, profile_id: int) -> None:
    session.exec(delete(CreateRequest).where(col(CreateRequest.profile_id) == profile_id))  # type: ignore[call-overload]
