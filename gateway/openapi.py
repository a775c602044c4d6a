"""The error answers a route may give, for OpenAPI: all in the one error shape; and the document
itself told the truth: reads are anonymous, every answer that occurs is listed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from starlette.routing import compile_path

from crosslink.errors import error_response
from gateway.gate import KEY_MARK
from models.common import ErrorBody

_TEXT = {
    400: "Malformed request (the body could not be read)",
    401: "No, unknown or revoked API key",
    403: "The key lacks a scope or does not own the profile",
    404: "Not found",
    409: "Conflict (duplicate external_id, or an Idempotency-Key reused with another body)",
    412: "Version mismatch (If-Match)",
    413: "Request body over its limit",
    422: "Invalid input",
    429: "Rate limited or over a quota; see Retry-After",
    503: "An upstream service is unreachable or not ready",
    504: "An upstream service did not answer in time",
}

# Any /v1 call may send a bad key (401); any with a body may send too much (413) or bytes
# that are not readable (400).
_EVERY_CALL = (401, 422, 429, 503, 504)
_WITH_BODY = (400, 413)
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route may give, all in the one shape."""
    return {code: {"model": ErrorBody, "description": _TEXT[code]} for code in codes}


COMMON = errors(*_EVERY_CALL)


def _error_entry(code: int) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": _TEXT[code], "content": {"application/json": {"schema": schema}}}


def _complete(operation: dict[str, Any], method: str) -> None:
    responses = operation.setdefault("responses", {})
    codes = _EVERY_CALL + (_WITH_BODY if method in ("post", "put", "patch") else ())
    for code in codes:
        responses.setdefault(str(code), _error_entry(code))
    responses.pop("default", None)
    if "security" in operation and not operation.get(KEY_MARK):
        operation["security"] = [*operation["security"], {}]  # a key is optional here


def document(app: FastAPI) -> None:
    """Build the OpenAPI document once, completed as above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for path, item in schema.get("paths", {}).items():
                if not path.startswith("/v1"):
                    continue
                for method, operation in item.items():
                    _complete(operation, method)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document lists for a concrete path (for a 405's `Allow`)."""
    paths = app.openapi().get("paths", {})
    # A literal path (`/v1/profiles/bulk`) is its own resource, even where a template
    # (`/v1/profiles/{profile_id}`) would match it too.
    items = (
        [paths[path]]
        if path in paths
        else [item for template, item in paths.items() if compile_path(template)[0].match(path)]
    )
    found: set[str] = set()
    for item in items:
        found.update(m.upper() for m in item if m in _METHODS)
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)


def install_method_not_allowed(app: FastAPI) -> None:
    """405 with an `Allow` naming every method of the path, not only the first route's."""

    async def handler(request: Request, exc: Exception) -> Response:
        allow = allowed_methods(app, request.url.path)
        if not allow:
            allow = (getattr(exc, "headers", None) or {}).get("Allow", "").split(", ")
        message = (
            f"{request.method} is not allowed on {request.url.path[:200]}; "
            f"allowed: {', '.join(allow)}"
        )
        return error_response(
            405, "method_not_allowed", message, {"allowed": allow}, {"Allow": ", ".join(allow)}
        )

    app.add_exception_handler(405, handler)
