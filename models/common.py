"""Constrained types and the one error body every service returns."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from models import reference


def _country(value: str) -> str:
    normal = reference.normalise_country(value)
    if normal is None:
        raise ValueError(
            f"country '{value}' is not an ISO 3166-1 alpha-2 code; expected e.g. 'DE', 'EL' or 'UK'"
        )
    return normal


def _region(value: str) -> str:
    code = value.strip().upper()
    if not reference.is_nuts_region(code):
        raise ValueError(f"region '{value}' is not a NUTS code; expected e.g. 'DED2'")
    return code


def _region_prefix(value: str) -> str:
    """A NUTS code of any level (country 'DE' to NUTS 3 'DED21'), used as a filter prefix."""
    code = value.strip().upper()
    if len(code) == 2:
        return _country(code)
    return _region(code)


def _language(value: str) -> str:
    code = value.strip().lower()
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
        raise ValueError(f"language '{value}' is not an ISO 639 code; expected e.g. 'en' or 'deu'")
    return code


def _sector(value: str) -> str:
    normal = reference.normalise_nace(value)
    if normal is None:
        raise ValueError(
            f"sector '{value}' is not a NACE Rev. 2 code; expected e.g. 'C25' or 'C25.11'"
        )
    return normal


def _not_bool(value: Any) -> Any:
    # pydantic takes JSON `true`/`false` as 1/0 in lax mode; an id is never a truth value.
    if isinstance(value, bool):
        raise ValueError(f"a profile id is an integer, not {str(value).lower()}; expected e.g. 42")
    return value


MAX_ID = 2**31 - 1  # ids are 32-bit signed integers in every database the profiles service uses
ProfileId = Annotated[
    int, BeforeValidator(_not_bool), Field(ge=1, le=MAX_ID, description="A profile id")
]

CountryCode = Annotated[str, AfterValidator(_country)]
RegionCode = Annotated[str, AfterValidator(_region)]
RegionPrefix = Annotated[str, AfterValidator(_region_prefix)]
SectorCode = Annotated[str, AfterValidator(_sector)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1_000)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LanguageCode = Annotated[str, AfterValidator(_language)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """`{"error": {"code": "...", "message": "...", "details": ...}}` — the only error shape."""

    error: ErrorDetail


class Health(BaseModel):
    status: str
    ready: bool
    details: dict[str, Any] = {}
