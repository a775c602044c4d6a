"""The change feed: an ordered log written in the same transaction as the profile change.

Only the latest entry per profile is kept: writing a profile's change removes its earlier ones,
so a past version (or a deleted profile's data) is never served again, and a delete leaves a
tombstone without data. The feed is therefore also the bootstrap of a new replica: read from
`after=0` to the end, it is the current state of every profile, in seq order, with gaps where
superseded entries were.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Text, cast, delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.profiles import Change, ChangeOp, ChangesPublic, ProfilePublic
from services.profiles.tables import ProfileChange, utcnow

__all__ = ["compact_feed", "forget_versions", "latest_seq", "list_changes", "record_change"]

# Bytes of a page entry besides its profile (seq, op, id, the names added to the profile).
ENTRY_OVERHEAD = 200


def forget_versions(*, session: Session, profile_ids: Iterable[int]) -> None:
    """Drop the feed entries of these profiles; call before adding their new entries."""
    ids = list(profile_ids)
    if ids:
        session.execute(
            delete(ProfileChange).where(col(ProfileChange.profile_id).in_(ids)),
            execution_options={"synchronize_session": False},
        )


def record_change(
    *,
    session: Session,
    op: ChangeOp,
    profile_id: int,
    snapshot: ProfilePublic | None,
    flush: bool = True,
    compact: bool = True,
) -> None:
    """Append one entry, replacing the profile's earlier ones; the caller holds the write lock
    and commits. `compact=False` when the caller has already called `forget_versions`."""
    if compact:
        forget_versions(session=session, profile_ids=[profile_id])
    profile = None if snapshot is None else snapshot.model_dump(mode="json", exclude={"contact"})
    change = ProfileChange(op=op.value, profile_id=profile_id, profile=profile, created_at=utcnow())
    session.add(change)
    if flush:
        session.flush()


def compact_feed(conn: Connection) -> int:
    """Remove every entry but the latest per profile (a feed written before compaction)."""
    latest = sa_select(func.max(ProfileChange.seq)).group_by(col(ProfileChange.profile_id))
    result = conn.execute(delete(ProfileChange).where(col(ProfileChange.seq).not_in(latest)))
    return int(result.rowcount or 0)


def latest_seq(*, session: Session) -> int:
    return session.exec(select(func.max(ProfileChange.seq))).one() or 0


def list_changes(*, session: Session, after: int, limit: int, max_bytes: int) -> ChangesPublic:
    """Up to `limit` entries after `after`, and no more than about `max_bytes` of profiles (but
    always at least one entry, so a follower progresses past a profile larger than the budget)."""
    size = func.coalesce(func.length(cast(col(ProfileChange.profile), Text)), 0)
    sizes = session.exec(
        select(col(ProfileChange.seq), size)
        .where(col(ProfileChange.seq) > after)
        .order_by(col(ProfileChange.seq))
        .limit(limit)
    ).all()
    last_in_page, used = None, 0
    for seq, length in sizes:
        used += int(length) + ENTRY_OVERHEAD
        if last_in_page is not None and used > max_bytes:
            break
        last_in_page = seq
    rows: list[ProfileChange] = []
    if last_in_page is not None:
        rows = list(
            session.exec(
                select(ProfileChange)
                .where(col(ProfileChange.seq) > after, col(ProfileChange.seq) <= last_in_page)
                .order_by(col(ProfileChange.seq))
            ).all()
        )
    changes = [
        Change(
            seq=row.seq or 0,
            op=ChangeOp(row.op),
            profile_id=row.profile_id,
            profile=None if row.profile is None else ProfilePublic.model_validate(row.profile),
        )
        for row in rows
    ]
    last_seq = latest_seq(session=session)
    return ChangesPublic(changes=changes, last_seq=max(last_seq, changes[-1].seq if changes else 0))
