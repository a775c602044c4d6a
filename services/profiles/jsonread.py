"""JSON records read one at a time with a nesting limit, so one bad record is reported and the
others are kept.

The standard library's parser recurses: a 10,000-level array raises RecursionError, which took
the whole request (or import) down with it. Nesting is measured with ijson's streaming parser
(yajl, iterative) before a line is handed to `json.loads`, and a JSON array body is split into
its items by ijson, each built only while it stays within the limit.
"""

from __future__ import annotations

import json
from typing import Any

import ijson
from ijson.common import ObjectBuilder

from crosslink.errors import InvalidInput

__all__ = ["MAX_DEPTH", "NOT_AN_ARRAY", "load_line", "read_array", "too_deep"]

MAX_DEPTH = 32
NOT_AN_ARRAY = (
    "the body must be a JSON array of profiles, or JSON lines with "
    "Content-Type: application/x-ndjson"
)
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


def too_deep(max_depth: int) -> InvalidInput:
    return InvalidInput(
        f"arrays and objects are nested more than {max_depth} levels deep; "
        "a profile needs 2 (an object holding lists and the contact object)"
    )


def _exceeds(text: str, max_depth: int) -> bool:
    if text.count("[") + text.count("{") <= max_depth:
        return False  # cannot be nested deeper than it has brackets
    level = 0
    try:
        for event, _ in ijson.basic_parse(text.encode("utf-8")):
            if event in _OPEN:
                level += 1
                if level > max_depth:
                    return True
            elif event in _CLOSE:
                level -= 1
    except ijson.JSONError:
        return False  # not JSON: json.loads says where
    return False


def load_line(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """One JSON value from one line (without its line break), or an InvalidInput saying why not,
    with the column counted from the line's start."""
    if _exceeds(text, max_depth):
        return too_deep(max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return InvalidInput(f"not valid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return too_deep(max_depth)


def read_array(body: bytes, max_depth: int = MAX_DEPTH) -> list[tuple[int, Any]]:
    """The items of a JSON array as `(index + 1, item)`; an item nested too deep is an
    InvalidInput in its place. A body that is not a JSON array raises InvalidInput."""
    items: list[tuple[int, Any]] = []
    started = too = False
    level = 0
    builder = ObjectBuilder()
    try:
        for event, value in ijson.basic_parse(body, use_float=True):
            if not started:
                if event != "start_array":
                    raise InvalidInput(NOT_AN_ARRAY)
                started = True
                continue
            if level == 0:
                if event == "end_array":
                    continue  # the body's end; anything after it is a parse error
                if event not in _OPEN:
                    items.append((len(items) + 1, value))
                    continue
                builder, too = ObjectBuilder(), False
            if event in _OPEN:
                level += 1
                too = too or level > max_depth
            if not too:
                builder.event(event, value)
            if event in _CLOSE:
                level -= 1
                if level == 0:
                    items.append((len(items) + 1, too_deep(max_depth) if too else builder.value))
    except ijson.JSONError as exc:
        raise InvalidInput(
            f"the body is not valid JSON ({_describe(body, exc)}); send a JSON array of "
            "profiles, or JSON lines with Content-Type: application/x-ndjson"
        ) from exc
    return items


def _describe(body: bytes, exc: Exception) -> str:
    """The standard library's wording (it names the line), else yajl's first line."""
    try:
        json.loads(body)
    except json.JSONDecodeError as error:
        return f"{error.msg} at line {error.lineno}"
    except (RecursionError, ValueError):
        pass
    return str(exc).splitlines()[0].strip()
