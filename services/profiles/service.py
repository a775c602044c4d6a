"""Profile logic: create, read, update, delete, list. No HTTP here."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from crosslink.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from models.profiles import ChangeOp, ProfileCreate, ProfilePublic, ProfilesPublic, ProfileUpdate
from services.profiles import create_keys
from services.profiles.db import begin_write
from services.profiles.feed import record_change
from services.profiles.tables import Profile, utcnow
from services.profiles.validation import describe, find_nul, nul_message

# Stored columns that a ProfileCreate determines (everything but id, owner, timestamps, version).
STORED_FIELDS = (
    "external_id name kind country region city description offers needs keywords sectors "
    "languages website partners contact"
).split()
REQUIRED_FIELDS = ("name", "kind", "country", "description")
MAX_ID = 2**31 - 1


@dataclass
class ProfileFilters:
    kinds: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    external_id: str | None = None
    owner: str | None = None
    q: str | None = None
    ids: list[int] = field(default_factory=list)


def stored_fields(profile_in: ProfileCreate) -> dict[str, Any]:
    """The column values a validated profile stores, in a canonical form (for change detection)."""
    data = profile_in.model_dump(mode="json", exclude={"contact"})
    contact = (
        profile_in.contact.model_dump(mode="json", exclude_none=True) if profile_in.contact else {}
    )
    data["contact"] = contact or None
    return data


def current_fields(profile: Profile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in STORED_FIELDS}


def to_public(profile: Profile, *, include_contact: bool = False) -> ProfilePublic:
    data = current_fields(profile)
    if not include_contact:
        data["contact"] = None
    data.update(
        id=profile.id,
        owner=profile.owner,
        created_at=_aware(profile.created_at),
        updated_at=_aware(profile.updated_at),
        version=profile.version,
    )
    return ProfilePublic.model_validate(data)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_fields(profile: Profile, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.sectors_text = "".join(f"|{code}" for code in profile.sectors) + "|"
    texts = [profile.name, profile.description, *profile.offers, *profile.needs, *profile.keywords]
    profile.search_text = "\n".join(texts).lower()


def find_by_external_id(*, session: Session, external_id: str) -> Profile | None:
    return session.exec(select(Profile).where(Profile.external_id == external_id)).first()


def new_profile(*, fields: dict[str, Any], owner: str | None) -> Profile:
    now = utcnow()
    profile = Profile(owner=owner, created_at=now, updated_at=now, version=1)  # type: ignore[call-arg]
    _set_fields(profile, fields)
    return profile


def apply_fields(profile: Profile, fields: dict[str, Any]) -> bool:
    """Set `fields` if they differ, bumping version and updated_at. False if nothing changed."""
    if fields == current_fields(profile):
        return False
    _set_fields(profile, fields)
    profile.version += 1
    profile.updated_at = utcnow()
    return True


def insert_profile(*, session: Session, fields: dict[str, Any], owner: str | None) -> Profile:
    """Add a profile and its feed entry; the caller holds the write lock and commits."""
    profile = new_profile(fields=fields, owner=owner)
    session.add(profile)
    session.flush()
    record_profile_change(session=session, op=ChangeOp.create, profile=profile)
    return profile


def change_profile(*, session: Session, profile: Profile, fields: dict[str, Any]) -> bool:
    """Apply `fields` if they differ and log the change. False if unchanged."""
    if not apply_fields(profile, fields):
        return False
    session.add(profile)
    session.flush()
    record_profile_change(session=session, op=ChangeOp.update, profile=profile)
    return True


def record_profile_change(
    *, session: Session, op: ChangeOp, profile: Profile, flush: bool = True, compact: bool = True
) -> None:
    assert profile.id is not None
    snapshot = to_public(profile)
    record_change(
        session=session,
        op=op,
        profile_id=profile.id,
        snapshot=snapshot,
        flush=flush,
        compact=compact,
    )


def check_owner(profile: Profile, owner: str | None) -> None:
    """A caller acting for a hub may only change that hub's profiles."""
    if owner is not None and profile.owner != owner:
        raise Forbidden(
            f"profile {profile.id} belongs to another owner; "
            f"'{owner}' may only change the profiles it created"
        )


def _check_version(profile: Profile, expected: int | None) -> None:
    if expected is not None and expected != profile.version:
        raise PreconditionFailed(
            f"profile {profile.id} is at version {profile.version}, not {expected}; "
            "fetch it again and retry with the current version",
            details={"current_version": profile.version},
            headers={"ETag": f'"{profile.version}"'},
        )


