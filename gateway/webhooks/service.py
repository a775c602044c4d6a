"""Forwarding to the dispatcher with the caller's hub; a hub only ever reaches its own
subscriptions and alerts (the dispatcher scopes every call to `X-Crosslink-Hub`)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, Request
from pydantic import BaseModel

from gateway.access import Caller, Scope
from gateway.config import GatewaySettings
from gateway.upstream import Upstream, expect

HUB_HEADER = "X-Crosslink-Hub"

M = TypeVar("M", bound=BaseModel)


def build_dispatcher(
    settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
) -> Upstream:
    """The dispatcher's upstream client, built in the gateway's lifespan."""
    timeout = httpx.Timeout(settings.upstream_timeout, connect=settings.upstream_connect_timeout)
    return Upstream(
        "dispatcher",
        settings.dispatcher_url,
        timeout=timeout,
        retries=settings.upstream_retries,
        transport=transport,
    )


def get_dispatcher(request: Request) -> Upstream:
    dispatcher: Upstream = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Upstream, Depends(get_dispatcher)]


async def forward(
    dispatcher: Upstream,
    caller: Caller,
    method: str,
    path: str,
    model: type[M] | None,
    **kwargs: Any,
) -> M | None:
    """Call the dispatcher as the caller's hub (needs `write`); validate its answer."""
    caller.require(Scope.write)
    assert caller.hub is not None
    body = await dispatcher.json(method, path, headers={HUB_HEADER: caller.hub}, **kwargs)
    return None if model is None else expect(model, body, "dispatcher")
