"""What is refused before a request body is read: an anonymous call to a route that needs a key
(401), and a body larger than its limit (413, whether announced by Content-Length or streamed).

`BodyLimit` answers an announced oversize body at once and leaves the streamed case to
Starlette's `RequestBodyLimitResponder`, which FastAPI turns into a 413 the error handlers shape.
`GatedRoute` is the route class of the `/v1` routers: a route whose `openapi_extra` carries
`KEY_REQUIRED` refuses a call without credentials before FastAPI reads and validates its body.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from crosslink.errors import PayloadTooLarge, Unauthorized, error_response

KEY_MARK = "x-crosslink-key-required"
KEY_REQUIRED: dict[str, object] = {KEY_MARK: True}
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body is larger than the limit of {limit} bytes; send less per call "
        "(bulk imports: split the file, see docs/SECURITY.md)",
        details={"limit_bytes": limit},
    )


class BodyLimit:
    """ASGI middleware: at most `default` body bytes, `bulk` on the paths in `bulk_paths`."""

    def __init__(self, app: ASGIApp, *, default: int, bulk: int, bulk_paths: tuple[str, ...]):
        self.app = app
        self.default = default
        self.bulk = bulk
        self.bulk_paths = bulk_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.bulk if path.rstrip("/") in self.bulk_paths else self.default
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = too_large(limit)
            response = error_response(error.status_code, error.code, error.message, error.details)
            await response(scope, receive, send)
            return
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


class GatedRoute(APIRoute):
    """An APIRoute that refuses an anonymous call before reading the body when marked."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not (self.openapi_extra or {}).get(KEY_MARK):
            return handler

        async def gated(request: Request) -> Response:
            if not any(name in request.headers for name in _CREDENTIAL_HEADERS):
                raise Unauthorized(
                    f"{request.method} {request.url.path} needs an API key; send it as "
                    "'Authorization: Bearer <token>' or 'X-API-Key: <token>'"
                )
            return await handler(request)

        return gated
