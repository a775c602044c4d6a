"""`GET /v1/profiles/export`: the profiles service's export streamed through, contacts by caller.

The caller's access decides whose contacts the profiles service writes: every profile's with the
`contacts` scope (or `admin`), else only those of the caller's own hub, else none. The body is
passed on chunk by chunk as it arrives, so the gateway holds one chunk, never the export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.access import Caller, Scope
from gateway.deps import CallerDep, ServicesDep
from gateway.gate import GatedRoute
from gateway.openapi import COMMON, errors
from models.export import EXPORT_MEDIA_TYPES, ProfileExportQuery, ServiceExportQuery

__all__ = ["EXPORT_PATH", "router"]

router = APIRouter(tags=["profiles"], responses=COMMON, route_class=GatedRoute)

EXPORT_PATH = "/v1/profiles/export"

_CONTENT = {
    media.split(";")[0]: {"schema": {"type": "string"}} for media in EXPORT_MEDIA_TYPES.values()
}
_STREAMED = {"description": "One profile per line (CSV: a header row first)", "content": _CONTENT}


def contact_access(caller: Caller) -> dict[str, object]:
    """The service query fields that say whose contacts this caller may take away."""
    if caller.can(Scope.contacts):
        return {"include_contact": True}
    if caller.hub is not None:
        return {"contacts_owner": caller.hub}
    return {}


@router.get(
    "/profiles/export",
    response_class=StreamingResponse,
    responses={200: _STREAMED, **errors(422)},
)
async def export_profiles(
    query: Annotated[ProfileExportQuery, Query()], caller: CallerDep, services: ServicesDep
) -> StreamingResponse:
    """Every profile matching the filters of `GET /v1/profiles`, streamed as JSONL or CSV that
    `crosslink import` and `POST /v1/profiles/bulk` read back; contact details only for the
    owner's profiles or with the `contacts` scope."""
    asked = ServiceExportQuery.model_validate({**query.model_dump(), **contact_access(caller)})
    params = asked.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    upstream = await services.profiles.request(
        "GET", "/profiles/export", params=params, stream=True
    )
    return StreamingResponse(
        upstream.aiter_raw(),
        media_type=EXPORT_MEDIA_TYPES[query.format],
        headers={"Content-Disposition": upstream.headers.get("content-disposition", "")},
        background=BackgroundTask(upstream.aclose),
    )


@router.api_route(
    "/profiles/export", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def export_other_methods() -> None:
    """405, not `/profiles/{profile_id}` refusing "export" as an id: a literal path is its own
    resource (the 405 handler names the methods the document lists for it)."""
    raise HTTPException(status_code=405)
