"""The exception tree and its one mapping to HTTP.

    CrosslinkError            500 internal        (never raised bare)
    +-- NotFound              404 not_found
    +-- Conflict              409 conflict        (unique keys, duplicate external_id)
    +-- PreconditionFailed    412 version_mismatch (optimistic concurrency, If-Match)
    +-- InvalidInput          422 invalid_input
    +-- PayloadTooLarge       413 payload_too_large (request body over its limit)
    +-- Unauthorized          401 unauthorized
    +-- Forbidden             403 forbidden
    +-- RateLimited           429 rate_limited     (Retry-After header)
    +-- UpstreamUnavailable   503 upstream_unavailable
    +-- UpstreamTimeout       504 upstream_timeout
    +-- NotReady              503 not_ready

Every error body is `{"error": {"code", "message", "details"}}` (models.common.ErrorBody);
`invalid_input(errors)` is the one translation of a validation error into that body (used by the
handlers, the matcher's and the gateway's own checks and the profiles importer);
`install_error_handlers(app)` maps these, FastAPI's validation errors, HTTP errors and anything
unexpected (logged, answered 500 without a traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

log = logging.getLogger("crosslink.errors")


class CrosslinkError(Exception):
    status_code = 500
    code = "internal"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers


class NotFound(CrosslinkError):
    status_code, code = 404, "not_found"


class Conflict(CrosslinkError):
    status_code, code = 409, "conflict"


class PreconditionFailed(CrosslinkError):
    status_code, code = 412, "version_mismatch"


class InvalidInput(CrosslinkError):
    status_code, code = 422, "invalid_input"


class PayloadTooLarge(CrosslinkError):
    status_code, code = 413, "payload_too_large"


class Unauthorized(CrosslinkError):
    status_code, code = 401, "unauthorized"


class Forbidden(CrosslinkError):
    status_code, code = 403, "forbidden"


class RateLimited(CrosslinkError):
    status_code, code = 429, "rate_limited"


class UpstreamUnavailable(CrosslinkError):
    status_code, code = 503, "upstream_unavailable"


class UpstreamTimeout(CrosslinkError):
    status_code, code = 504, "upstream_timeout"


class NotReady(CrosslinkError):
    status_code, code = 503, "not_ready"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    412: "version_mismatch",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    428: "precondition_required",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status, headers=headers)


def invalid_input(
    errors: Sequence[Any], *, loc_prefix: tuple[str, ...] = (), fallback: str = "request"
) -> InvalidInput:
    """The one way a validation error (pydantic's or FastAPI's `.errors()`) becomes the error body:
    `where: message` of the first error, every error in `details` as `{loc, message, type}`."""
    details = []
    for err in errors:
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        loc = [*loc_prefix, *err.get("loc", ())]
        details.append({"loc": loc, "message": message, "type": err.get("type")})
    if not details:
        return InvalidInput(f"{fallback}: invalid", details=[])
    first = details[0]
    where = ".".join(str(part) for part in first["loc"] if part != "body") or fallback
    return InvalidInput(f"{where}: {first['message']}", details=details)


def invalid_input_from(exc: ValidationError, *, fallback: str = "request") -> InvalidInput:
    """`invalid_input` for a pydantic ValidationError raised outside request parsing."""
    return invalid_input(exc.errors(include_url=False, include_input=False), fallback=fallback)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one JSON shape."""

    @app.exception_handler(CrosslinkError)
    async def _crosslink(_: Request, exc: CrosslinkError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        error = invalid_input(exc.errors())
        return error_response(error.status_code, error.code, error.message, error.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = dict(exc.headers) if exc.headers else None
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        if exc.status_code == 413 and isinstance(limit, int):  # a streamed body over its limit
            message = f"request body is larger than the limit of {limit} bytes; send less per call"
            return error_response(413, code, message, {"limit_bytes": limit}, headers)
        return error_response(exc.status_code, code, str(exc.detail), None, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal error; it has been logged")
