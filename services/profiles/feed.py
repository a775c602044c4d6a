"""The change feed: an ordered log written in the same transaction as the profile change."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.profiles import Change, ChangeOp, ChangesPublic, ProfilePublic
from services.profiles.tables import ProfileChange, utcnow


def record_change(
    *,
    session: Session,
    op: ChangeOp,
    profile_id: int,
    snapshot: ProfilePublic | None,
    flush: bool = True,
) -> None:
    """Append one entry; the caller holds the write lock and commits."""
    profile = None if snapshot is None else snapshot.model_dump(mode="json", exclude={"contact"})
    change = ProfileChange(op=op.value, profile_id=profile_id, profile=profile, created_at=utcnow())
    session.add(change)
    if flush:
        session.flush()


def list_changes(*, session: Session, after: int, limit: int) -> ChangesPublic:
    rows = session.exec(
        select(ProfileChange)
        .where(col(ProfileChange.seq) > after)
        .order_by(col(ProfileChange.seq))
        .limit(limit)
    ).all()
    last_seq = session.exec(select(func.max(ProfileChange.seq))).one() or 0
    changes = [
        Change(
            seq=row.seq or 0,
            op=ChangeOp(row.op),
            profile_id=row.profile_id,
            profile=None if row.profile is None else ProfilePublic.model_validate(row.profile),
        )
        for row in rows
    ]
    return ChangesPublic(changes=changes, last_seq=max(last_seq, changes[-1].seq if changes else 0))
