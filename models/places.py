"""Where regions and cities are: a point (latitude, longitude) per NUTS code and per city the
CORDIS organisations are in, read once from `models/data/places.csv.gz` (built offline by
`tools/build_places.py`; source and licence in `models/data/SOURCES.md`). A region's point is
where its organisations are (their median location), not its geometric centroid.
"""

from __future__ import annotations

import csv
import gzip
from functools import cache
from importlib import resources
from typing import Literal, NamedTuple

from haversine import haversine

__all__ = ["Located", "city_point", "distance_km", "locate", "region_point", "region_points"]

Precision = Literal["city", "nuts3", "nuts2", "nuts1", "country"]
_BY_LENGTH: dict[int, Precision] = {5: "nuts3", 4: "nuts2", 3: "nuts1", 2: "country"}


class Located(NamedTuple):
    lat: float
    lon: float
    precision: Precision


@cache
def _table() -> tuple[dict[str, tuple[float, float, int]], dict[str, tuple[float, float]]]:
    data = resources.files("models").joinpath("data", "places.csv.gz").read_bytes()
    regions: dict[str, tuple[float, float, int]] = {}
    cities: dict[str, tuple[float, float]] = {}
    for row in csv.DictReader(gzip.decompress(data).decode("utf-8").splitlines()):
        lat, lon = float(row["lat"]), float(row["lon"])
        if row["kind"] == "nuts":
            regions[row["code"]] = (lat, lon, int(row["organisations"]))
        else:
            cities[row["code"]] = (lat, lon)
    return regions, cities


def _city_key(country: str, city: str) -> str:
    return f"{country.upper()}|{' '.join(city.casefold().split())}"


def region_point(code: str) -> tuple[float, float] | None:
    """The point of a NUTS code or country, or None when no organisation located it."""
    entry = _table()[0].get(code)
    return None if entry is None else (entry[0], entry[1])


def region_points(length: int) -> dict[str, tuple[float, float]]:
    """Every known code of one length (2 countries, 3 NUTS 1, 4 NUTS 2, 5 NUTS 3) -> point."""
    return {c: (e[0], e[1]) for c, e in _table()[0].items() if len(c) == length}


def city_point(country: str, city: str) -> tuple[float, float] | None:
    return _table()[1].get(_city_key(country, city))


def locate(*, country: str, region: str | None, city: str | None) -> Located | None:
    """The most precise point known: the city, else the region or its nearest located parent."""
    if city:
        point = city_point(country, city)
        if point is not None:
            return Located(*point, "city")
    code = region or country
    while code:
        point = region_point(code)
        if point is not None:
            return Located(*point, _BY_LENGTH.get(len(code), "country"))
        code = code[:-1] if len(code) > 2 else ""
    return None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance."""
    return float(haversine(a, b))
