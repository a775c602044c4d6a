"""Upsert many profiles keyed by `external_id`: the core of `crosslink import`, the bulk endpoint
and engineer B's `import-cordis`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from tqdm import tqdm

from crosslink.errors import InvalidInput
from models.profiles import ChangeOp, ImportItem, ImportResult, ProfileCreate
from services.profiles.db import begin_write
from services.profiles.feed import forget_versions
from services.profiles.service import (
    apply_fields,
    change_profile,
    insert_profile,
    new_profile,
    record_profile_change,
    stored_fields,
)
from services.profiles.tables import Profile
from services.profiles.validation import parse_profile

BATCH_SIZE = 500
Parsed = Sequence[tuple[int, ProfileCreate]]


def import_records(
    records: Iterable[tuple[int, Any] | dict[str, Any]],
    *,
    session: Session,
    owner: str | None = None,
    progress: bool = False,
) -> ImportResult:
    """Upsert `(line, record)` pairs; a record is a dict, or an InvalidInput saying why the line
    could not be read (bare dicts are numbered by position). Good items land whatever the others
    do; a bad one leaves nothing behind. Commits every BATCH_SIZE items."""
    result = ImportResult()
    total = len(records) if isinstance(records, list | tuple) else None
    numbered = (
        item if isinstance(item, tuple) else (position, item)
        for position, item in enumerate(records, start=1)
    )
    with tqdm(numbered, total=total, disable=not progress, unit="profile") as bar:
        items = iter(bar)  # one iterator: each iter(tqdm) starts a new, separate pass
        while batch := tuple(islice(items, BATCH_SIZE)):
            result.items.extend(_import_batch(batch, session=session, owner=owner))
    result.items.sort(key=lambda item: item.line)
    for item in result.items:
        setattr(result, item.status, getattr(result, item.status) + 1)
    return result


def _import_batch(
    batch: tuple[tuple[int, Any], ...], *, session: Session, owner: str | None
) -> list[ImportItem]:
    rejected: list[ImportItem] = []
    parsed: list[tuple[int, ProfileCreate]] = []
    for line, record in batch:
        try:
            if isinstance(record, InvalidInput):
                raise record
            parsed.append((line, parse_profile(record)))
        except InvalidInput as exc:
            external_id = record.get("external_id") if isinstance(record, dict) else None
            known = external_id if isinstance(external_id, str) else None
            rejected.append(_rejected(line, exc.message, known))
    external_ids = [p.external_id for _, p in parsed if p.external_id]
    items: list[ImportItem] | None = None
    if len(external_ids) == len(set(external_ids)):
        begin_write(session)
        try:
            items = _upsert_together(parsed, session=session, owner=owner)
            session.commit()
        except SQLAlchemyError:
            session.rollback()  # some record upset the database: redo one savepoint each
            items = None
    if items is None:
        begin_write(session)
        try:
            items = _upsert_each(parsed, session=session, owner=owner)
        except BaseException:
            session.rollback()
            raise
        session.commit()
    return rejected + items


def _existing(session: Session, parsed: Parsed) -> dict[str | None, Profile]:
    wanted = [p.external_id for _, p in parsed if p.external_id]
    rows = session.exec(select(Profile).where(col(Profile.external_id).in_(wanted))).all()
    return {p.external_id: p for p in rows}


def _foreign(
    line: int, current: Profile | None, owner: str | None, external_id: str | None
) -> ImportItem | None:
    if current is None or owner is None or current.owner == owner:
        return None
    return _rejected(
        line,
        f"external_id '{external_id}' belongs to another owner; "
        f"'{owner}' may only update the profiles it created",
        external_id,
    )


class _Record(NamedTuple):
    line: int
    external_id: str | None
    current: Profile | None  # the profile with this external_id, if there is one
    fields: dict[str, Any]


def _records(
    parsed: Parsed, existing: dict[str | None, Profile], owner: str | None, items: list[ImportItem]
) -> Iterator[_Record]:
    """The batch's records this owner may write; the others are rejected into `items`."""
    for line, profile_in in parsed:
        external_id = profile_in.external_id
        current = existing.get(external_id) if external_id else None
        refusal = _foreign(line, current, owner, external_id)
        if refusal:
            items.append(refusal)
            continue
        yield _Record(line, external_id, current, stored_fields(profile_in))


def _upsert_together(parsed: Parsed, *, session: Session, owner: str | None) -> list[ImportItem]:
    """The fast path: one flush for the batch's profiles, one for their feed entries."""
    existing = _existing(session, parsed)
    items: list[ImportItem] = []
    pending: list[tuple[int, ChangeOp, Profile, str | None]] = []
    for line, external_id, current, fields in _records(parsed, existing, owner, items):
        if current is None:
            profile = new_profile(fields=fields, owner=owner)
            session.add(profile)
            pending.append((line, ChangeOp.create, profile, external_id))
        elif apply_fields(current, fields):
            pending.append((line, ChangeOp.update, current, external_id))
        else:
            items.append(_done(line, "unchanged", current, external_id))
    session.flush()
    # A new profile has a new id (AUTOINCREMENT), so only updated ones have entries to drop.
    updated = [p.id for _, op, p, _ in pending if op is ChangeOp.update and p.id is not None]
    forget_versions(session=session, profile_ids=updated)
    for line, op, profile, external_id in pending:
        record_profile_change(session=session, op=op, profile=profile, flush=False, compact=False)
        status = "created" if op is ChangeOp.create else "updated"
        items.append(_done(line, status, profile, external_id))
    session.flush()
    return items


def _upsert_each(parsed: Parsed, *, session: Session, owner: str | None) -> list[ImportItem]:
    """The careful path: a savepoint per item, so a record the database refuses leaves nothing."""
    existing = _existing(session, parsed)
    items: list[ImportItem] = []
    for line, external_id, current, fields in _records(parsed, existing, owner, items):
        savepoint = session.begin_nested()
        try:
            if current is None:
                profile = insert_profile(session=session, fields=fields, owner=owner)
                status = "created"
                if external_id:
                    existing[external_id] = profile
            else:
                profile = current
                changed = change_profile(session=session, profile=current, fields=fields)
                status = "updated" if changed else "unchanged"
            savepoint.commit()
        except SQLAlchemyError as exc:
            savepoint.rollback()
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            items.append(
                _rejected(line, f"the database refused this record: {reason}", external_id)
            )
            continue
        items.append(_done(line, status, profile, external_id))
    return items


def _done(line: int, status: str, profile: Profile, external_id: str | None) -> ImportItem:
    return ImportItem(line=line, status=status, id=profile.id, external_id=external_id)  # type: ignore[arg-type]


def _rejected(line: int, error: str, external_id: str | None) -> ImportItem:
    return ImportItem(line=line, status="rejected", external_id=external_id, error=error)
