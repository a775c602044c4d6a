"""HTTP routes of the profiles service (internal API; the gateway calls it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func
from sqlmodel import Session, select

from crosslink.errors import InvalidInput
from models.common import CountryCode, Health, RegionPrefix, SectorCode
from models.profiles import (
    REQUEST_KEY_HEADER,
    ChangesPublic,
    ImportResult,
    Kind,
    ProfileCreate,
    ProfilePublic,
    ProfilesPublic,
    ProfileUpdate,
)
from services.profiles import feed, service
from services.profiles.deps import IfMatchDep, OwnerDep, SessionDep, SettingsDep
from services.profiles.importer import import_records
from services.profiles.longpoll import wait_for_changes
from services.profiles.readers import read_body
from services.profiles.tables import Profile
from services.profiles.validation import find_nul, nul_message

router = APIRouter()

MAX_IDS = 500


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


@router.post("/profiles", status_code=201, response_model=ProfilePublic)
def create_profile(
    profile_in: ProfileCreate,
    session: SessionDep,
    settings: SettingsDep,
    owner: OwnerDep,
    response: Response,
    include_contact: bool = False,
    request_key: Annotated[
        str | None,
        Header(
            alias=REQUEST_KEY_HEADER,
            min_length=16,
            max_length=64,
            description="The gateway's hash of the caller and its Idempotency-Key: a repeat "
            "returns the profile the first create made",
        ),
    ] = None,
) -> ProfilePublic:
    profile = service.create_profile(
        session=session,
        profile_in=profile_in,
        owner=owner,
        request_key=request_key,
        request_key_ttl=settings.idempotency_ttl,
    )
    _etag(response, profile.version)
    response.headers["Location"] = f"/profiles/{profile.id}"
    return service.to_public(profile, include_contact=include_contact)


@router.post("/profiles/bulk", response_model=ImportResult)
async def bulk_upsert(request: Request, owner: OwnerDep) -> ImportResult:
    """Upsert a JSON array or JSON lines (`application/x-ndjson`) by external_id. Each item is
    read on its own: one that cannot be read is rejected with its line, the others land."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    max_depth = request.app.state.settings.json_max_depth

    def run() -> ImportResult:
        records = read_body(body, content_type, max_depth=max_depth)
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            return import_records(records, session=session, owner=owner)

    return await run_in_threadpool(run)


@router.get("/profiles", response_model=ProfilesPublic)
def list_profiles(
    session: SessionDep,
    kind: Annotated[list[Kind], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    country: Annotated[list[CountryCode], Query()] = [],  # noqa: B006
    region: Annotated[list[RegionPrefix], Query(description="NUTS prefix")] = [],  # noqa: B006
    sector: Annotated[list[SectorCode], Query(description="NACE prefix")] = [],  # noqa: B006
    external_id: str | None = None,
    owner: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    ids: Annotated[str | None, Query(description="Comma-separated profile ids")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> ProfilesPublic:
    where = find_nul({"external_id": external_id, "owner": owner, "q": q, "cursor": cursor})
    if where:
        raise InvalidInput(nul_message(where))
    filters = service.ProfileFilters(
        kinds=[k.value for k in kind],
        countries=country,
        regions=region,
        sectors=sector,
        external_id=external_id,
        owner=owner,
        q=q,
        ids=_parse_ids(ids) if ids is not None else [],
    )
    if ids is not None and not filters.ids:
        return ProfilesPublic(data=[], count=0)
    return service.list_profiles(session=session, filters=filters, limit=limit, cursor=cursor)


def _parse_ids(raw: str) -> list[int]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_IDS:
        raise InvalidInput(f"ids lists {len(parts)} profiles; at most {MAX_IDS} are accepted")
    bad = [part for part in parts if not part.isdigit() or len(part) > 10]
    if bad:
        raise InvalidInput(f"ids: '{bad[0]}' is not a profile id; expected e.g. 'ids=3,17,42'")
    return [int(part) for part in parts]


@router.get("/profiles/{profile_id}", response_model=ProfilePublic)
def get_profile(
    profile_id: int, session: SessionDep, response: Response, include_contact: bool = False
) -> ProfilePublic:
    profile = service.get_profile_or_404(session=session, profile_id=profile_id)
    _etag(response, profile.version)
    return service.to_public(profile, include_contact=include_contact)


@router.patch("/profiles/{profile_id}", response_model=ProfilePublic)
def update_profile(
    profile_id: int,
    profile_in: ProfileUpdate,
    session: SessionDep,
    owner: OwnerDep,
    if_match: IfMatchDep,
    response: Response,
    include_contact: bool = False,
) -> ProfilePublic:
    profile = service.update_profile(
        session=session,
        profile_id=profile_id,
        profile_in=profile_in,
        if_match=if_match,
        owner=owner,
    )
    _etag(response, profile.version)
    return service.to_public(profile, include_contact=include_contact)


@router.delete("/profiles/{profile_id}", status_code=204)
def delete_profile(
    profile_id: int, session: SessionDep, owner: OwnerDep, if_match: IfMatchDep
) -> Response:
    service.delete_profile(session=session, profile_id=profile_id, if_match=if_match, owner=owner)
    return Response(status_code=204)


@router.get("/changes", response_model=ChangesPublic)
async def list_changes(
    request: Request,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=service.MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            allow_inf_nan=False,
            description="Seconds to hold the request until a change after `after` exists "
            "(at most CROSSLINK_CHANGES_MAX_WAIT; 0 answers at once)",
        ),
    ] = 0,
) -> ChangesPublic:
    """Changes after `after`, in seq order: the latest entry per profile (a delete leaves a
    tombstone), at most `limit` and about CROSSLINK_CHANGES_MAX_BYTES of profiles per page."""

    def read() -> ChangesPublic:
        with Session(request.app.state.engine) as session:
            return feed.list_changes(
                session=session, after=after, limit=limit, max_bytes=settings.changes_max_bytes
            )

    return await wait_for_changes(
        read=read,
        signal=request.app.state.feed_signal,
        wait=min(wait, settings.changes_max_wait),
        poll_interval=settings.changes_poll_interval,
        disconnected=request.is_disconnected,
    )


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    count = session.exec(select(func.count()).select_from(Profile)).one()
    return Health(status="ok", ready=True, details={"profiles": count})
