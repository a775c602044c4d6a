"""Dependencies as Annotated aliases: the services container and the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Engine

from crosslink.errors import InvalidInput, Unauthorized
from gateway.auth import Caller
from gateway.config import GatewaySettings
from gateway.keys import find_active_key
from gateway.ratelimit import RateLimiter
from gateway.upstream import Upstream, UpstreamPool


@dataclass
class Services:
    settings: GatewaySettings
    profiles: Upstream
    matchers: UpstreamPool
    keys_engine: Engine
    limiter: RateLimiter


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

# Declared for the OpenAPI "Authorize" button; the headers are read below.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")


def _token_from(request: Request) -> str | None:
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


def get_caller(
    request: Request,
    services: ServicesDep,
    _b: Annotated[object, Security(_bearer)] = None,
    _k: Annotated[object, Security(_api_key)] = None,
) -> Caller:
    """Authenticate the key (if any) and count the call against its rate limit."""
    address = request.client.host if request.client else "unknown"
    token = _token_from(request)
    if token is None:
        services.limiter.hit(identity=f"addr:{address}", keyed=False)
        return Caller()
    key = find_active_key(engine=services.keys_engine, token=token) if token else None
    if key is None:
        # Failed attempts count against the address, which slows down guessing.
        services.limiter.hit(identity=f"addr:{address}", keyed=False)
        raise Unauthorized("API key is unknown or revoked; ask your crosslink admin for a key")
    services.limiter.hit(identity=f"key:{key.id}", keyed=True)
    return Caller(hub=key.hub, key_id=key.id, scopes=key.scope_set())


CallerDep = Annotated[Caller, Depends(get_caller)]


def reject_nul_in_query(request: Request) -> None:
    """No text column downstream can hold NUL; say so instead of letting a database fail."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise InvalidInput(
                f"query parameter '{name[:50]}' contains a NUL character; send plain text"
            )
