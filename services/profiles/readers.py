"""Read profile files (JSONL, CSV, JSON array) into `(line, record)` pairs for the importer."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crosslink.errors import InvalidInput

LIST_FIELDS = ("partners", "offers", "needs", "keywords", "sectors", "languages")
CONTACT_COLUMNS = {"contact_email": "email", "contact_phone": "phone", "contact_person": "person"}
FORMATS = ("jsonl", "csv")


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1].lstrip(".") if suffixes else ""
    if last in ("jsonl", "ndjson"):
        return "jsonl"
    if last == "csv":
        return "csv"
    raise InvalidInput(
        f"cannot tell the format of '{path.name}'; "
        "name it .jsonl or .csv, or pass --format jsonl|csv"
    )


def open_text(path: Path) -> IO[str]:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_jsonl(lines: Iterator[str] | IO[str]) -> Iterator[tuple[int, Any]]:
    """One JSON object per line; blank lines are skipped but counted."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, InvalidInput(f"not valid JSON: {exc.msg} at column {exc.colno}")


def read_csv(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """A header row, then one profile per row (the header is line 1)."""
    for number, row in enumerate(csv.DictReader(stream), start=2):
        try:
            yield number, csv_record(row)
        except InvalidInput as exc:
            yield number, exc


def csv_record(row: dict[str | None, Any]) -> dict[str, Any]:
    if None in row:
        raise InvalidInput("the row has more cells than the header has columns")
    record: dict[str, Any] = {}
    contact: dict[str, str] = {}
    for column, raw in row.items():
        assert column is not None
        value = (raw or "").strip()
        if not value:
            continue
        if column in CONTACT_COLUMNS:
            contact[CONTACT_COLUMNS[column]] = value
        elif column in LIST_FIELDS:
            record[column] = _list_cell(column, value)
        else:
            record[column] = value
    if contact:
        record["contact"] = contact
    return record


def _list_cell(column: str, value: str) -> list[Any]:
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{column}: not a valid JSON array ({exc.msg})") from exc
        if not isinstance(items, list):
            raise InvalidInput(f"{column}: expected a JSON array or '|'-separated values")
        return items
    return [part.strip() for part in value.split("|") if part.strip()]


def read_file(path: Path, fmt: str | None = None) -> Iterator[tuple[int, Any]]:
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InvalidInput(f"format '{fmt}' is not supported; expected one of {', '.join(FORMATS)}")
    with open_text(path) as stream:
        yield from read_jsonl(stream) if fmt == "jsonl" else read_csv(stream)


def read_body(body: bytes, content_type: str) -> list[tuple[int, Any]]:
    """The bulk endpoint's body: a JSON array, or JSON lines with `application/x-ndjson`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the body is not UTF-8 text") from exc
    media = content_type.split(";")[0].strip().lower()
    if media in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return list(read_jsonl(iter(text.splitlines())))
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the body is not valid JSON ({exc.msg} at line {exc.lineno}); send a JSON array of "
            "profiles, or JSON lines with Content-Type: application/x-ndjson"
        ) from exc
    if not isinstance(items, list):
        raise InvalidInput(
            "the body must be a JSON array of profiles, or JSON lines with "
            "Content-Type: application/x-ndjson"
        )
    return list(enumerate(items, start=1))