def create_profile(
    *,
    session: Session,
    profile_in: ProfileCreate,
    owner: str | None = None,
    request_key: str | None = None,
    request_key_ttl: float = 0.0,
) -> Profile:
    """Add a profile. With a `request_key`, a repeat of a create that was committed returns
    the profile it made (create_keys)."""
    fields = stored_fields(profile_in)
    where = find_nul(fields)
    if where:
        raise InvalidInput(nul_message(where))
    begin_write(session)
    if request_key is not None:
        made = create_keys.replay(
            session=session, key=request_key, owner=owner, ttl=request_key_ttl
        )
        if made is not None:
            session.rollback()
            return made
    if profile_in.external_id and find_by_external_id(
        session=session, external_id=profile_in.external_id
    ):
        session.rollback()
        raise Conflict(
            f"external_id '{profile_in.external_id}' is already used by another profile; "
            "update that profile or use POST /profiles/bulk to upsert"
        )
    profile = insert_profile(session=session, fields=fields, owner=owner)
    if request_key is not None:
        create_keys.remember(
            session=session, key=request_key, profile_id=profile.id or 0, ttl=request_key_ttl
        )
    session.commit()
    session.refresh(profile)
    return profile


def get_profile_or_404(*, session: Session, profile_id: int) -> Profile:
    profile = session.get(Profile, profile_id) if 1 <= profile_id <= MAX_ID else None
    if profile is None:
        raise NotFound(f"profile {profile_id} does not exist")
    return profile


def update_profile(
    *,
    session: Session,
    profile_id: int,
    profile_in: ProfileUpdate,
    if_match: int | None = None,
    owner: str | None = None,
) -> Profile:
    """Apply the fields sent. `if_match` or `profile_in.version` must be current when given."""
    patch = profile_in.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    for name in REQUIRED_FIELDS:
        if name in patch and patch[name] is None:
            raise InvalidInput(f"{name}: may not be null; send a value or leave the field out")
    where = find_nul(patch)
    if where:
        raise InvalidInput(nul_message(where))
    begin_write(session)
    try:
        profile = get_profile_or_404(session=session, profile_id=profile_id)
        check_owner(profile, owner)
        _check_version(profile, if_match)
        _check_version(profile, profile_in.version)
        merged = {**current_fields(profile), **patch}
        try:
            fields = stored_fields(ProfileCreate.model_validate(merged))
        except ValidationError as exc:
            raise InvalidInput(describe(exc)) from exc
        new_id = fields["external_id"]
        if new_id and new_id != profile.external_id:
            other = find_by_external_id(session=session, external_id=new_id)
            if other is not None:
                raise Conflict(f"external_id '{new_id}' is already used by profile {other.id}")
        change_profile(session=session, profile=profile, fields=fields)
    except Exception:
        session.rollback()
        raise
    session.commit()
    session.refresh(profile)
    return profile


def delete_profile(
    *, session: Session, profile_id: int, if_match: int | None = None, owner: str | None = None
) -> None:
    begin_write(session)
    try:
        profile = get_profile_or_404(session=session, profile_id=profile_id)
        check_owner(profile, owner)
        _check_version(profile, if_match)
        session.delete(profile)
        create_keys.forget_profile(session=session, profile_id=profile_id)
        record_change(session=session, op=ChangeOp.delete, profile_id=profile_id, snapshot=None)
    except Exception:
        session.rollback()
        raise
    session.commit()


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        value = int(number)
        if prefix != "id" or not 0 <= value <= MAX_ID:
            raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"cursor '{cursor}' is not valid; pass the next_cursor of a previous page"
        ) from exc
    return value


def filtered_query(filters: ProfileFilters) -> SelectOfScalar[Profile]:
    """Profiles matching `filters`, ordered by id (callers add the keyset bound and limit)."""
    query = select(Profile).order_by(col(Profile.id))
    if filters.kinds:
        query = query.where(col(Profile.kind).in_(filters.kinds))
    if filters.countries:
        query = query.where(col(Profile.country).in_(filters.countries))
    if filters.regions:
        query = query.where(or_(*(col(Profile.region).startswith(r) for r in filters.regions)))
    if filters.sectors:
        query = query.where(
            or_(
                *(
                    col(Profile.sectors_text).contains(f"|{s}", autoescape=True)
                    for s in filters.sectors
                )
            )
        )
    if filters.external_id is not None:
        query = query.where(Profile.external_id == filters.external_id)
    if filters.owner is not None:
        query = query.where(Profile.owner == filters.owner)
    if filters.q:
        query = query.where(col(Profile.search_text).contains(filters.q.lower(), autoescape=True))
    if filters.ids:
        query = query.where(col(Profile.id).in_(filters.ids))
    return query


def list_profiles(
    *, session: Session, filters: ProfileFilters, limit: int = 50, cursor: str | None = None
) -> ProfilesPublic:
    """One page ordered by id (keyset: no gaps or repeats while others insert). Never contact."""
    query = filtered_query(filters).limit(limit + 1)
    if cursor:
        query = query.where(col(Profile.id) > decode_cursor(cursor))
    rows = list(session.exec(query).all())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    data = [to_public(p) for p in page]
    return ProfilesPublic(data=data, count=len(data), next_cursor=next_cursor)
