"""Calls to the internal services: one long-lived httpx.AsyncClient per upstream.

Connect errors become 503 `upstream_unavailable`, timeouts 504 `upstream_timeout`; idempotent
calls are retried on connect errors (tenacity). Errors the upstream answers in the one error shape
pass through unchanged. Several matchers are used round-robin, skipping those that recently failed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from crosslink.errors import CrosslinkError, UpstreamTimeout, UpstreamUnavailable
from crosslink.observability import current_request_id

M = TypeVar("M", bound=BaseModel)

_IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class UpstreamRejected(CrosslinkError):
    """An upstream answered with an error in the one shape; pass it on as it is."""

    def __init__(self, status_code: int, code: str, message: str, details: Any = None):
        super().__init__(message, details=details)
        self.status_code = status_code
        self.code = code


def expect(model: type[M], body: Any, upstream: str) -> M:
    """Validate an upstream's answer; a malformed one is the upstream's failure, not ours."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UpstreamUnavailable(
            f"the {upstream} service answered data the gateway does not understand",
            details={"upstream": upstream, "expected": model.__name__},
        ) from exc


async def _add_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id:
        request.headers["X-Request-ID"] = request_id


def _raise_for_status(name: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    status = response.status_code
    try:
        error = response.json()["error"]
        code, message, details = str(error["code"]), str(error["message"]), error.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "upstream_error", f"{name} answered {status}", None
    if status in (503, 504) or (400 <= status < 500):
        raise UpstreamRejected(status, code, message, details)
    raise UpstreamUnavailable(f"the {name} service failed ({status}); try again later")


class Upstream:
    """One internal service behind one AsyncClient."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: httpx.Timeout,
        retries: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.name = name
        self.base_url = base_url
        self.retries = retries
        self.unhealthy_until = 0.0
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            event_hooks={"request": [_add_request_id]},
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send, retrying idempotent calls on connect errors; raise mapped errors. With
        `stream=True` a successful answer's body is left unread: the caller closes it."""
        if idempotent is None:
            idempotent = method.upper() in _IDEMPOTENT
        attempts = self.retries if idempotent else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_fixed(0.05),
                retry=retry_if_exception_type(_RETRYABLE),
                reraise=True,
            ):
                with attempt:
                    sent = self.client.build_request(method, url, **kwargs)
                    response = await self.client.send(sent, stream=stream)
        except _RETRYABLE as exc:
            self.unhealthy_until = time.monotonic() + 1.0
            raise UpstreamUnavailable(
                f"the {self.name} service is unreachable; try again later",
                details={"upstream": self.name},
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"the {self.name} service did not answer in time; try again later",
                details={"upstream": self.name},
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"the {self.name} service failed: {type(exc).__name__}",
                details={"upstream": self.name},
            ) from exc
        if stream and not response.is_success:
            await response.aread()
            await response.aclose()
        _raise_for_status(self.name, response)
        return response

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.request(method, url, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamUnavailable(f"the {self.name} service answered invalid JSON") from exc

    async def health(self) -> dict[str, Any]:
        """The upstream's /health body, or why it could not be read."""
        try:
            response = await self.client.get("/health")
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {"url": self.base_url, "ready": False, "status": type(exc).__name__}
        ready = response.status_code == 200 and bool(body.get("ready", True))
        return {"url": self.base_url, "ready": ready, "status": body.get("status", "unknown")}

    async def aclose(self) -> None:
        await self.client.aclose()


class UpstreamPool:
    """Several instances of one service; spread calls round-robin over the healthy ones."""

    def __init__(self, name: str, members: list[Upstream], *, cooldown: float):
        self.name = name
        self.members = members
        self.cooldown = cooldown
        self._turn = itertools.count()

    def _order(self) -> list[Upstream]:
        start = next(self._turn) % len(self.members)
        rotated = self.members[start:] + self.members[:start]
        now = time.monotonic()
        healthy = [m for m in rotated if m.unhealthy_until <= now]
        return healthy + [m for m in rotated if m.unhealthy_until > now]

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Try the members in turn while they are unreachable; a slow one is not retried."""
        return await self._first(Upstream.json, method, url, **kwargs)

    async def raw(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Like `json`, but the answer as received (for passing a body through unparsed)."""
        response: httpx.Response = await self._first(Upstream.request, method, url, **kwargs)
        return response

    async def _first(self, call: Any, method: str, url: str, **kwargs: Any) -> Any:
        last: CrosslinkError | None = None
        for member in self._order():
            try:
                return await call(member, method, url, idempotent=True, **kwargs)
            except UpstreamRejected as exc:
                if exc.status_code != 503:  # a matcher still loading: ask the next one
                    raise
                last = exc
            except UpstreamUnavailable as exc:
                member.unhealthy_until = time.monotonic() + self.cooldown
                last = exc
        assert last is not None
        raise last

    async def health(self) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(member.health() for member in self.members)))

    async def aclose(self) -> None:
        for member in self.members:
            await member.aclose()
