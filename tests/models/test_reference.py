"""models/reference.py: the shipped NUTS and NACE tables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models import reference
from models.profiles import ProfileCreate


@pytest.mark.parametrize(
    ("code", "normal", "name"),
    [
        ("62.01", "J62.01", "Computer programming activities"),  # Rev. 2
        ("J62.01", "J62.01", "Computer programming activities"),
        ("62.10", "K62.10", "Computer programming activities"),  # Rev. 2.1 only
        ("C25", "C25", "Manufacture of fabricated metal products, except machinery and equipment"),
        ("c25.11", "C25.11", "Manufacture of metal structures and parts of structures"),
        (
            "K62",
            "J62",
            "Computer programming, consultancy and related activities",
        ),  # Rev. 2.1 letter
        ("V", "V", "Activities of extraterritorial organisations and bodies"),
    ],
)
def test_nace_accepts_rev2_and_rev21(code: str, normal: str, name: str) -> None:
    assert reference.normalise_nace(code) == normal
    assert reference.nace_name(code) == name


@pytest.mark.parametrize("code", ["C62", "62.99", "X1", "", "25.111"])
def test_nace_rejects_unknown_codes(code: str) -> None:
    assert reference.normalise_nace(code) is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("DED2", "Dresden"),
        ("DED21", "Dresden, Kreisfreie Stadt"),
        ("PT17", "Área Metropolitana de Lisboa"),  # NUTS 2021
        ("PT1A", "Continente"),  # NUTS 2024 (Grande Lisboa), named after its parent
        ("HU11", "Budapest"),
    ],
)
def test_nuts_2021_and_2024_codes_are_regions(code: str, name: str) -> None:
    assert reference.is_nuts_region(code)
    assert reference.region_name(code) == name


def test_profile_sector_validation_uses_the_table() -> None:
    base = {"name": "X", "kind": "sme", "country": "DE", "description": "d"}
    assert ProfileCreate(**base, sectors=["62.01", "62.10"]).sectors == ["J62.01", "K62.10"]
    with pytest.raises(ValidationError, match="sector '62.99' is not a NACE Rev. 2 code"):
        ProfileCreate(**base, sectors=["62.99"])
