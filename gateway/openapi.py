"""The error answers a route may give, for OpenAPI: all in the one error shape."""

from __future__ import annotations

from typing import Any

from models.common import ErrorBody

_TEXT = {
    401: "No or unknown API key",
    403: "The key lacks a scope or does not own the profile",
    404: "Not found",
    409: "Conflict",
    412: "Version mismatch (If-Match)",
    422: "Invalid input",
    429: "Rate limited; see Retry-After",
    503: "An upstream service is unreachable or not ready",
    504: "An upstream service did not answer in time",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route may give, all in the one shape."""
    return {code: {"model": ErrorBody, "description": _TEXT[code]} for code in codes}


COMMON = errors(422, 429, 503, 504)
