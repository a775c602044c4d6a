"""Dependencies of the profiles routes, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from crosslink.errors import InvalidInput
from services.profiles.config import ProfilesSettings


def get_settings(request: Request) -> ProfilesSettings:
    settings: ProfilesSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_owner(
    x_crosslink_owner: Annotated[str | None, Header(max_length=200)] = None,
) -> str | None:
    if x_crosslink_owner is None:
        return None
    owner = x_crosslink_owner.strip()
    if not owner:
        raise InvalidInput(
            "X-Crosslink-Owner is empty; send the hub's name or leave the header out"
        )
    return owner


def get_if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """`If-Match: "3"` (or W/"3"); `*` and no header mean any version."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 18:
        raise InvalidInput(
            f"If-Match '{if_match}' is not a version tag; expected the ETag you got, e.g. '\"3\"'"
        )
    return int(tag)


SettingsDep = Annotated[ProfilesSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
OwnerDep = Annotated[str | None, Depends(get_owner)]
IfMatchDep = Annotated[int | None, Depends(get_if_match)]
