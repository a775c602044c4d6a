"""Reference tables shipped with the package: NUTS regions, NACE Rev. 2 sectors, countries.

Read once from `models/data/*.csv.gz` (built by `tools/build_reference.py`; sources and licences
in `models/data/SOURCES.md`); no network. NUTS: 2021 and 2024 codes. NACE: Rev. 2, plus the codes
that only exist in Rev. 2.1 (e.g. 62.10), so both revisions' codes are accepted.
"""

from __future__ import annotations

import csv
import gzip
import re
from functools import cache
from importlib import resources
from typing import NamedTuple

import pycountry

# NUTS writes Greece as EL and the United Kingdom as UK; ISO 3166-1 says GR and GB.
NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}
ISO_TO_NUTS = {v: k for k, v in NUTS_TO_ISO.items()}
# Codes the EU uses (CORDIS, NUTS tables, IATE) that ISO 3166-1 has not assigned: Kosovo, in the
# EU's wording "This designation is without prejudice to positions on status".
EU_COUNTRIES = {"XK": "Kosovo"}

NACE_PATTERN = re.compile(r"^([A-V])?(\d{2}(?:\.\d{1,2})?)?$")


class Entry(NamedTuple):
    code: str
    name: str
    level: int
    parent: str


def _rows(name: str) -> list[dict[str, str]]:
    data = resources.files("models").joinpath("data", name).read_bytes()
    return list(csv.DictReader(gzip.decompress(data).decode("utf-8").splitlines()))


def _read(name: str) -> dict[str, Entry]:
    return {
        row["code"]: Entry(row["code"], row["name"], int(row["level"]), row["parent"])
        for row in _rows(name)
    }


@cache
def nuts_table() -> dict[str, Entry]:
    return _read("nuts.csv.gz")


@cache
def nace_table() -> dict[str, Entry]:
    return _read("nace.csv.gz")


@cache
def _nace_sections() -> dict[str, tuple[str, frozenset[str]]]:
    """code -> (its Rev. 2 section, or Rev. 2.1's for Rev. 2.1-only codes; letters in either)."""
    return {
        row["code"]: (row["section"], frozenset(row["sections"].split("|")))
        for row in _rows("nace.csv.gz")
    }


def normalise_country(code: str) -> str | None:
    """Return the country in NUTS spelling (GR -> EL, GB -> UK), or None if it is neither an
    ISO 3166-1 code nor one the EU uses (XK)."""
    code = code.strip().upper()
    if code in NUTS_TO_ISO or code in EU_COUNTRIES:
        return code
    if pycountry.countries.get(alpha_2=code) is None:
        return None
    return ISO_TO_NUTS.get(code, code)


def country_name(code: str) -> str | None:
    if code in EU_COUNTRIES:
        return EU_COUNTRIES[code]
    iso = NUTS_TO_ISO.get(code, code)
    country = pycountry.countries.get(alpha_2=iso)
    return None if country is None else str(country.name)


def is_nuts_region(code: str) -> bool:
    """True for a NUTS 1, 2 or 3 code (2021 or 2024 edition)."""
    entry = nuts_table().get(code)
    return entry is not None and 1 <= entry.level <= 3


def region_name(code: str | None) -> str | None:
    """The region's name, falling back to the nearest named parent region."""
    table = nuts_table()
    while code:
        entry = table.get(code)
        if entry is None:
            return None
        if entry.name:
            return entry.name
        code = entry.parent if entry.parent != code else ""
    return None


def nuts2_of(region: str | None) -> str | None:
    """The NUTS-2 region a NUTS 2/3 code lies in (None for NUTS 1 or no region)."""
    if region is None or len(region) < 4:
        return None
    return region[:4]


def normalise_nace(code: str) -> str | None:
    """Return a NACE code as section letter + numeric code ("C25.11"), or None if unknown.

    Accepts "C", "C25", "C25.1", "C25.11", and the numeric forms "25", "25.11".
    """
    code = code.strip().upper().replace(" ", "")
    match = NACE_PATTERN.match(code)
    if not match or not code:
        return None
    letter, number = match.group(1), match.group(2)
    table = nace_table()
    if number is None:
        return letter if letter in table and table[letter].level == 1 else None
    if number not in table:
        return None
    section, letters = _nace_sections()[number]
    if letter is not None and letter not in letters:
        return None
    return f"{section}{number}"


def nace_name(code: str) -> str | None:
    normal = normalise_nace(code)
    if normal is None:
        return None
    key = normal[1:] or normal
    return nace_table()[key].name
