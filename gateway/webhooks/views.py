"""Thin routes: /v1/webhooks and /v1/alerts, forwarded to the dispatcher (key with `write`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from gateway.deps import CallerDep
from gateway.gate import KEY_REQUIRED, GatedRoute
from gateway.openapi import COMMON, errors
from gateway.webhooks.service import DispatcherDep, forward
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

router = APIRouter(
    tags=["webhooks"], responses={**COMMON, **errors(401, 403, 404)}, route_class=GatedRoute
)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    openapi_extra=KEY_REQUIRED,
    path="/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
)
async def post_webhook(
    webhook_in: WebhookCreate, caller: CallerDep, dispatcher: DispatcherDep
) -> WebhookCreated | None:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    body = webhook_in.model_dump(mode="json", exclude_unset=True)
    return await forward(dispatcher, caller, "POST", "/webhooks", WebhookCreated, json=body)


@router.get(openapi_extra=KEY_REQUIRED, path="/webhooks", response_model=WebhooksPublic)
async def get_webhooks(caller: CallerDep, dispatcher: DispatcherDep) -> WebhooksPublic | None:
    """The hub's subscriptions."""
    return await forward(dispatcher, caller, "GET", "/webhooks", WebhooksPublic)


@router.get(openapi_extra=KEY_REQUIRED, path="/webhooks/{webhook_id}", response_model=WebhookPublic)
async def get_webhook(
    webhook_id: Id, caller: CallerDep, dispatcher: DispatcherDep
) -> WebhookPublic | None:
    return await forward(dispatcher, caller, "GET", f"/webhooks/{webhook_id}", WebhookPublic)


@router.patch(
    openapi_extra=KEY_REQUIRED, path="/webhooks/{webhook_id}", response_model=WebhookPublic
)
async def patch_webhook(
    webhook_id: Id, webhook_in: WebhookUpdate, caller: CallerDep, dispatcher: DispatcherDep
) -> WebhookPublic | None:
    """Change a subscription; `{"enabled": true}` re-enables one disabled by failures."""
    body = webhook_in.model_dump(mode="json", exclude_unset=True)
    path = f"/webhooks/{webhook_id}"
    return await forward(dispatcher, caller, "PATCH", path, WebhookPublic, json=body)


@router.delete(openapi_extra=KEY_REQUIRED, path="/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: Id, caller: CallerDep, dispatcher: DispatcherDep) -> Response:
    await forward(dispatcher, caller, "DELETE", f"/webhooks/{webhook_id}", None)
    return Response(status_code=204)


@router.post(
    openapi_extra=KEY_REQUIRED,
    path="/webhooks/{webhook_id}/test",
    status_code=202,
    response_model=DeliveryPublic,
)
async def test_webhook(
    webhook_id: Id, caller: CallerDep, dispatcher: DispatcherDep
) -> DeliveryPublic | None:
    """Queue a signed `webhook.test` event to the subscription."""
    path = f"/webhooks/{webhook_id}/test"
    return await forward(dispatcher, caller, "POST", path, DeliveryPublic, idempotent=False)


@router.get(
    openapi_extra=KEY_REQUIRED,
    path="/webhooks/{webhook_id}/deliveries",
    response_model=DeliveriesPublic,
)
async def get_deliveries(
    webhook_id: Id,
    caller: CallerDep,
    dispatcher: DispatcherDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveriesPublic | None:
    """Latest deliveries, newest first, with every attempt (time, status, latency, error)."""
    path = f"/webhooks/{webhook_id}/deliveries"
    return await forward(dispatcher, caller, "GET", path, DeliveriesPublic, params={"limit": limit})


@router.post(
    openapi_extra=KEY_REQUIRED,
    path="/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryPublic,
    responses=errors(409),
)
async def retry_delivery(
    webhook_id: Id, delivery_id: Id, caller: CallerDep, dispatcher: DispatcherDep
) -> DeliveryPublic | None:
    """Deliver again (same event id, so receivers can de-duplicate)."""
    path = f"/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"
    return await forward(dispatcher, caller, "POST", path, DeliveryPublic, idempotent=False)


@router.post(
    openapi_extra=KEY_REQUIRED,
    path="/alerts",
    status_code=status.HTTP_201_CREATED,
    response_model=AlertPublic,
)
async def post_alert(
    alert_in: AlertCreate, caller: CallerDep, dispatcher: DispatcherDep
) -> AlertPublic | None:
    """Save a search; profiles entering its results fire `match.alert`."""
    body = alert_in.model_dump(mode="json", exclude_unset=True)
    return await forward(dispatcher, caller, "POST", "/alerts", AlertPublic, json=body)


@router.get(openapi_extra=KEY_REQUIRED, path="/alerts", response_model=AlertsPublic)
async def get_alerts(caller: CallerDep, dispatcher: DispatcherDep) -> AlertsPublic | None:
    return await forward(dispatcher, caller, "GET", "/alerts", AlertsPublic)


@router.get(openapi_extra=KEY_REQUIRED, path="/alerts/{alert_id}", response_model=AlertPublic)
async def get_alert(
    alert_id: Id, caller: CallerDep, dispatcher: DispatcherDep
) -> AlertPublic | None:
    return await forward(dispatcher, caller, "GET", f"/alerts/{alert_id}", AlertPublic)


@router.delete(openapi_extra=KEY_REQUIRED, path="/alerts/{alert_id}", status_code=204)
async def delete_alert(alert_id: Id, caller: CallerDep, dispatcher: DispatcherDep) -> Response:
    await forward(dispatcher, caller, "DELETE", f"/alerts/{alert_id}", None)
    return Response(status_code=204)


@router.get(
    openapi_extra=KEY_REQUIRED, path="/alerts/{alert_id}/matches", response_model=AlertMatchesPublic
)
async def get_alert_matches(
    alert_id: Id,
    caller: CallerDep,
    dispatcher: DispatcherDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="A cursor from an earlier page")] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertMatchesPublic | None:
    """What the alert found after `after` (the pull alternative to webhooks)."""
    path = f"/alerts/{alert_id}/matches"
    params = {"after": after, "limit": limit}
    return await forward(dispatcher, caller, "GET", path, AlertMatchesPublic, params=params)
