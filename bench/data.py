"""Benchmark data: profiles derived from CORDIS, and free-text needs of 30–80 words."""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
from itertools import islice
from pathlib import Path
from typing import Any

from bench.config import ROOT

log = logging.getLogger("bench.data")
DEMO = ROOT / "services" / "profiles" / "demo" / "cordis_demo.jsonl.gz"


def load_profiles(cordis_dir: Path, limit: int | None) -> tuple[list[dict[str, Any]], str]:
    """`ProfileCreate` records built from the raw CORDIS tables, else the demo file."""
    if (cordis_dir / "projects.csv.gz").exists():
        from services.profiles.cordis import build_profiles

        records = list(islice(build_profiles(cordis_dir), limit))
        return records, f"CORDIS tables in CROSSLINK_CORDIS_DIR ({cordis_dir.name}, build_profiles)"
    log.warning("no CORDIS tables in %s; using the demo file", cordis_dir)
    with gzip.open(DEMO, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in islice(fh, limit)]
    return records, f"demo file {DEMO.relative_to(ROOT)}"


def needs(records: list[dict[str, Any]], count: int, seed: int = 5) -> list[str]:
    """Free-text needs of 30–80 words cut from the profiles' project texts."""
    rng = random.Random(seed)
    out: list[str] = []
    pool = [r["description"] for r in records if len(r["description"].split()) >= 40]
    for _ in range(count * 4):
        if len(out) >= count or not pool:
            break
        words = re.sub(r"\s+", " ", rng.choice(pool)).split(" ")
        size = rng.randint(30, 80)
        start = rng.randint(0, max(0, len(words) - size))
        text = " ".join(words[start : start + size])
        if len(text.split()) >= 30:
            out.append("We are looking for a partner for this: " + text)
    return out
