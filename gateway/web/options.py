"""Choices for the page filters from the reference tables: kinds, countries, regions, sectors."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from models import reference
from models.profiles import Kind

KIND_LABELS = {
    Kind.sme: "Small or medium-sized firm (SME)",
    Kind.research: "Research or technology-transfer organisation",
    Kind.cluster: "Cluster organisation",
    Kind.company: "Large company",
    Kind.public: "Public authority or agency",
    Kind.other: "Other organisation",
}


class Option(NamedTuple):
    code: str
    name: str


class OptionGroup(NamedTuple):
    code: str
    name: str
    options: list[Option]


@cache
def countries() -> list[Option]:
    """Countries that have NUTS regions, by name."""
    codes = {entry.code[:2] for entry in reference.nuts_table().values() if entry.level >= 1}
    named = [Option(code, reference.country_name(code) or code) for code in codes]
    return sorted(named, key=lambda option: option.name)


@cache
def regions_by_country() -> list[OptionGroup]:
    """NUTS 1 and 2 regions grouped by country, labelled with name and code."""
    table = reference.nuts_table()
    groups = []
    for country in countries():
        options = []
        for entry in sorted(table.values(), key=lambda e: e.code):
            if entry.code[:2] != country.code or entry.level not in (1, 2) or not entry.name:
                continue
            label = entry.name if entry.level == 2 else f"{entry.name}, whole area"
            options.append(Option(entry.code, f"{label} ({entry.code})"))
        if options:
            groups.append(OptionGroup(country.code, country.name, options))
    return groups


@cache
def sectors() -> list[OptionGroup]:
    """NACE sections with their divisions ('C' -> 'C25')."""
    table = reference.nace_table()
    groups = []
    for section in (e for e in table.values() if e.level == 1):
        divisions = [
            Option(f"{section.code}{e.code}", f"{e.code} {e.name}")
            for e in table.values()
            if e.level == 2 and e.parent == section.code
        ]
        groups.append(OptionGroup(section.code, f"{section.code} {section.name}", divisions))
    return groups


def kinds() -> list[Option]:
    return [Option(kind.value, label) for kind, label in KIND_LABELS.items()]


@cache
def division_names() -> dict[str, str]:
    """NACE division number -> name ('72' -> 'Scientific research and development')."""
    return {e.code: e.name for e in reference.nace_table().values() if e.level == 2}


@cache
def place_names() -> dict[str, str]:
    """Country and NUTS 1/2 code -> name, for naming the regions the intelligence views list."""
    names = {option.code: option.name for option in countries()}
    for entry in reference.nuts_table().values():
        if entry.level in (1, 2) and entry.name:
            names[entry.code] = entry.name
    return names
