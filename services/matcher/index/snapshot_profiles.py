"""A snapshot's profiles as columns (`profiles.npz`), read back without validating them again.

The matcher takes its profiles from the change feed as validated `ProfilePublic`s, and only it
writes its snapshots, so a restart need not validate them once more (parsing and validating
`profiles.jsonl` was ~0.4 s of a restart on the 4,016 demo profiles; from these columns the
same profiles are built in a fraction of that). Every string is stored once in a table (the
demo's 134k partner references name 4k organisations); a field holds indexes into it (-1:
None), a list field its lengths and indexes, an int field int64, and any other field (dates,
enums, URLs, nested models) the JSON of each distinct value, turned back into its type by
pydantic. The columns record a fingerprint of `ProfilePublic`'s JSON schema: columns written
for another schema are validated as a whole again (`ProfilePublic.model_validate`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
from pydantic import TypeAdapter

from models.profiles import ProfilePublic

__all__ = ["PROFILES_COLUMNS", "read_columns", "schema_fingerprint", "write_columns"]

PROFILES_COLUMNS = "profiles.npz"


def _plain(annotation: Any) -> Any:
    """The type without its `Annotated` constraints and validators (they ran on the way in)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plain(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return Union[tuple(_plain(a) for a in get_args(annotation))]  # noqa: UP007
    if origin is list:
        return list[_plain(get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


def _kind(annotation: Any) -> str:
    """How a field is stored: `str` (str or None), `int`, `list` (of str) or `json` (any other)."""
    plain = _plain(annotation)
    if plain is int:
        return "int"
    if plain == list[str]:
        return "list"
    optional = get_origin(plain) in (Union, types.UnionType)
    if plain is str or (optional and set(get_args(plain)) == {str, type(None)}):
        return "str"
    return "json"


@functools.cache
def _layout() -> dict[str, tuple[str, TypeAdapter[Any]]]:
    return {
        name: (_kind(field.annotation), TypeAdapter(_plain(field.annotation)))
        for name, field in ProfilePublic.model_fields.items()
    }


@functools.cache
def schema_fingerprint() -> str:
    """Names `ProfilePublic`'s fields, their types and constraints (its JSON schema)."""
    schema = json.dumps(ProfilePublic.model_json_schema(), sort_keys=True)
    return hashlib.blake2b(schema.encode(), digest_size=12).hexdigest()


class _Strings:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, value: str | None) -> int:
        return -1 if value is None else self.ids.setdefault(value, len(self.ids))


def write_columns(path: Path, profiles: list[ProfilePublic]) -> None:
    """Write the profiles as columns (see the module docstring)."""
    strings = _Strings()
    arrays: dict[str, np.ndarray] = {}
    for name, (kind, adapter) in _layout().items():
        values = [getattr(p, name) for p in profiles]
        if kind == "int":
            arrays[f"i:{name}"] = np.array(values, dtype=np.int64)
        elif kind == "str":
            arrays[f"s:{name}"] = np.array([strings.id(v) for v in values], dtype=np.int64)
        elif kind == "list":
            arrays[f"n:{name}"] = np.array([len(v) for v in values], dtype=np.int64)
            flat = [strings.id(s) for v in values for s in v]
            arrays[f"l:{name}"] = np.array(flat, dtype=np.int64)
        else:
            dumped = [adapter.dump_json(v).decode() for v in values]
            arrays[f"j:{name}"] = np.array([strings.id(v) for v in dumped], dtype=np.int64)
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings.ids]
    arrays["strings"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    arrays["string_lengths"] = np.array([len(b) for b in encoded], dtype=np.int64)
    arrays["schema"] = np.frombuffer(schema_fingerprint().encode(), dtype=np.uint8)
    arrays["count"] = np.array([len(profiles)], dtype=np.int64)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]


def read_columns(path: Path) -> list[ProfilePublic] | None:
    """The profiles written by `write_columns`; None when there are none or they do not fit
    `ProfilePublic` (the caller reads `profiles.jsonl` then)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    layout = _layout()
    wanted = {f"{k[0]}:{name}" for name, (k, _) in layout.items()}
    wanted |= {f"n:{name}" for name, (k, _) in layout.items() if k == "list"}
    if set(arrays) - {"strings", "string_lengths", "schema", "count"} != wanted:
        return None
    blob, ends = arrays["strings"].tobytes(), np.cumsum(arrays["string_lengths"]).tolist()
    table = [
        blob[a:b].decode("utf-8", "surrogatepass")
        for a, b in zip([0, *ends[:-1]], ends, strict=True)
    ]
    count = int(arrays["count"][0])
    columns: dict[str, list[Any]] = {}
    for name, (kind, adapter) in layout.items():
        if kind == "int":
            columns[name] = arrays[f"i:{name}"].tolist()
        elif kind == "str":
            columns[name] = [None if i < 0 else table[i] for i in arrays[f"s:{name}"].tolist()]
        elif kind == "list":
            flat = [table[i] for i in arrays[f"l:{name}"].tolist()]
            bounds = np.cumsum(arrays[f"n:{name}"]).tolist()
            columns[name] = [flat[a:b] for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]
        else:
            ids = arrays[f"j:{name}"].tolist()
            value = {i: adapter.validate_json(table[i]) for i in set(ids)}
            columns[name] = [value[i] for i in ids]
    if any(len(c) != count for c in columns.values()):
        return None
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    if arrays["schema"].tobytes().decode() != schema_fingerprint():
        return [ProfilePublic.model_validate(dict(zip(names, row, strict=True))) for row in rows]
    # Not validated again (see the module): the first one made by `model_construct`, the
    # others as copies of it with every field replaced (`model_copy` does not validate either,
    # and costs half as much per profile).
    made: list[ProfilePublic] = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        made.append(
            made[0].model_copy(update=values)
            if made
            else ProfilePublic.model_construct(None, **values)
        )
    return made
