"""Delivering events: at least once, in order per subscription, signed per Standard Webhooks.

One worker per subscription with due deliveries (at most `concurrency` at a time) sends the
subscription's oldest pending delivery, and only then the next: a slow or dead receiver holds up
its own queue, never another's. A delivery is marked delivered only after a 2xx answer is
committed, so a crash re-sends it with the same `webhook-id`. Failures are retried with
exponential back-off and jitter (tenacity's wait strategy) until the retry window has passed
since the first failure; then the subscription is disabled with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, Engine, func, update
from sqlmodel import Session, col, select
from standardwebhooks import Webhook
from starlette.concurrency import run_in_threadpool
from tenacity import RetryCallState, wait_exponential_jitter

from services.dispatcher.service import aware
from services.dispatcher.tables import Attempt, Delivery, Event, Subscription, utcnow
from services.dispatcher.urls import AllowList, UnsafeUrl, check_url

log = logging.getLogger("crosslink.dispatcher.delivery")

USER_AGENT = "crosslink-webhooks/1"
PREFETCH = 50  # deliveries read per query; sent one after the other

__all__ = ["Deliverer", "RetryPolicy", "sign_headers"]


class RetryPolicy:
    """Seconds to wait after the n-th failure: exponential with jitter, capped."""

    def __init__(self, *, base: float, maximum: float, window: float) -> None:
        self.window = window
        self._wait = wait_exponential_jitter(initial=base, max=maximum, jitter=base)

    def delay(self, failures: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = failures
        return float(self._wait(state))


def sign_headers(secret: str, event_id: str, body: str) -> dict[str, str]:
    now = utcnow()
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class Deliverer:
    def __init__(
        self,
        engine: Engine,
        client: httpx.AsyncClient,
        *,
        allow: AllowList,
        policy: RetryPolicy,
        concurrency: int,
        poll: float,
    ) -> None:
        self.engine = engine
        self.client = client
        self.allow = allow
        self.policy = policy
        self.concurrency = concurrency
        self.poll = poll
        self.wake = asyncio.Event()
        self.workers: dict[int, asyncio.Task[None]] = {}

    # --- database steps (run in the thread pool) ---

    def _due_subscriptions(self) -> list[int]:
        """Enabled subscriptions whose oldest pending delivery is due now."""
        with Session(self.engine) as session:
            heads = (
                select(Delivery.subscription_id, func.min(Delivery.id).label("head"))
                .where(Delivery.status == "pending")
                .group_by(col(Delivery.subscription_id))
                .subquery()
            )
            rows = session.exec(
                select(Delivery.subscription_id)
                .join(heads, col(Delivery.id) == heads.c.head)
                .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                .where(col(Subscription.enabled), col(Delivery.next_attempt_at) <= utcnow())
                .order_by(col(Delivery.next_attempt_at))
            ).all()
        return list(rows)

    def _heads(self, sub_id: int) -> list[tuple[Delivery, Event, Subscription]]:
        """The subscription's oldest pending deliveries, in order, if the first is due."""
        with Session(self.engine) as session:
            sub = session.get(Subscription, sub_id)
            if sub is None or not sub.enabled:
                return []
            rows = session.exec(
                select(Delivery, Event)
                .join(Event, col(Event.id) == col(Delivery.event_id))
                .where(Delivery.subscription_id == sub_id, Delivery.status == "pending")
                .order_by(col(Delivery.id))
                .limit(PREFETCH)
            ).all()
            if not rows or aware(rows[0][0].next_attempt_at or utcnow()) > utcnow():
                return []
            return [(delivery, event, sub) for delivery, event in rows]

    def _record(
        self,
        delivery_id: int,
        status: int | None,
        latency: float,
        error: str | None,
        began: datetime,
    ) -> None:
        """Store the attempt and the delivery's next state. The state is written only if the
        delivery is as it was read (compare and set): a manual retry committed meanwhile keeps
        the delivery queued instead of being overwritten by this attempt's outcome."""
        with Session(self.engine) as session:
            row = session.get(Delivery, delivery_id)
            if row is None:  # the subscription was deleted meanwhile
                return
            now = utcnow()
            session.add(
                Attempt(
                    delivery_id=delivery_id,
                    at=now,
                    status_code=status,
                    latency_ms=round(latency * 1000, 2),
                    error=error,
                )
            )
            seen = row.next_attempt_at
            requeued = seen is not None and aware(seen) > began
            if not requeued:  # else a manual retry arrived during this attempt: it stays queued
                values, failed_since = self._outcome(row, error, now)
                unchanged = (
                    col(Delivery.next_attempt_at).is_(None)
                    if seen is None
                    else col(Delivery.next_attempt_at) == seen
                )
                stored = cast(
                    "CursorResult[Any]",
                    session.execute(
                        update(Delivery)
                        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending")
                        .where(unchanged)
                        .values(**values)
                    ),
                )
                if stored.rowcount and failed_since is not None and error is not None:
                    self._disable(session, row.subscription_id, failed_since, error)
            session.commit()

    def _outcome(
        self, row: Delivery, error: str | None, now: datetime
    ) -> tuple[dict[str, object], datetime | None]:
        """The delivery's columns after this attempt, and when its failures began if they have
        now outlasted the retry window (the subscription is then disabled)."""
        if error is None:
            return {"status": "delivered", "delivered_at": now, "next_attempt_at": None}, None
        failures = row.failures + 1
        since = aware(row.retry_since) if row.retry_since else now
        if (now - since).total_seconds() >= self.policy.window:
            return {"status": "failed", "failures": failures, "retry_since": since}, since
        wait = self.policy.delay(failures)
        values = {
            "failures": failures,
            "retry_since": since,
            "next_attempt_at": now + timedelta(seconds=wait),
        }
        return values, None

    def _disable(self, session: Session, sub_id: int, since: datetime, error: str) -> None:
        sub = session.get(Subscription, sub_id)
        if sub is None:
            return
        sub.enabled = False
        sub.disabled_reason = (
            f"deliveries failed since {since.isoformat(timespec='seconds')} for longer than the "
            f"retry window ({self.policy.window:g} s); last error: {error}"
        )[:2000]
        sub.updated_at = utcnow()
        session.add(sub)
        log.warning("webhook %s disabled: %s", sub.id, sub.disabled_reason)

    # --- sending ---

    async def send(self, delivery: Delivery, event: Event, sub: Subscription) -> bool:
        """One attempt, recorded; True when the receiver took it."""
        began, started = utcnow(), time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            await check_url(sub.url, self.allow)
            response = await self.client.post(
                sub.url, content=event.body, headers=sign_headers(sub.secret, event.id, event.body)
            )
            status = response.status_code
            if response.is_redirect:
                error = f"answered {status} (a redirect); redirects are not followed"
            elif not response.is_success:
                error = f"answered {status}"
        except UnsafeUrl as exc:
            error = f"refused: {exc}"
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency = time.perf_counter() - started
        await run_in_threadpool(self._record, delivery.id or 0, status, latency, error, began)
        return error is None

    async def _work(self, sub_id: int) -> None:
        try:
            while heads := await run_in_threadpool(self._heads, sub_id):
                for head in heads:
                    if not await self.send(*head):
                        break  # it is retried later, and nothing behind it goes first
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivering to webhook %s failed; will retry", sub_id)
        finally:
            self.workers.pop(sub_id, None)
            self.wake.set()  # its next delivery may be due later: look again

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                for sub_id in await run_in_threadpool(self._due_subscriptions):
                    if len(self.workers) >= self.concurrency:
                        break
                    if sub_id not in self.workers:
                        self.workers[sub_id] = asyncio.create_task(
                            self._work(sub_id), name=f"webhook-{sub_id}"
                        )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduling deliveries failed; retrying")
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll)
            except TimeoutError:
                pass

    async def aclose(self, *, timeout: float) -> None:
        """Cancel the workers and wait at most `timeout` seconds for them to stop."""
        workers = list(self.workers.values())
        for task in workers:
            task.cancel()
        if workers:
            _, stuck = await asyncio.wait(workers, timeout=timeout)
            if stuck:
                log.warning("%d webhook workers did not stop in %g s", len(stuck), timeout)
