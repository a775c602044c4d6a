"""Read profile files (JSONL, CSV) and bulk bodies (JSON array, JSON lines) into `(line, record)`
pairs for the importer.

Each record is read on its own: a line that cannot be read (not UTF-8, nested too deep, broken
JSON, a bad CSV row) becomes an InvalidInput at its line number and the others go on. Only a
file that cannot be read at all (unknown format, a CSV header that names no profile columns)
raises. Unknown fields are rejected by default (the API's rule); `unknown="ignore"` (what
`crosslink import` does unless `--strict`) drops them and warns once per field.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from crosslink.errors import InvalidInput
from models.export import CSV_COLUMNS, CSV_CONTACT_COLUMNS, LIST_FIELDS
from models.profiles import ProfileCreate
from models.tabular import restore_cell
from services.profiles.jsonread import MAX_DEPTH, load_line, read_array

__all__ = ["FORMATS", "ReadOptions", "detect_format", "read_body", "read_file", "read_jsonl"]

FORMATS = ("jsonl", "csv")
FIELDS = tuple(ProfileCreate.model_fields)
REQUIRED = tuple(name for name, info in ProfileCreate.model_fields.items() if info.is_required())
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


@dataclass
class ReadOptions:
    max_depth: int = MAX_DEPTH
    unknown: Literal["reject", "ignore"] = "reject"
    warn: Callable[[str], None] = lambda message: None
    _warned: set[str] = field(default_factory=set, init=False)

    def unknown_fields(self, line: int, names: list[str]) -> None:
        """Warn about the fields not warned about before."""
        new = [name for name in names if name not in self._warned]
        self._warned.update(new)
        if new:
            listed = ", ".join(f"'{name}'" for name in new)
            self.warn(f"line {line}: unknown field(s) {listed} ignored (--strict rejects them)")


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


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile is an IO[bytes]
    return path.open("rb")


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> InvalidInput:
    column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
    return InvalidInput(
        f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column}; save the file as UTF-8"
    )


def read_jsonl(
    lines: Iterable[bytes], options: ReadOptions | None = None
) -> Iterator[tuple[int, Any]]:
    """One JSON object per line; blank lines are skipped but counted."""
    options = options or ReadOptions()
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield number, _not_utf8(raw, exc)
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        record = load_line(text, options.max_depth)
        if isinstance(record, dict) and options.unknown == "ignore":
            extra = [name for name in record if name not in FIELDS]
            if extra:
                options.unknown_fields(number, extra)
                record = {k: v for k, v in record.items() if k not in extra}
        yield number, record


def _check_header(header: list[str], options: ReadOptions) -> None:
    expected = f"expected one of: {', '.join(CSV_COLUMNS)}"
    if any(_undecodable(name) for name in header):
        raise InvalidInput("line 1: the CSV header is not UTF-8 text; save the file as UTF-8")
    if not any(name in CSV_COLUMNS for name in header):
        shown = ", ".join(f"'{name}'" for name in header[:5])
        raise InvalidInput(f"line 1: the CSV header ({shown}) names no profile column; {expected}")
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        raise InvalidInput(f"line 1: the CSV header names {', '.join(doubled)} more than once")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput(
            f"line 1: the CSV header lacks the required column(s) {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED)}); {expected}"
        )
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown and options.unknown == "reject":
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise InvalidInput(f"line 1: the CSV header has unknown column(s) {listed}; {expected}")
    if unknown:
        options.unknown_fields(1, unknown)


def _undecodable(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def read_csv(stream: IO[str], options: ReadOptions | None = None) -> Iterator[tuple[int, Any]]:
    """A header row, then one profile per row (the header is line 1). `stream` is decoded with
    errors="surrogateescape", so a row with bytes that are not UTF-8 is reported by itself."""
    options = options or ReadOptions()
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the CSV file is empty; expected a header row first") from None
    header = [name.strip() for name in header]
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    _check_header(header, options)
    number = 1
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, InvalidInput(f"not a valid CSV row: {exc}")
            continue
        if not row:
            continue
        try:
            yield number, csv_record(header, row)
        except InvalidInput as exc:
            yield number, exc


def csv_record(header: list[str], row: list[str]) -> dict[str, Any]:
    if len(row) > len(header):
        raise InvalidInput(f"the row has {len(row)} cells but the header has {len(header)} columns")
    record: dict[str, Any] = {}
    contact: dict[str, str] = {}
    for column, raw in zip(header, row, strict=False):
        value = restore_cell(raw.strip())  # a cell an export neutralised reads as written
        if not value or column not in CSV_COLUMNS:
            continue
        if _undecodable(value):
            raise InvalidInput(f"{column}: not UTF-8 text; save the file as UTF-8")
        if column in CSV_CONTACT_COLUMNS:
            contact[CSV_CONTACT_COLUMNS[column]] = value
        elif column in LIST_FIELDS:
            record[column] = _list_cell(column, value)
        else:
            record[column] = value
    if contact:
        record["contact"] = contact
    return record


def _list_cell(column: str, value: str) -> list[Any]:
    if value.startswith("["):
        items = load_line(value)
        if isinstance(items, InvalidInput):
            raise InvalidInput(f"{column}: not a valid JSON array ({items.message})")
        if not isinstance(items, list):
            raise InvalidInput(f"{column}: expected a JSON array or '|'-separated values")
        return items
    return [part.strip() for part in value.split("|") if part.strip()]


def read_file(
    path: Path, fmt: str | None = None, options: ReadOptions | None = None
) -> Iterator[tuple[int, Any]]:
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InvalidInput(f"format '{fmt}' is not supported; expected one of {', '.join(FORMATS)}")
    with _open_binary(path) as stream:
        if fmt == "jsonl":
            yield from read_jsonl(stream, options)
        else:
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
            yield from read_csv(text, options)


def read_body(
    body: bytes, content_type: str, *, max_depth: int = MAX_DEPTH
) -> list[tuple[int, Any]]:
    """The bulk endpoint's body: a JSON array, or JSON lines with `application/x-ndjson`."""
    try:
        body.decode("utf-8")  # the API's rule: a body is UTF-8 (a file's lines are read alone)
    except UnicodeDecodeError as exc:
        raise InvalidInput("the body is not UTF-8 text") from exc
    media = content_type.split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        return list(read_jsonl(body.split(b"\n"), ReadOptions(max_depth=max_depth)))
    return read_array(body, max_depth)
