"""How long the cluster intelligence takes on the full CORDIS-derived set (standalone script).

    .venv/bin/python bench/bench_intel.py [--limit 20000]

The profiles are the real CORDIS-derived ones (texts, regions, kinds, passages split by the real
tokenizer). Encoding ~100k passages with MiniLM on a laptop CPU takes far longer than what is
measured here, so passages get stand-in vectors: a fixed random projection of their words (texts
sharing words get close vectors), which has the shape and cost of real embeddings. CORDIS has no
needs, so each profile is given one: the first offer of another profile, chosen with a fixed seed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from models.profiles import Kind, ProfilePublic
from services.matcher import intel
from services.matcher.config import default_model
from services.matcher.corpus import tokenize
from services.matcher.encoder import Encoder
from services.matcher.fields import Landscapes
from services.matcher.service import MatchEngine
from services.profiles.cordis import build_profiles

CORDIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw" / "cordis-horizon-europe"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class ProjectionEncoder(Encoder):
    """The real passage splitter; vectors are a seeded random projection of the words."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._rows: dict[str, int] = {}
        self._words = np.zeros((0, self.dimension), dtype=np.float32)
        self._rng = np.random.default_rng(7)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for lo in range(0, len(texts), 5_000):
            words = tokenize(texts[lo : lo + 5_000])
            for new in sorted({w for ws in words for w in ws} - self._rows.keys()):
                self._rows[new] = len(self._rows)
            if len(self._rows) > len(self._words):
                more = len(self._rows) - len(self._words)
                fresh = self._rng.standard_normal((more, self.dimension), dtype=np.float32)
                self._words = np.concatenate([self._words, fresh])
            for i, ws in enumerate(words):
                if ws:
                    out[lo + i] = self._words[[self._rows[w] for w in ws]].sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def timed(label: str, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20_000, help="profiles (most active first)")
    parser.add_argument("--cordis", type=Path, default=CORDIS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    records = timed(
        "read CORDIS, build profiles",
        lambda: [r for _, r in zip(range(args.limit), build_profiles(args.cordis), strict=False)],
    )
    rng = np.random.default_rng(7)
    offers = [r["offers"][0] for r in records if r["offers"]]
    profiles = [
        ProfilePublic(
            **{**r, "needs": [offers[int(rng.integers(len(offers)))]]},
            id=i,
            created_at=EPOCH,
            updated_at=EPOCH,
            version=1,
        )
        for i, r in enumerate(records, start=1)
    ]
    engine = MatchEngine(ProjectionEncoder(default_model()))
    timed("index (stand-in vectors)", lambda: engine.upsert(profiles))
    print(f"{len(profiles)} profiles, {engine.index.count()} passages")

    landscapes = Landscapes(engine)
    landscape = timed("fields: cluster, label, assign (first)", landscapes.current)
    print(f"  {len(landscape.model.numbers)} fields, e.g. {landscape.label(0)}")
    timed("fields again (unchanged: cached)", landscapes.current)
    for level in ("country", "nuts1", "nuts2"):
        m = timed(
            f"competence map, {level}", lambda lv=level: intel.competence_map(landscape, level=lv)
        )
        print(f"  {m.count} region x field cells")
    timed(
        "competence map, nuts2, kind=sme",
        lambda: intel.competence_map(landscape, level="nuts2", kind=Kind.sme),
    )
    b = timed("bridges (cold: every need vs offers)", lambda: intel.bridges(landscape))
    print(f"  {b.count} shown, {len(b.field_pairs)} field pairs")
    timed("bridges from_region=DE (warm)", lambda: intel.bridges(landscape, from_region="DE"))
    clusters = [p.id for p in landscape.profiles if p.kind == Kind.cluster][:20] or [1]
    timed(
        f"potential, {len(clusters)} profiles",
        lambda: [intel.potential(landscape, pid) for pid in clusters],
    )
    changed = [p.model_copy(update={"version": 2}) for p in profiles[: len(profiles) // 100]]
    engine.upsert(changed)
    timed("fields after 1% changed (same centroids)", landscapes.current)
    timed("fields recomputed on demand (re-cluster)", lambda: landscapes.current(recompute=True))


if __name__ == "__main__":
    main()
