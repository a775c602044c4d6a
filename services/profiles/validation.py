"""Validation shared by the API, the bulk endpoint and the importer: same checks, same messages."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from crosslink.errors import InvalidInput, invalid_input_from
from models.profiles import ProfileCreate


def describe(exc: ValidationError) -> str:
    """`field: message` for the first error, in the words the HTTP error handler uses."""
    return invalid_input_from(exc).message


def find_nul(value: Any, where: str = "") -> str | None:
    """The path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return (where or "request") if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = find_nul(item, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def nul_message(where: str) -> str:
    return f"{where}: contains a NUL character (\\u0000), which is not accepted in text"


def parse_profile(data: Any) -> ProfileCreate:
    """Validate one record as a ProfileCreate; raise InvalidInput with the API's message."""
    if not isinstance(data, dict):
        raise InvalidInput(f"request: expected a JSON object, got {type(data).__name__}")
    where = find_nul(data)
    if where:
        raise InvalidInput(nul_message(where))
    try:
        return ProfileCreate.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from exc
