"""Profiles through the gateway: ownership by hub, contact details by scope.

Ownership is checked once, by the profiles service: a change is sent with the caller's hub in
`X-Crosslink-Owner` (none for an admin) and refused there, in the same transaction as the write,
if the profile belongs to another hub."""

from __future__ import annotations

from typing import Any

from crosslink.errors import Forbidden
from gateway.access import Caller, Scope
from gateway.deps import Services
from gateway.upstream import UpstreamRejected, expect
from models.profiles import (
    REQUEST_KEY_HEADER,
    ImportResult,
    ProfileCreate,
    ProfilePublic,
    ProfilesPublic,
    ProfileUpdate,
)

OWNER_HEADER = "X-Crosslink-Owner"


def visible(profile: ProfilePublic, caller: Caller) -> ProfilePublic:
    """The profile as this caller may see it (contact only for the owner or `contacts`)."""
    if profile.contact is not None and not caller.may_see_contact(profile.owner):
        return profile.model_copy(update={"contact": None})
    return profile


def _owner_headers(caller: Caller) -> dict[str, str]:
    # An admin acts for everyone: no owner header, so the profiles service checks nothing.
    if caller.hub is None or Scope.admin in caller.scopes:
        return {}
    return {OWNER_HEADER: caller.hub}


async def fetch_profile(*, services: Services, profile_id: int) -> ProfilePublic:
    """The full profile including contact; callers must pass it through `visible`."""
    body = await services.profiles.json(
        "GET", f"/profiles/{profile_id}", params={"include_contact": "true"}
    )
    return expect(ProfilePublic, body, "profiles")


async def get_profile(*, services: Services, caller: Caller, profile_id: int) -> ProfilePublic:
    return visible(await fetch_profile(services=services, profile_id=profile_id), caller)


async def _create(
    services: Services, caller: Caller, path: str, headers: dict[str, str], **kwargs: Any
) -> Any:
    """A POST creating profiles owned by the caller's hub."""
    caller.require(Scope.write)
    assert caller.hub is not None
    headers = {**headers, OWNER_HEADER: caller.hub}
    return await services.profiles.json("POST", path, headers=headers, **kwargs)


async def create_profile(
    *,
    services: Services,
    caller: Caller,
    profile_in: ProfileCreate,
    request_key: str | None = None,
) -> ProfilePublic:
    json = profile_in.model_dump(mode="json", exclude_unset=True)
    params = {"include_contact": "true"}
    headers = {REQUEST_KEY_HEADER: request_key} if request_key else {}
    body = await _create(services, caller, "/profiles", headers, params=params, json=json)
    return visible(expect(ProfilePublic, body, "profiles"), caller)


async def _change(
    *, services: Services, caller: Caller, method: str, profile_id: int, **kwargs: Any
) -> Any:
    """A PATCH or DELETE on behalf of the caller; the profiles service checks the owner."""
    caller.require(Scope.write)
    try:
        return await services.profiles.json(method, f"/profiles/{profile_id}", **kwargs)
    except UpstreamRejected as exc:
        if exc.status_code != 403:
            raise
        raise Forbidden(
            f"profile {profile_id} belongs to another hub; '{caller.hub}' may only change or "
            "delete the profiles it created",
            details={"profile_id": profile_id},
        ) from exc


def _version_headers(if_match: str | None) -> dict[str, str]:
    return {"If-Match": if_match} if if_match else {}


async def update_profile(
    *,
    services: Services,
    caller: Caller,
    profile_id: int,
    profile_in: ProfileUpdate,
    if_match: str | None = None,
) -> ProfilePublic:
    body = await _change(
        services=services,
        caller=caller,
        method="PATCH",
        profile_id=profile_id,
        params={"include_contact": "true"},
        json=profile_in.model_dump(mode="json", exclude_unset=True),
        headers={**_owner_headers(caller), **_version_headers(if_match)},
    )
    return visible(expect(ProfilePublic, body, "profiles"), caller)


async def delete_profile(
    *, services: Services, caller: Caller, profile_id: int, if_match: str | None = None
) -> None:
    await _change(
        services=services,
        caller=caller,
        method="DELETE",
        profile_id=profile_id,
        headers={**_owner_headers(caller), **_version_headers(if_match)},
    )


async def list_profiles(*, services: Services, params: list[tuple[str, str]]) -> ProfilesPublic:
    body = await services.profiles.json("GET", "/profiles", params=params)
    page = expect(ProfilesPublic, body, "profiles")
    for profile in page.data:
        profile.contact = None
    return page


async def bulk_import(
    *, services: Services, caller: Caller, body: bytes, content_type: str
) -> ImportResult:
    headers = {"Content-Type": content_type}
    result = await _create(services, caller, "/profiles/bulk", headers, content=body)
    return expect(ImportResult, result, "profiles")
