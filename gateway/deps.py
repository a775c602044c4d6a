"""Dependencies as Annotated aliases: the services container, the caller, path parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Engine

from crosslink.errors import InvalidInput
from gateway.access import Caller, RateLimiter, identify_caller
from gateway.config import GatewaySettings
from gateway.upstream import Upstream, UpstreamPool
from models.common import MAX_ID


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

# Declared for the OpenAPI "Authorize" button; the headers are read by `identify_caller`.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")


def get_caller(
    request: Request,
    services: ServicesDep,
    _b: Annotated[object, Security(_bearer)] = None,
    _k: Annotated[object, Security(_api_key)] = None,
) -> Caller:
    """Authenticate the key (if any) and count the call against its rate limit."""
    return identify_caller(request=request, engine=services.keys_engine, limiter=services.limiter)


CallerDep = Annotated[Caller, Depends(get_caller)]

ProfileIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A profile id")]


def reject_nul_in_query(request: Request) -> None:
    """No text column downstream can hold NUL; say so instead of letting a database fail."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise InvalidInput(
                f"query parameter '{name[:50]}' contains a NUL character; send plain text"
            )
