"""Following the profiles change feed: each change becomes events and pending deliveries in the
same transaction as the cursor advance, so a crash at any point loses nothing and repeats
nothing (a page is either applied with its cursor, or not at all).

The feed keeps only each profile's latest entry (erasure: a past version is never served), so
changes to one profile that follow each other faster than the feed is read arrive as one event
with the latest data; the first event a subscriber gets of a profile is always its create."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from models.profiles import Change, ChangeOp, ChangesPublic
from models.webhooks import EventType, ProfileEventData
from services.dispatcher.service import enqueue
from services.dispatcher.tables import (
    Alert,
    AlertCheck,
    AlertMember,
    Cursor,
    ProfileOwner,
    Subscription,
    utcnow,
)

log = logging.getLogger("crosslink.dispatcher.feed")

FEED = "profiles"
EVENT_OF = {
    ChangeOp.create: EventType.profile_created,
    ChangeOp.update: EventType.profile_updated,
    ChangeOp.delete: EventType.profile_deleted,
}

__all__ = ["FeedFollower", "apply_changes", "read_cursor"]


def read_cursor(session: Session) -> int:
    cursor = session.get(Cursor, FEED)
    return cursor.seq if cursor else 0


def _owner_of(session: Session, change: Change) -> str | None:
    row = session.get(ProfileOwner, change.profile_id)
    if change.op is ChangeOp.delete:
        if row is None:
            return None
        session.delete(row)
        return row.owner
    owner = change.profile.owner if change.profile else None
    if row is None:
        session.add(ProfileOwner(profile_id=change.profile_id, owner=owner))
    elif row.owner != owner:
        row.owner = owner
        session.add(row)
    return owner


def _event_type(change: Change, known: bool) -> EventType | None:
    """The event a change means to a subscriber. The feed keeps only each profile's latest
    entry, so a change superseded before the dispatcher read it is gone: an update of a profile
    never seen means its create was superseded (receivers learn of it as created, with its
    current data), and a tombstone of a profile never seen means it came and went unseen."""
    if not known:
        return None if change.op is ChangeOp.delete else EventType.profile_created
    return EVENT_OF[change.op]


def _apply_one(session: Session, change: Change, subs: list[Subscription], alerts: bool) -> None:
    known = session.get(ProfileOwner, change.profile_id) is not None
    owner = _owner_of(session, change)
    event_type = _event_type(change, known)
    targets = [
        sub.id or 0
        for sub in subs
        if event_type is not None
        and event_type.value in sub.events
        and (sub.scope == "all" or sub.hub == owner)
    ]
    if targets and event_type is not None:
        public = (
            None if change.profile is None else change.profile.model_copy(update={"contact": None})
        )
        data = ProfileEventData(profile_id=change.profile_id, seq=change.seq, profile=public)
        enqueue(
            session=session,
            event_type=event_type.value,
            data=data.model_dump(mode="json", exclude={"profile": {"contact"}}),
            subscription_ids=targets,
        )
    if change.op is ChangeOp.delete:
        members = select(AlertMember).where(AlertMember.profile_id == change.profile_id)
        for member in session.exec(members).all():
            session.delete(member)
    elif alerts and session.get(AlertCheck, change.seq) is None:
        session.add(AlertCheck(seq=change.seq, profile_id=change.profile_id, not_before=utcnow()))


def apply_changes(*, engine: Engine, page: ChangesPublic) -> tuple[int, bool]:
    """Apply a page after the stored cursor; returns the new cursor and whether alert work
    was queued."""
    with Session(engine) as session:
        after = read_cursor(session)
        changes = [c for c in page.changes if c.seq > after]
        subs = list(session.exec(select(Subscription).where(col(Subscription.enabled))).all())
        alerts = session.exec(select(func.count()).select_from(Alert)).one() > 0
        for change in changes:
            _apply_one(session, change, subs, alerts)
        if changes:
            seq = changes[-1].seq
        else:  # an empty page past our cursor: the feed's tail holds no changes
            seq = max(after, page.last_seq) if not page.changes else after
        cursor = session.get(Cursor, FEED) or Cursor(name=FEED)
        cursor.seq = seq
        session.add(cursor)
        session.commit()
    return seq, alerts and bool(changes)


class FeedFollower:
    """Follows `GET /changes?after=CURSOR`; upstream errors are retried with back-off, forever.

    Caught up, each call is held by the profiles service up to `wait` seconds and answered as
    soon as a change exists (long polling): an idle dispatcher makes one call per `wait`, and a
    write still becomes events at once."""

    def __init__(
        self,
        engine: Engine,
        client: httpx.AsyncClient,
        *,
        page_size: int,
        poll_interval: float,
        on_applied: Callable[[bool], None],
        wait: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        self.engine = engine
        self.client = client
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.on_applied = on_applied
        self.wait = wait
        # A held call must not time out before the service answers it: read timeout > wait.
        self.timeout = httpx.Timeout(timeout, read=timeout + wait)
        self._caught_up = False
        self.seq = 0
        self.feed_last_seq: int | None = None
        self.last_error: str | None = None

    def _failed(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("change feed unavailable (attempt %d): %s", state.attempt_number, exc)

    async def step(self) -> bool:
        """Fetch and apply one page; True when more may be waiting."""
        self.seq = await run_in_threadpool(self._cursor)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((httpx.HTTPError, ValueError)),
            wait=wait_exponential_jitter(initial=0.1, max=5.0),
            before_sleep=self._failed,
        ):
            with attempt:
                params: dict[str, float] = {"after": self.seq, "limit": self.page_size}
                if self._caught_up and self.wait > 0:
                    params["wait"] = self.wait
                response = await self.client.get("/changes", params=params, timeout=self.timeout)
                response.raise_for_status()
                page = ChangesPublic.model_validate_json(response.content)
        self.last_error = None
        self.feed_last_seq = page.last_seq
        if page.changes or page.last_seq > self.seq:
            self.seq, alerts = await run_in_threadpool(apply_changes, engine=self.engine, page=page)
            self.on_applied(alerts)
        more = len(page.changes) >= self.page_size
        self._caught_up = not more
        return more

    def _cursor(self) -> int:
        with Session(self.engine) as session:
            return read_cursor(session)

    async def run(self) -> None:
        while True:
            try:
                more = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad page must not stop the follower; it is retried
                log.exception("applying the change feed failed; retrying")
                more = False
            if not more:
                await asyncio.sleep(self.poll_interval)
