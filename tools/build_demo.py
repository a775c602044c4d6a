"""Build the demo profiles `services/profiles/demo/cordis_demo.jsonl.gz` from the raw CORDIS tables.

A development step (the raw data is not part of the product). Picks whole consortia of
multi-partner projects (fixed seed) so that an organisation's partners are mostly in the set too,
starting with every project that has a cluster organisation and the projects of a few organisations
that `KNOWN.md` names; texts are shortened so the file stays small.

Usage: python tools/build_demo.py [CORDIS_DIR] [--target 4000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import Counter
from pathlib import Path

from services.profiles.cordis import BENEFICIARY_ROLES, build_profiles, kind_of, load_cordis

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "services" / "profiles" / "demo" / "cordis_demo.jsonl.gz"
DEFAULT_CORDIS = ROOT.parent / "shared" / "data" / "raw" / "cordis-horizon-europe"
SEED = 20_210_101
DEMO_DESCRIPTION = 1_200
DEMO_OFFERS = 8
DEMO_KEYWORDS = 15
DEMO_PARTNERS = 60
# Consortia KNOWN.md relies on (laser processing and welding inspection), always included.
KNOWN_PROJECTS = ("101178719", "101119711", "101061359")
FRAUNHOFER = "999984059"


def choose_organisations(data, target: int) -> set[str]:
    """Whole consortia of 3-15 beneficiaries, cluster and known organisations' projects first."""
    rng = random.Random(SEED)
    consortia = {
        pid: sorted({m.org_id for m in members if m.role in BENEFICIARY_ROLES})
        for pid, members in data.members.items()
    }
    consortia = {pid: orgs for pid, orgs in consortia.items() if 3 <= len(orgs) <= 15}
    clusters = {pic for pic, org in data.organisations.items() if kind_of(org).value == "cluster"}
    first = [pid for pid, orgs in consortia.items() if clusters.intersection(orgs)]
    first += sorted(pid for pid, orgs in consortia.items() if FRAUNHOFER in orgs)[:5]
    rest = sorted(set(consortia) - set(first))
    rng.shuffle(first)
    rng.shuffle(rest)
    chosen: set[str] = set()
    for pid in dict.fromkeys([*KNOWN_PROJECTS, *first, *rest]):
        if len(chosen) >= target:
            break
        chosen.update(consortia[pid])
    return chosen


def shorten(record: dict, members: set[str]) -> dict:
    description = record["description"]
    if len(description) > DEMO_DESCRIPTION:
        description = description[:DEMO_DESCRIPTION].rsplit(" ", 1)[0] + "…"
    record["description"] = description
    record["offers"] = record["offers"][:DEMO_OFFERS]
    record["keywords"] = record["keywords"][:DEMO_KEYWORDS]
    partners = [p for p in record["partners"] if p.removeprefix("cordis:") in members]
    record["partners"] = partners[:DEMO_PARTNERS]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cordis_dir", nargs="?", type=Path, default=DEFAULT_CORDIS)
    parser.add_argument("--target", type=int, default=4_000)
    args = parser.parse_args()
    data = load_cordis(args.cordis_dir)
    members = choose_organisations(data, args.target)
    records = [shorten(r, members) for r in build_profiles(data, org_ids=members)]
    records.sort(key=lambda r: r["external_id"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw:
        for record in records:
            raw.write((json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode())
    kinds = Counter(r["kind"] for r in records)
    countries = Counter(r["country"] for r in records)
    regions = {r["region"][:4] for r in records if "region" in r}
    with_partners = sum(1 for r in records if r["partners"])
    print(
        f"{len(records)} profiles, {OUT.stat().st_size / 1e6:.1f} MB; kinds {dict(kinds)}; "
        f"{len(countries)} countries, {len(regions)} NUTS-2 regions; "
        f"{with_partners} with partners in the set"
    )


if __name__ == "__main__":
    main()
