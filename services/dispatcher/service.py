"""Subscriptions, alerts and deliveries: the dispatcher's logic, no HTTP.

Every read and write is scoped to one hub: another hub's subscription or alert is not found.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from crosslink.errors import Conflict, NotFound
from models.webhooks import (
    AlertCreate,
    AlertMatch,
    AlertMatchesPublic,
    AlertPublic,
    AlertsPublic,
    DeliveriesPublic,
    DeliveryAttempt,
    DeliveryPublic,
    WebhookCreate,
    WebhookEvent,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from services.dispatcher.tables import (
    Alert,
    AlertMatchRow,
    AlertMember,
    Attempt,
    Delivery,
    Event,
    Subscription,
    utcnow,
)

TEST_DATA = {"message": "a test event from crosslink; your endpoint is reachable"}


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


# --- subscriptions ---------------------------------------------------------------------------


def to_public(sub: Subscription) -> WebhookPublic:
    return WebhookPublic.model_validate(
        {
            **sub.model_dump(exclude={"secret", "hub"}),
            "created_at": aware(sub.created_at),
            "updated_at": aware(sub.updated_at),
        }
    )


def create_subscription(*, session: Session, hub: str, webhook_in: WebhookCreate) -> Subscription:
    now = utcnow()
    sub = Subscription(
        hub=hub,
        url=str(webhook_in.url),
        events=[e.value for e in dict.fromkeys(webhook_in.events)],
        description=webhook_in.description,
        scope=webhook_in.scope,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    session.commit()
    session.refresh(sub)
    return sub


def list_subscriptions(*, session: Session, hub: str) -> WebhooksPublic:
    rows = session.exec(
        select(Subscription).where(Subscription.hub == hub).order_by(col(Subscription.id))
    ).all()
    return WebhooksPublic(data=[to_public(r) for r in rows], count=len(rows))


def get_subscription_or_404(*, session: Session, hub: str, webhook_id: int) -> Subscription:
    sub = session.get(Subscription, webhook_id)
    if sub is None or sub.hub != hub:
        raise NotFound(f"webhook {webhook_id} does not exist (or belongs to another hub)")
    return sub


def update_subscription(
    *, session: Session, hub: str, webhook_id: int, webhook_in: WebhookUpdate
) -> Subscription:
    sub = get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    changes = webhook_in.model_dump(exclude_unset=True, mode="json")
    for name in ("url", "description", "scope"):
        if name in changes and (changes[name] is not None or name == "description"):
            setattr(sub, name, changes[name])
    if changes.get("events") is not None:
        sub.events = list(dict.fromkeys(changes["events"]))
    if changes.get("enabled") is not None:
        sub.enabled = bool(changes["enabled"])
        if sub.enabled:
            sub.disabled_reason = None
            _requeue_failed(session, sub)
        else:
            sub.disabled_reason = "disabled by the hub"
    sub.updated_at = utcnow()
    session.add(sub)
    session.commit()
    session.refresh(sub)
    return sub


def _requeue_failed(session: Session, sub: Subscription) -> None:
    """Re-enabling starts the retry window afresh for what was still waiting."""
    rows = session.exec(
        select(Delivery).where(
            Delivery.subscription_id == sub.id, col(Delivery.status).in_(["pending", "failed"])
        )
    ).all()
    for row in rows:
        if row.status == "failed" and row.delivered_at is None:
            row.status = "pending"
        row.failures, row.retry_since, row.next_attempt_at = 0, None, utcnow()
        session.add(row)


def delete_subscription(*, session: Session, hub: str, webhook_id: int) -> None:
    sub = get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    for row in session.exec(select(Delivery).where(Delivery.subscription_id == sub.id)).all():
        for attempt in session.exec(select(Attempt).where(Attempt.delivery_id == row.id)).all():
            session.delete(attempt)
        session.delete(row)
    session.delete(sub)
    session.commit()


# --- events and deliveries -------------------------------------------------------------------


def enqueue(
    *, session: Session, event_type: str, data: dict[str, Any], subscription_ids: list[int]
) -> Event:
    """One event and a pending delivery to each subscription; the caller commits."""
    now = utcnow()
    event_id = new_event_id()
    body = WebhookEvent(id=event_id, type=event_type, timestamp=now, data=data)
    event = Event(id=event_id, type=event_type, body=body.model_dump_json(), created_at=now)
    session.add(event)
    for sub_id in subscription_ids:
        session.add(
            Delivery(subscription_id=sub_id, event_id=event_id, next_attempt_at=now, created_at=now)
        )
    return event


def queue_test(*, session: Session, hub: str, webhook_id: int) -> DeliveryPublic:
    sub = get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    event = enqueue(
        session=session, event_type="webhook.test", data=TEST_DATA, subscription_ids=[sub.id or 0]
    )
    session.commit()
    delivery = session.exec(select(Delivery).where(Delivery.event_id == event.id)).one()
    return delivery_public(session, delivery, event.type)


def delivery_public(session: Session, row: Delivery, event_type: str) -> DeliveryPublic:
    attempts = session.exec(
        select(Attempt).where(Attempt.delivery_id == row.id).order_by(col(Attempt.id))
    ).all()
    return DeliveryPublic(
        id=row.id or 0,
        webhook_id=row.subscription_id,
        event_id=row.event_id,
        event_type=event_type,
        status=row.status,  # type: ignore[arg-type]
        attempts=[
            DeliveryAttempt(
                at=aware(a.at), status_code=a.status_code, latency_ms=a.latency_ms, error=a.error
            )
            for a in attempts
        ],
        next_attempt_at=aware(row.next_attempt_at)
        if row.status == "pending" and row.next_attempt_at
        else None,
        created_at=aware(row.created_at),
        delivered_at=aware(row.delivered_at) if row.delivered_at else None,
    )


def list_deliveries(
    *, session: Session, hub: str, webhook_id: int, limit: int = 50
) -> DeliveriesPublic:
    """The latest deliveries of a subscription, newest first, each with its attempts."""
    sub = get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    rows = session.exec(
        select(Delivery, Event.type)
        .join(Event, col(Event.id) == col(Delivery.event_id))
        .where(Delivery.subscription_id == sub.id)
        .order_by(col(Delivery.id).desc())
        .limit(limit)
    ).all()
    data = [delivery_public(session, row, event_type) for row, event_type in rows]
    return DeliveriesPublic(data=data, count=len(data))


def retry_delivery(
    *, session: Session, hub: str, webhook_id: int, delivery_id: int
) -> DeliveryPublic:
    """Queue a delivery again (delivered or failed); it keeps its event id."""
    sub = get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    row = session.get(Delivery, delivery_id)
    if row is None or row.subscription_id != sub.id:
        raise NotFound(f"delivery {delivery_id} does not exist for webhook {webhook_id}")
    if not sub.enabled:
        raise Conflict(
            f"webhook {webhook_id} is disabled ({sub.disabled_reason}); "
            'enable it with PATCH {"enabled": true} first'
        )
    row.status, row.failures, row.retry_since, row.next_attempt_at = "pending", 0, None, utcnow()
    session.add(row)
    session.commit()
    event = session.get(Event, row.event_id)
    return delivery_public(session, row, event.type if event else "unknown")


# --- alerts ----------------------------------------------------------------------------------


def alert_public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(
        {**alert.model_dump(exclude={"hub"}), "created_at": aware(alert.created_at)}
    )


def create_alert(*, session: Session, hub: str, alert_in: AlertCreate) -> Alert:
    alert = Alert(
        hub=hub,
        text=alert_in.text,
        profile_id=alert_in.profile_id,
        filters=alert_in.filters.model_dump(mode="json"),
        top_k=alert_in.top_k,
        min_score=alert_in.min_score,
        created_at=utcnow(),
    )
    session.add(alert)
    session.commit()
    session.refresh(alert)
    return alert


def list_alerts(*, session: Session, hub: str) -> AlertsPublic:
    rows = session.exec(select(Alert).where(Alert.hub == hub).order_by(col(Alert.id))).all()
    return AlertsPublic(data=[alert_public(r) for r in rows], count=len(rows))


def get_alert_or_404(*, session: Session, hub: str, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.hub != hub:
        raise NotFound(f"alert {alert_id} does not exist (or belongs to another hub)")
    return alert


def delete_alert(*, session: Session, hub: str, alert_id: int) -> None:
    alert = get_alert_or_404(session=session, hub=hub, alert_id=alert_id)
    for table in (AlertMember, AlertMatchRow):
        for row in session.exec(select(table).where(table.alert_id == alert.id)).all():
            session.delete(row)
    session.delete(alert)
    session.commit()


def list_alert_matches(
    *, session: Session, hub: str, alert_id: int, after: int, limit: int
) -> AlertMatchesPublic:
    alert = get_alert_or_404(session=session, hub=hub, alert_id=alert_id)
    rows = session.exec(
        select(AlertMatchRow)
        .where(AlertMatchRow.alert_id == alert.id, col(AlertMatchRow.id) > after)
        .order_by(col(AlertMatchRow.id))
        .limit(limit)
    ).all()
    data = [
        AlertMatch.model_validate(
            {**r.hit, "cursor": r.id, "event_id": r.event_id, "matched_at": aware(r.matched_at)}
        )
        for r in rows
    ]
    return AlertMatchesPublic(
        data=data, count=len(data), next_cursor=data[-1].cursor if data else None
    )
