"""Thin HTTP routes; the journeys' logic lives in gateway.journeys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from models.common import ErrorBody

MAX_ID = 2**31 - 1
ProfileId = Annotated[int, Path(ge=1, le=MAX_ID, description="A profile id")]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route may give, all in the one shape."""
    text = {
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
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


COMMON = errors(422, 429, 503, 504)
