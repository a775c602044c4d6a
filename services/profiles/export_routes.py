"""`GET /profiles/export`: every profile matching the filters, streamed as JSONL or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from models.export import EXPORT_MEDIA_TYPES, ServiceExportQuery
from services.profiles.export import ContactAccess, export_filters, export_lines

__all__ = ["router"]

router = APIRouter()


@router.get("/profiles/export", response_class=StreamingResponse)
def export_profiles(
    request: Request, query: Annotated[ServiceExportQuery, Query()]
) -> StreamingResponse:
    """Every matching profile in id order, read page by page while the client reads; contact
    only for `include_contact` or the profiles of `contacts_owner`."""
    lines = export_lines(
        engine=request.app.state.engine,
        filters=export_filters(query),
        fmt=query.format,
        contacts=ContactAccess(everyone=query.include_contact, owner=query.contacts_owner),
    )
    filename = f"crosslink-profiles.{query.format.value}"
    return StreamingResponse(
        lines,
        media_type=EXPORT_MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
