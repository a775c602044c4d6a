"""Identify the caller of a request: its API key (if any), counted against its rate limit."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine

from crosslink.errors import Unauthorized
from gateway.access.auth import Caller
from gateway.access.keys import find_active_key
from gateway.access.ratelimit import RateLimiter


def token_from(request: Request) -> str | None:
    """The API key sent as `X-API-Key` or `Authorization: Bearer`, if any."""
    header = request.headers.get("x-api-key")
    if header is not None:
        return header.strip()
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized(
            f"Authorization scheme '{scheme[:20]}' is not supported; "
            "expected 'Authorization: Bearer <token>'"
        )
    return token.strip()


def identify_caller(*, request: Request, engine: Engine, limiter: RateLimiter) -> Caller:
    """Authenticate the key (if any) and count the call against its rate limit."""
    address = request.client.host if request.client else "unknown"
    token = token_from(request)
    if token is None:
        limiter.hit(identity=f"addr:{address}", keyed=False)
        return Caller()
    key = find_active_key(engine=engine, token=token) if token else None
    if key is None:
        # Failed attempts count against the address, which slows down guessing.
        limiter.hit(identity=f"addr:{address}", keyed=False)
        raise Unauthorized("API key is unknown or revoked; ask your crosslink admin for a key")
    limiter.hit(identity=f"key:{key.id}", keyed=True)
    return Caller(hub=key.hub, key_id=key.id, scopes=key.scope_set())
