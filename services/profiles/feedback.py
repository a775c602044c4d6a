"""Feedback on suggestions: store, list, undo, and what it means for a search. No HTTP here.

Anti-gaming, decided at write time and at aggregation: a caller's repeated mark (same seeker,
candidate and signal) is one row; each `voter` counts once per candidate (COUNT DISTINCT); and
only a voter's first `daily_cap` endorsements in any 24 hours are `counted` at all.
A mark is erased with the profile it refers to (candidate or seeker) in the same flush.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from crosslink.errors import NotFound
from models.feedback import (
    MAX_EXCLUDE,
    FeedbackCounts,
    FeedbackPublic,
    FeedbackRecord,
    FeedbackScope,
    ReceivedCount,
    Signal,
)
from services.profiles.db import begin_write
from services.profiles.tables import Feedback, Profile, utcnow

__all__ = [
    "add_feedback",
    "count_endorsements",
    "delete_feedback",
    "list_feedback",
    "received_counts",
    "search_scope",
    "to_public",
]

_OPPOSITE = {Signal.relevant: Signal.not_relevant, Signal.not_relevant: Signal.relevant}
_ENDORSING = [s.value for s in Signal if s.endorses]
_EXCLUDING = [s.value for s in Signal if s.excludes]
DAY = timedelta(hours=24)


def to_public(row: Feedback) -> FeedbackPublic:
    return FeedbackPublic.model_validate(row, from_attributes=True)


def _same_scope(record: FeedbackRecord) -> list[Any]:
    return [
        Feedback.owner == record.owner,
        Feedback.candidate_id == record.candidate_id,
        col(Feedback.seeker_id).is_(None)
        if record.seeker_id is None
        else Feedback.seeker_id == record.seeker_id,
        col(Feedback.alert_id).is_(None)
        if record.alert_id is None
        else Feedback.alert_id == record.alert_id,
        col(Feedback.need_text).is_(None)
        if record.need_text is None
        else Feedback.need_text == record.need_text,
    ]


def _require_profile(session: Session, profile_id: int, role: str) -> None:
    if session.get(Profile, profile_id) is None:
        raise NotFound(f"{role} {profile_id} does not exist", details={role: profile_id})


def add_feedback(
    *, session: Session, record: FeedbackRecord, daily_cap: int
) -> tuple[Feedback, bool]:
    """Store a mark (or find the same one already stored); True when it is new."""
    begin_write(session)
    try:
        _require_profile(session, record.candidate_id, "candidate_id")
        if record.seeker_id is not None:
            _require_profile(session, record.seeker_id, "seeker_id")
        scope = _same_scope(record)
        existing = session.exec(
            select(Feedback).where(*scope, Feedback.signal == record.signal.value)
        ).first()
        if existing is not None:
            session.rollback()
            return existing, False
        opposite = _OPPOSITE.get(record.signal)
        if opposite is not None:  # relevant and not_relevant replace each other
            session.execute(delete(Feedback).where(*scope, col(Feedback.signal) == opposite.value))
        counted = record.signal.endorses and _endorsements_today(session, record.voter) < daily_cap
        row = Feedback(
            **record.model_dump(exclude={"signal"}),
            signal=record.signal.value,
            counted=counted,
            created_at=utcnow(),
        )
        session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.refresh(row)
    return row, True


def _endorsements_today(session: Session, voter: str) -> int:
    since = utcnow() - DAY
    statement = select(func.count()).where(
        Feedback.voter == voter, col(Feedback.counted), col(Feedback.created_at) >= since
    )
    return int(session.exec(statement).one())


def list_feedback(
    *, session: Session, owner: str, seeker_id: int | None = None, candidate_id: int | None = None
) -> list[Feedback]:
    """The owner's marks, newest first (optionally for one seeker or one candidate)."""
    statement = select(Feedback).where(Feedback.owner == owner)
    if seeker_id is not None:
        statement = statement.where(Feedback.seeker_id == seeker_id)
    if candidate_id is not None:
        statement = statement.where(Feedback.candidate_id == candidate_id)
    statement = statement.order_by(col(Feedback.id).desc()).limit(1000)
    return list(session.exec(statement).all())


def delete_feedback(*, session: Session, owner: str, feedback_id: int) -> None:
    """Undo a mark; another owner's mark is reported missing (its existence is not shown)."""
    begin_write(session)
    row = session.get(Feedback, feedback_id)
    if row is None or row.owner != owner:
        session.rollback()
        raise NotFound(f"feedback {feedback_id} does not exist (or is not yours)")
    session.delete(row)
    session.commit()


def search_scope(
    *, session: Session, owner: str, seeker_id: int | None, alert_id: int | None = None
) -> FeedbackScope:
    """What the owner's marks do to one search: the candidates it leaves out (newest
    `MAX_EXCLUDE` hide / not_relevant) and the ones it moves up (relevant / contacted).
    Marks without a seeker or alert apply to every search of the owner; the others to theirs."""
    applies: list[Any] = [col(Feedback.seeker_id).is_(None) & col(Feedback.alert_id).is_(None)]
    if seeker_id is not None:
        applies.append(col(Feedback.seeker_id) == seeker_id)
    if alert_id is not None:
        applies.append(col(Feedback.alert_id) == alert_id)
    base = select(Feedback.candidate_id).where(Feedback.owner == owner, or_(*applies))

    def ids(signals: list[str]) -> list[int]:
        statement = base.where(col(Feedback.signal).in_(signals))
        rows = session.exec(statement.order_by(col(Feedback.id).desc()).limit(MAX_EXCLUDE * 2))
        return list(dict.fromkeys(rows))[:MAX_EXCLUDE]

    excluded = ids(_EXCLUDING)
    boosted = [i for i in ids(_ENDORSING) if i not in set(excluded)]
    return FeedbackScope(exclude_ids=excluded, boost_ids=boosted)


def count_endorsements(*, session: Session) -> FeedbackCounts:
    """Per candidate, the distinct voters whose counted marks endorse it."""
    statement = (
        select(Feedback.candidate_id, func.count(func.distinct(Feedback.voter)))
        .where(col(Feedback.counted), col(Feedback.signal).in_(_ENDORSING))
        .group_by(col(Feedback.candidate_id))
    )
    return FeedbackCounts(counts={int(i): int(n) for i, n in session.exec(statement).all()})


def received_counts(*, session: Session, hub: str) -> list[ReceivedCount]:
    """For each profile the hub owns that others marked: distinct contacted / relevant voters."""
    per_signal: dict[int, dict[str, int]] = {}
    statement = (
        select(Feedback.candidate_id, Feedback.signal, func.count(func.distinct(Feedback.voter)))
        .join(Profile, col(Profile.id) == col(Feedback.candidate_id))
        .where(Profile.owner == hub, col(Feedback.signal).in_(_ENDORSING))
        .group_by(col(Feedback.candidate_id), col(Feedback.signal))
    )
    for candidate_id, signal, voters in session.exec(statement).all():
        per_signal.setdefault(int(candidate_id), {})[signal] = int(voters)
    return [
        ReceivedCount(
            profile_id=profile_id,
            contacted=counts.get(Signal.contacted.value, 0),
            relevant=counts.get(Signal.relevant.value, 0),
        )
        for profile_id, counts in sorted(per_signal.items())
    ]
