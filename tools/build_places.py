"""Build `models/data/places.csv.gz`: a point for every NUTS region and city the CORDIS
organisations are in (a development step, not run time).

Source: CORDIS Horizon Europe `organizations.csv.gz` (Source: CORDIS, (c) European Union), whose
organisations carry a geolocation ("lat,lon"), a NUTS-3 code and a city. A region's point is the
median of its organisations' locations (where its organisations are, not its geometric
centroid); a city's point is the median of the organisations registered in it, kept only when it
lies within CITY_SPREAD_KM of its NUTS-3 region's point (a guard against mis-geocoded addresses).

Usage: python tools/build_places.py [CORDIS_DIR]
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "models" / "data" / "places.csv.gz"
DEFAULT_CORDIS = ROOT.parent / "shared" / "data" / "raw" / "cordis-horizon-europe"
CITY_SPREAD_KM = 80.0
OUTLIER_KM = 400.0  # an organisation this far from its NUTS-3 median is mis-geocoded


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _median(points: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def city_key(country: str, city: str) -> str:
    """The same normalisation `models.places` looks cities up by."""
    return f"{country.upper()}|{' '.join(city.casefold().split())}"


def main() -> None:
    cordis = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORDIS
    located: list[tuple[str, str, str, tuple[float, float]]] = []
    with gzip.open(cordis / "organizations.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            nuts3, geo = row["nuts3"], row["geolocation"]
            if len(nuts3) != 5 or "," not in geo:
                continue
            try:
                lat, lon = (float(x) for x in geo.split(",")[:2])
            except ValueError:
                continue
            located.append((nuts3, row["country"], row["city"], (lat, lon)))
    by_nuts3: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for nuts3, _, _, point in located:
        by_nuts3[nuts3].append(point)
    centre3 = {code: _median(points) for code, points in by_nuts3.items()}
    kept = [org for org in located if _km(org[3], centre3[org[0]]) <= OUTLIER_KM]
    regions: dict[str, list[tuple[float, float]]] = defaultdict(list)
    cities: dict[str, list[tuple[float, float]]] = defaultdict(list)
    city_region: dict[str, str] = {}
    for nuts3, country, city, point in kept:
        for code in {nuts3[:2], nuts3[:3], nuts3[:4], nuts3}:
            regions[code].append(point)
        if city.strip():
            key = city_key(country, city)
            cities[key].append(point)
            city_region.setdefault(key, nuts3)
    rows = [("nuts", code, *_median(points), len(points)) for code, points in regions.items()]
    for key, points in cities.items():
        point = _median(points)
        if _km(point, _median(regions[city_region[key]])) <= CITY_SPREAD_KM:
            rows.append(("city", key, *point, len(points)))
    rows.sort()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["kind", "code", "lat", "lon", "organisations"])
    for kind, code, lat, lon, n in rows:
        writer.writerow([kind, code, f"{lat:.3f}", f"{lon:.3f}", n])
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw:
        raw.write(text.getvalue().encode("utf-8"))
    counts = {k: sum(1 for r in rows if r[0] == k) for k in ("nuts", "city")}
    print(f"{OUT.name}: {counts['nuts']} regions, {counts['city']} cities")


if __name__ == "__main__":
    main()
