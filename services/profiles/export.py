"""Export profiles as JSONL or CSV that `crosslink import` reads back: the core of
`crosslink export` and `GET /profiles/export`.

The profiles are read in pages keyed by id (each page in a short session of its own), so memory
stays bounded however many profiles match and no transaction stays open while a client reads.
A contact is written only where `ContactAccess` allows it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col

from crosslink.errors import InvalidInput
from models.export import (
    CSV_COLUMNS,
    CSV_CONTACT_COLUMNS,
    LIST_FIELDS,
    ExportFormat,
    ProfileExportQuery,
    ServiceExportQuery,
)
from models.profiles import Contact
from models.tabular import safe_cell
from services.profiles.service import ProfileFilters, current_fields, filtered_query
from services.profiles.tables import Profile
from services.profiles.validation import find_nul, nul_message

__all__ = ["PAGE_SIZE", "ContactAccess", "export_filters", "export_lines", "export_record"]

PAGE_SIZE = 500


@dataclass(frozen=True)
class ContactAccess:
    """Whose contacts an export includes: everyone's, or only those of one owner's profiles."""

    everyone: bool = False
    owner: str | None = None

    def allows(self, profile: Profile) -> bool:
        return self.everyone or (self.owner is not None and profile.owner == self.owner)


def export_filters(query: ProfileExportQuery) -> ProfileFilters:
    """The list filters an export query names (a NUL in a text field is refused)."""
    texts = {"external_id": query.external_id, "owner": query.owner, "q": query.q}
    if isinstance(query, ServiceExportQuery):
        texts["contacts_owner"] = query.contacts_owner
    where = find_nul(texts)
    if where:
        raise InvalidInput(nul_message(where))
    return ProfileFilters(
        kinds=[k.value for k in query.kind],
        countries=query.country,
        regions=query.region,
        sectors=query.sector,
        external_id=query.external_id,
        owner=query.owner,
        q=query.q,
    )


def export_record(profile: Profile, contacts: ContactAccess) -> dict[str, Any]:
    """The profile as the `ProfileCreate` an import would need to recreate it."""
    record = current_fields(profile)
    contact = record["contact"] if contacts.allows(profile) else None
    # the API's shape: every contact field, null where unknown
    record["contact"] = (
        {name: contact.get(name) for name in Contact.model_fields} if contact else None
    )
    return record


def _pages(engine: Engine, filters: ProfileFilters, page_size: int) -> Iterator[list[Profile]]:
    last_id = 0
    while True:
        query = filtered_query(filters).where(col(Profile.id) > last_id).limit(page_size)
        with Session(engine) as session:
            page = list(session.exec(query).all())
            session.expunge_all()
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        last_id = page[-1].id or 0


def _list_cell(values: list[str]) -> str:
    """`a|b|c` when the importer splits it back into the same items, else a JSON array."""
    plain = all(text and text == text.strip() and "|" not in text for text in values)
    if plain and not values[0].startswith("["):
        return "|".join(values)
    return json.dumps(values, ensure_ascii=False)


def _csv_row(record: dict[str, Any]) -> list[str]:
    contact = record.get("contact") or {}
    row: list[str] = []
    for column in CSV_COLUMNS:
        if column in CSV_CONTACT_COLUMNS:
            value = contact.get(CSV_CONTACT_COLUMNS[column])
        elif column in LIST_FIELDS:
            value = _list_cell(record[column]) if record[column] else None
        else:
            value = record[column]
        row.append(safe_cell(value))
    return row


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def export_lines(
    *,
    engine: Engine,
    filters: ProfileFilters,
    fmt: ExportFormat,
    contacts: ContactAccess,
    page_size: int = PAGE_SIZE,
) -> Iterator[str]:
    """The export as text lines (CSV: the header first), read lazily page by page."""
    if fmt is ExportFormat.csv:
        yield _csv_line([safe_cell(name) for name in CSV_COLUMNS])
    for page in _pages(engine, filters, page_size):
        for profile in page:
            record = export_record(profile, contacts)
            if fmt is ExportFormat.csv:
                yield _csv_line(_csv_row(record))
            else:
                yield json.dumps(record, ensure_ascii=False) + "\n"
