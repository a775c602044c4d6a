"""Internal HTTP API of the dispatcher (the gateway calls it with the caller's hub in
`X-Crosslink-Hub`). Every route is scoped to that hub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, Response
from sqlmodel import Session

from crosslink.errors import InvalidInput
from models.common import Health
from models.webhooks import (
    AlertCreate,
    AlertMatchesPublic,
    AlertPublic,
    AlertsPublic,
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from services.dispatcher import service
from services.dispatcher.urls import UnsafeUrl, check_url

router = APIRouter()

HUB_HEADER = "X-Crosslink-Hub"


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_hub(x_crosslink_hub: Annotated[str, Header(min_length=1, max_length=200)]) -> str:
    return x_crosslink_hub.strip()


SessionDep = Annotated[Session, Depends(get_session)]
HubDep = Annotated[str, Depends(get_hub)]


async def _safe(request: Request, url: str) -> None:
    try:
        await check_url(url, request.app.state.allow)
    except UnsafeUrl as exc:
        raise InvalidInput(f"url: {exc}", details={"url": url}) from None


def _wake(request: Request) -> None:
    request.app.state.deliverer.wake.set()


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
async def create_webhook(
    webhook_in: WebhookCreate, request: Request, session: SessionDep, hub: HubDep
) -> WebhookCreated:
    await _safe(request, str(webhook_in.url))
    sub = service.create_subscription(session=session, hub=hub, webhook_in=webhook_in)
    return WebhookCreated(**service.to_public(sub).model_dump(), secret=sub.secret)


@router.get("/webhooks", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, hub: HubDep) -> WebhooksPublic:
    return service.list_subscriptions(session=session, hub=hub)


@router.get("/webhooks/{webhook_id}", response_model=WebhookPublic)
def get_webhook(webhook_id: int, session: SessionDep, hub: HubDep) -> WebhookPublic:
    sub = service.get_subscription_or_404(session=session, hub=hub, webhook_id=webhook_id)
    return service.to_public(sub)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookPublic)
async def update_webhook(
    webhook_id: int, webhook_in: WebhookUpdate, request: Request, session: SessionDep, hub: HubDep
) -> WebhookPublic:
    if webhook_in.url is not None:
        await _safe(request, str(webhook_in.url))
    sub = service.update_subscription(
        session=session, hub=hub, webhook_id=webhook_id, webhook_in=webhook_in
    )
    _wake(request)
    return service.to_public(sub)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, session: SessionDep, hub: HubDep) -> Response:
    service.delete_subscription(session=session, hub=hub, webhook_id=webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", status_code=202, response_model=DeliveryPublic)
def test_webhook(
    webhook_id: int, request: Request, session: SessionDep, hub: HubDep
) -> DeliveryPublic:
    delivery = service.queue_test(session=session, hub=hub, webhook_id=webhook_id)
    _wake(request)
    return delivery


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveriesPublic)
def list_deliveries(
    webhook_id: int,
    session: SessionDep,
    hub: HubDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveriesPublic:
    return service.list_deliveries(session=session, hub=hub, webhook_id=webhook_id, limit=limit)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryPublic,
)
def retry_delivery(
    webhook_id: int, delivery_id: int, request: Request, session: SessionDep, hub: HubDep
) -> DeliveryPublic:
    delivery = service.retry_delivery(
        session=session, hub=hub, webhook_id=webhook_id, delivery_id=delivery_id
    )
    _wake(request)
    return delivery


@router.post("/alerts", status_code=201, response_model=AlertPublic)
def create_alert(
    alert_in: AlertCreate,
    request: Request,
    session: SessionDep,
    hub: HubDep,
    background: BackgroundTasks,
) -> AlertPublic:
    alert = service.create_alert(session=session, hub=hub, alert_in=alert_in)
    background.add_task(request.app.state.alerts.warm, alert)
    return service.alert_public(alert)


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(session: SessionDep, hub: HubDep) -> AlertsPublic:
    return service.list_alerts(session=session, hub=hub)


@router.get("/alerts/{alert_id}", response_model=AlertPublic)
def get_alert(alert_id: int, session: SessionDep, hub: HubDep) -> AlertPublic:
    return service.alert_public(
        service.get_alert_or_404(session=session, hub=hub, alert_id=alert_id)
    )


@router.delete("/alerts/{alert_id}", status_code=204)
def delete_alert(alert_id: int, session: SessionDep, hub: HubDep) -> Response:
    service.delete_alert(session=session, hub=hub, alert_id=alert_id)
    return Response(status_code=204)


@router.get("/alerts/{alert_id}/matches", response_model=AlertMatchesPublic)
def alert_matches(
    alert_id: int,
    session: SessionDep,
    hub: HubDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertMatchesPublic:
    return service.list_alert_matches(
        session=session, hub=hub, alert_id=alert_id, after=after, limit=limit
    )


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Up as soon as it runs; `lag` says how far behind the change feed it is."""
    follower = request.app.state.follower
    last = follower.feed_last_seq
    details = {
        "seq": follower.seq,
        "feed_last_seq": last,
        "lag": max(0, (last or 0) - follower.seq),
        "workers": len(request.app.state.deliverer.workers),
        "alert_checks": request.app.state.alerts.pending(),
        "last_error": follower.last_error or request.app.state.alerts.last_error,
    }
    return Health(status="ok", ready=True, details=details)
