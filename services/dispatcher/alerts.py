"""Saved-search alerts: each created or updated profile is checked against every alert once the
matcher has indexed that change; a profile entering an alert's results fires `match.alert`.

The feed follower queues an `AlertCheck` with the cursor advance; the check is deleted in the
transaction that writes the alert events, so a crash in between re-checks (and, thanks to the
membership rows, does not fire twice).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from models.matching import MatchesPublic, MatchFilters
from models.webhooks import AlertHit, EventType
from services.dispatcher.service import enqueue
from services.dispatcher.tables import (
    Alert,
    AlertCheck,
    AlertMatchRow,
    AlertMember,
    ProfileOwner,
    Subscription,
    utcnow,
)

log = logging.getLogger("crosslink.dispatcher.alerts")

__all__ = ["AlertWorker"]

BATCH = 200


def _filter_params(filters: MatchFilters) -> list[tuple[str, str | int | float | bool | None]]:
    dumped = filters.model_dump(mode="json")
    return [(name, value) for name, values in dumped.items() for value in values]


class AlertWorker:
    def __init__(
        self,
        engine: Engine,
        matchers: list[httpx.AsyncClient],
        *,
        wait: float,
        poll: float,
        on_fired: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.on_fired = on_fired
        self.matchers = matchers
        self.wait = wait
        self.poll = poll
        self.wake = asyncio.Event()
        self.last_error: str | None = None

    async def _caught_up(self, seq: int) -> httpx.AsyncClient | None:
        """The first matcher that has applied `seq`, polled until the deadline."""
        deadline = time.monotonic() + self.wait
        while True:
            for client in self.matchers:
                try:
                    response = await client.get("/health")
                    if response.status_code == 200 and response.json()["details"]["seq"] >= seq:
                        return client
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    self.last_error = f"matcher: {type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(0.05, self.poll))

    async def _results(
        self, client: httpx.AsyncClient, alert: Alert
    ) -> list[dict[str, Any]] | None:
        filters = MatchFilters.model_validate(alert.filters)
        if alert.text is not None:
            body = {
                "text": alert.text,
                "filters": filters.model_dump(mode="json"),
                "limit": alert.top_k,
            }
            response = await client.post("/match", json=body)
        else:
            params = [("limit", alert.top_k), *_filter_params(filters)]
            response = await client.get(f"/profiles/{alert.profile_id}/matches", params=params)
            if response.status_code == 404:  # the alert's own profile is gone: nothing fits
                return []
        if response.status_code != 200:
            self.last_error = f"matcher answered {response.status_code}: {response.text[:200]}"
            return None
        matches = MatchesPublic.model_validate_json(response.content)
        return [r.model_dump(mode="json") for r in matches.data]

    async def warm(self, alert: Alert) -> None:
        """Ask once at creation, so the matcher has the query's vector cached before the first
        profile has to be checked (part of firing within 2 s of a write)."""
        for client in self.matchers:
            try:
                await self._results(client, alert)
                return
            except httpx.HTTPError:
                continue

    def _next_checks(self) -> list[AlertCheck]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(AlertCheck)
                    .where(col(AlertCheck.not_before) <= utcnow())
                    .order_by(col(AlertCheck.seq))
                    .limit(BATCH)
                ).all()
            )

    def pending(self) -> int:
        """Changes still to be checked against the alerts."""
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(AlertCheck)).one())

    def _alerts(self) -> list[Alert]:
        with Session(self.engine) as session:
            return list(session.exec(select(Alert).order_by(col(Alert.id))).all())

    def _postpone(self, checks: list[AlertCheck]) -> None:
        with Session(self.engine) as session:
            for check in checks:
                row = session.get(AlertCheck, check.seq)
                if row is not None:
                    row.not_before = utcnow() + timedelta(seconds=min(self.wait, 5.0))
                    session.add(row)
            session.commit()

    def _fire(self, session: Session, alert: Alert, profile_id: int, hit: AlertHit | None) -> None:
        member = session.exec(
            select(AlertMember).where(
                AlertMember.alert_id == alert.id, AlertMember.profile_id == profile_id
            )
        ).first()
        if hit is None:
            if member is not None:
                session.delete(member)
            return
        if member is not None:
            return  # still in the results since it last fired
        session.add(AlertMember(alert_id=alert.id or 0, profile_id=profile_id))
        subs = session.exec(
            select(Subscription).where(Subscription.hub == alert.hub, col(Subscription.enabled))
        ).all()
        targets = [s.id or 0 for s in subs if EventType.match_alert.value in s.events]
        data = hit.model_dump(mode="json", exclude={"profile": {"contact"}})
        event = enqueue(
            session=session,
            event_type=EventType.match_alert.value,
            data=data,
            subscription_ids=targets,
        )
        session.add(AlertMatchRow(alert_id=alert.id or 0, event_id=event.id, hit=data))

    def _record(
        self, checks: list[AlertCheck], hits: dict[tuple[int, int], AlertHit | None]
    ) -> None:
        """Fire for alerts a profile entered, forget those it left, drop the checks: one
        transaction, in feed order."""
        with Session(self.engine) as session:
            for check in checks:
                # Deleted since (the feed is ahead of these checks): it fits nothing any more.
                exists = session.get(ProfileOwner, check.profile_id) is not None
                for (alert_id, profile_id), hit in hits.items() if exists else ():
                    alert = session.get(Alert, alert_id)
                    if profile_id == check.profile_id and alert is not None:
                        self._fire(session, alert, profile_id, hit)
                row = session.get(AlertCheck, check.seq)
                if row is not None:
                    session.delete(row)
            session.commit()

    async def process(self, checks: list[AlertCheck]) -> bool:
        """Check a batch of changes against every alert (one matcher query per alert, all
        alerts at once); False when it has to wait for the matcher."""
        alerts = await run_in_threadpool(self._alerts)
        hits: dict[tuple[int, int], AlertHit | None] = {}
        if alerts:
            client = await self._caught_up(max(c.seq for c in checks))
            if client is None:
                return False
            answers = await asyncio.gather(*(self._results(client, a) for a in alerts))
            if any(results is None for results in answers):
                return False
            profiles = list(dict.fromkeys(c.profile_id for c in checks))
            for alert, results in zip(alerts, answers, strict=True):
                ranked = {r["profile"]["id"]: (rank, r) for rank, r in enumerate(results or [], 1)}
                for profile_id in profiles:
                    if alert.profile_id == profile_id:
                        continue  # an alert on behalf of this very profile: its own results
                    hit = None
                    if profile_id in ranked:
                        rank, result = ranked[profile_id]
                        if alert.min_score is None or result["score"] >= alert.min_score:
                            hit = AlertHit(alert_id=alert.id or 0, rank=rank, **result)
                    hits[(alert.id or 0, profile_id)] = hit
        await run_in_threadpool(self._record, checks, hits)
        if any(hit is not None for hit in hits.values()):
            self.on_fired()
        return True

    async def run(self) -> None:
        while True:
            self.wake.clear()  # before looking, so a wake-up during the look is not lost
            try:
                checks = await run_in_threadpool(self._next_checks)
                if checks:
                    if await self.process(checks):
                        continue
                    await run_in_threadpool(self._postpone, checks)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking alerts failed; retrying")
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll * 5)
            except TimeoutError:
                pass
