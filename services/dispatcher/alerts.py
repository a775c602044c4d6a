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
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
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
    Subscription,
    utcnow,
)

log = logging.getLogger("crosslink.dispatcher.alerts")

__all__ = ["AlertWorker"]


def _filter_params(filters: MatchFilters) -> list[tuple[str, str]]:
    dumped = filters.model_dump(mode="json")
    return [(name, value) for name, values in dumped.items() for value in values]


class AlertWorker:
    def __init__(
        self, engine: Engine, matchers: list[httpx.AsyncClient], *, wait: float, poll: float
    ) -> None:
        self.engine = engine
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
            params = [("limit", str(alert.top_k)), *_filter_params(filters)]
            response = await client.get(f"/profiles/{alert.profile_id}/matches", params=params)
            if response.status_code == 404:  # the alert's own profile is gone: nothing fits
                return []
        if response.status_code != 200:
            self.last_error = f"matcher answered {response.status_code}: {response.text[:200]}"
            return None
        matches = MatchesPublic.model_validate_json(response.content)
        return [r.model_dump(mode="json") for r in matches.data]

    def _next_check(self) -> AlertCheck | None:
        with Session(self.engine) as session:
            return session.exec(
                select(AlertCheck)
                .where(col(AlertCheck.not_before) <= utcnow())
                .order_by(col(AlertCheck.seq))
                .limit(1)
            ).first()

    def _alerts(self) -> list[Alert]:
        with Session(self.engine) as session:
            return list(session.exec(select(Alert).order_by(col(Alert.id))).all())

    def _postpone(self, check: AlertCheck) -> None:
        with Session(self.engine) as session:
            row = session.get(AlertCheck, check.seq)
            if row is not None:
                row.not_before = utcnow() + timedelta(seconds=min(self.wait, 5.0))
                session.add(row)
                session.commit()

    def _record(self, check: AlertCheck, hits: dict[int, AlertHit | None]) -> None:
        """Fire for alerts the profile entered, forget those it left, drop the check."""
        with Session(self.engine) as session:
            for alert_id, hit in hits.items():
                alert = session.get(Alert, alert_id)
                if alert is None:
                    continue
                member = session.exec(
                    select(AlertMember).where(
                        AlertMember.alert_id == alert_id, AlertMember.profile_id == check.profile_id
                    )
                ).first()
                if hit is None:
                    if member is not None:
                        session.delete(member)
                    continue
                if member is not None:
                    continue
                session.add(AlertMember(alert_id=alert_id, profile_id=check.profile_id))
                subs = session.exec(
                    select(Subscription).where(
                        Subscription.hub == alert.hub, col(Subscription.enabled)
                    )
                ).all()
                targets = [s.id or 0 for s in subs if EventType.match_alert.value in s.events]
                data = hit.model_dump(mode="json", exclude={"profile": {"contact"}})
                event = enqueue(
                    session=session,
                    event_type=EventType.match_alert.value,
                    data=data,
                    subscription_ids=targets,
                )
                session.add(AlertMatchRow(alert_id=alert_id, event_id=event.id, hit=data))
            row = session.get(AlertCheck, check.seq)
            if row is not None:
                session.delete(row)
            session.commit()

    async def process(self, check: AlertCheck) -> bool:
        """Check one change against every alert; False when it has to wait for the matcher."""
        alerts = await run_in_threadpool(self._alerts)
        hits: dict[int, AlertHit | None] = {}
        if alerts:
            client = await self._caught_up(check.seq)
            if client is None:
                return False
            for alert in alerts:
                if alert.profile_id == check.profile_id:
                    continue  # an alert on behalf of this very profile: its own results changed
                results = await self._results(client, alert)
                if results is None:
                    return False
                hits[alert.id or 0] = None
                for rank, result in enumerate(results, start=1):
                    if result["profile"]["id"] != check.profile_id:
                        continue
                    if alert.min_score is None or result["score"] >= alert.min_score:
                        hits[alert.id or 0] = AlertHit(alert_id=alert.id or 0, rank=rank, **result)
        await run_in_threadpool(self._record, check, hits)
        return True

    async def run(self) -> None:
        while True:
            self.wake.clear()  # before looking, so a wake-up during the look is not lost
            try:
                check = await run_in_threadpool(self._next_check)
                if check is not None:
                    if await self.process(check):
                        continue
                    await run_in_threadpool(self._postpone, check)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking alerts failed; retrying")
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll * 5)
            except TimeoutError:
                pass
