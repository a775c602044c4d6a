"""/v1/profiles: CRUD, list and bulk import, passed to the profiles service with ownership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from gateway.deps import CallerDep, ProfileIdPath, ServicesDep
from gateway.gate import KEY_REQUIRED, GatedRoute
from gateway.idempotency import IdempotencyKeyHeader, run_once, upstream_key
from gateway.openapi import COMMON, errors
from gateway.profiles.export import router as export_router
from gateway.profiles.service import (
    bulk_import,
    create_profile,
    delete_profile,
    get_profile,
    list_profiles,
    update_profile,
)
from models.profiles import (
    ImportResult,
    Kind,
    ProfileCreate,
    ProfilePublic,
    ProfilesPublic,
    ProfileUpdate,
)

router = APIRouter(tags=["profiles"], responses=COMMON, route_class=GatedRoute)
router.include_router(export_router)  # before /profiles/{profile_id}, which would take it

BULK_PATH = "/v1/profiles/bulk"

IfMatch = Annotated[str | None, Header(description="The profile's version (its ETag)")]

_LIST_PARAMS = (
    "kind",
    "country",
    "region",
    "sector",
    "external_id",
    "owner",
    "q",
    "ids",
    "limit",
    "cursor",
)


@router.post(
    "/profiles",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfilePublic,
    responses=errors(401, 403, 409, 413),
    openapi_extra=KEY_REQUIRED,
)
async def post_profile(
    request: Request,
    profile_in: ProfileCreate,
    caller: CallerDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Create a profile owned by the key's hub (needs `write`)."""
    return await run_once(
        request=request,
        engine=services.keys_engine,
        caller=caller,
        key=idempotency_key,
        ttl=services.settings.idempotency_ttl,
        status_code=status.HTTP_201_CREATED,
        run=lambda: create_profile(
            services=services,
            caller=caller,
            profile_in=profile_in,
            request_key=upstream_key(caller, request, idempotency_key),
        ),
    )


@router.get("/profiles", response_model=ProfilesPublic)
async def get_profiles(
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
    kind: Annotated[list[Kind], Query(description="Repeatable")] = [],  # noqa: B006
    country: Annotated[list[str], Query(description="Repeatable, ISO alpha-2")] = [],  # noqa: B006
    region: Annotated[list[str], Query(description="NUTS prefix, repeatable")] = [],  # noqa: B006
    sector: Annotated[list[str], Query(description="NACE prefix, repeatable")] = [],  # noqa: B006
    external_id: Annotated[str | None, Query(max_length=200)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text contains")] = None,
    ids: Annotated[str | None, Query(max_length=2000, description="Comma-separated ids")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,  # as the profiles service
) -> ProfilesPublic:
    """List profiles with filters and cursor pagination (never contact details)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k in _LIST_PARAMS]
    return await list_profiles(services=services, params=params)


@router.get("/profiles/{profile_id}", response_model=ProfilePublic, responses=errors(404))
async def get_one_profile(
    profile_id: ProfileIdPath, caller: CallerDep, services: ServicesDep, response: Response
) -> ProfilePublic:
    """One profile; contact details only for the owner or a key with `contacts`."""
    profile = await get_profile(services=services, caller=caller, profile_id=profile_id)
    response.headers["ETag"] = f'"{profile.version}"'
    return profile


@router.patch(
    "/profiles/{profile_id}",
    response_model=ProfilePublic,
    responses=errors(401, 403, 404, 409, 412, 413),
    openapi_extra=KEY_REQUIRED,
)
async def patch_profile(
    profile_id: ProfileIdPath,
    profile_in: ProfileUpdate,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProfilePublic:
    """Change the fields sent; only the owning hub (or `admin`) may."""
    profile = await update_profile(
        services=services,
        caller=caller,
        profile_id=profile_id,
        profile_in=profile_in,
        if_match=if_match,
    )
    response.headers["ETag"] = f'"{profile.version}"'
    return profile


@router.delete(
    "/profiles/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 403, 404, 412),
    openapi_extra=KEY_REQUIRED,
)
async def delete_one_profile(
    profile_id: ProfileIdPath, caller: CallerDep, services: ServicesDep, if_match: IfMatch = None
) -> Response:
    """Delete a profile; only the owning hub (or `admin`) may."""
    await delete_profile(services=services, caller=caller, profile_id=profile_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
        "description": "A JSON array of profiles or JSON Lines (one profile per line)",
    },
    **KEY_REQUIRED,
}


@router.post(
    "/profiles/bulk",
    response_model=ImportResult,
    responses=errors(401, 403, 413),
    openapi_extra=_BULK_BODY,
)
async def post_bulk(
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Upsert many profiles by external_id; per-item results like the CLI import."""
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json")
    return await run_once(
        request=request,
        engine=services.keys_engine,
        caller=caller,
        key=idempotency_key,
        ttl=services.settings.idempotency_ttl,
        status_code=status.HTTP_200_OK,
        run=lambda: bulk_import(
            services=services, caller=caller, body=body, content_type=content_type
        ),
    )
