"""How long the cluster intelligence takes on the full CORDIS-derived set.

In `make bench` (`over_http`, called by the serving section on its stack of the whole set): how
long after the matcher is ready the first computation lands, and each intelligence request's
latency through the gateway, cold (the first request after that) and warm.

Standalone, the computation itself, step by step:

    .venv/bin/python -m bench.bench_intel --snapshot var/bench/stack-30707-onnx-int8/matcher
    .venv/bin/python -m bench.bench_intel [--limit 20000]

With `--snapshot`, the engine is a matcher's index snapshot: the real profiles and their real
int8 passage vectors (`make bench` leaves one of the whole CORDIS-derived set in
`var/bench/stack-<n>-onnx-int8/matcher` when it builds its HTTP stack). Without it, the profiles
are built from the CORDIS tables and their passages get stand-in vectors (a fixed random
projection of their words, the shape and cost of real embeddings) so the run takes minutes, not
the hour embedding them would. CORDIS has no needs, so each profile is given one either way: the
first offer of another profile, chosen with a fixed seed (only these needs are embedded).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.report import Row
from bench.stack import poll
from models.profiles import Kind, ProfilePublic
from services.matcher import intel, wiring
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from services.matcher.index import snapshot
from services.matcher.ranking import MatchEngine
from services.matcher.text import tokenize
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


class SnapshotEncoder(Encoder):
    """The real int8 encoder; texts already embedded in the loaded snapshot come from it."""

    def __init__(self, model: str, cache_dir: Path) -> None:
        super().__init__(model, backend="onnx-int8", cache_dir=cache_dir)
        self.known: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, super().encode(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.known[t] for t in texts])


def from_snapshot(directory: Path) -> tuple[MatchEngine, list[ProfilePublic]]:
    encoder = SnapshotEncoder(default_model(), directory.parent / "models")
    engine = wiring.build_engine(MatcherSettings(), encoder)
    if not engine.load(directory):
        raise SystemExit(f"no usable snapshot in {directory}")
    manifest = snapshot.read_manifest(directory)
    assert manifest is not None
    profiles = snapshot.read_profiles(directory, manifest)
    with engine.reading():
        view = engine.profiles.view
        for profile in profiles:
            texts = [p.text for p in view.passages[profile.id]]
            encoder.known.update(zip(texts, view.passage_vectors(profile.id), strict=True))
    return engine, profiles


def timed(label: str, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20_000, help="profiles (most active first)")
    parser.add_argument("--cordis", type=Path, default=CORDIS)
    parser.add_argument("--snapshot", type=Path, help="a matcher index directory (real vectors)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    rng = np.random.default_rng(7)
    if args.snapshot:
        engine, loaded = timed("load the snapshot", lambda: from_snapshot(args.snapshot))
        offers = [p.offers[0] for p in loaded if p.offers]
        profiles = [
            p.model_copy(update={"needs": [offers[int(rng.integers(len(offers)))]]}) for p in loaded
        ]
        timed("give every profile a need (embed the needs)", lambda: engine.upsert(profiles))
    else:
        records = timed(
            "read CORDIS, build profiles",
            lambda: [
                r for _, r in zip(range(args.limit), build_profiles(args.cordis), strict=False)
            ],
        )
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
        engine = wiring.build_engine(MatcherSettings(), ProjectionEncoder(default_model()))
        timed("index (stand-in vectors)", lambda: engine.upsert(profiles))
    print(f"{len(profiles)} profiles, {engine.index.count()} passages")

    state = intel.IntelState(engine.profiles)
    landscape = timed("fields: cluster, label, assign; bridges and tables (first)", state.refresh)
    landscape = state.current()
    print(f"  {len(landscape.model.numbers)} fields, e.g. {landscape.label(0)}")
    timed("fields again (unchanged: nothing to do)", state.refresh)
    for level in ("country", "nuts1", "nuts2"):
        m = timed(
            f"competence map, {level}", lambda lv=level: intel.competence_map(landscape, level=lv)
        )
        print(f"  {m.count} region x field cells")
    timed(
        "competence map, nuts2, kind=sme",
        lambda: intel.competence_map(landscape, level="nuts2", kind=Kind.sme),
    )
    b = timed("bridges (prepared with the landscape)", lambda: intel.bridges(landscape))
    print(f"  {b.count} shown, {len(b.field_pairs)} field pairs")
    timed("bridges from_region=DE", lambda: intel.bridges(landscape, from_region="DE"))
    clusters = [p.id for p in landscape.profiles if p.kind == Kind.cluster][:20] or [1]
    timed(
        f"potential, {len(clusters)} profiles",
        lambda: [intel.potential(landscape, pid) for pid in clusters],
    )
    changed = [p.model_copy(update={"version": 2}) for p in profiles[: len(profiles) // 100]]
    engine.upsert(changed)
    timed("fields after 1% changed (same centroids)", lambda: state.recompute())
    timed("fields recomputed on demand (re-cluster)", lambda: state.recompute(refit=True))


def _timed_get(client: httpx.Client, path: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed * 1000


def over_http(gateway: str, token: str, timeout: float = 600.0) -> list[Row]:
    """The intelligence through the gateway, right after the matcher reported ready: seconds
    until the first computation is served (503 `not_ready` before), then each request cold
    (its first) and warm (median of five more), in ms; the potential of a cluster profile."""
    started = time.perf_counter()
    headers = {"X-API-Key": token}
    with httpx.Client(base_url=gateway, headers=headers, timeout=30) as client:
        found = client.get("/v1/profiles", params={"kind": "cluster", "limit": 1})
        clusters = found.json()["data"] if found.status_code == 200 else []
    cluster_id = clusters[0]["id"] if clusters else 1
    requests: list[tuple[str, dict[str, Any]]] = [
        ("/v1/fields", {}),
        ("/v1/map/competences", {"level": "nuts2"}),
        ("/v1/map/competences", {"level": "country", "kind": "sme"}),
        ("/v1/bridges", {}),
        ("/v1/bridges", {"from_region": "DE", "min_distance": 0.2}),
        (f"/v1/clusters/{cluster_id}/potential", {}),
    ]
    with httpx.Client(base_url=gateway, headers=headers, timeout=30) as client:
        poll(lambda: client.get("/v1/fields").status_code == 200, timeout, "intel computed")
        ready_s = time.perf_counter() - started
        cold = [_timed_get(client, path, params) for path, params in requests]
        warm = [
            float(np.median([_timed_get(client, path, params) for _ in range(5)]))
            for path, params in requests
        ]
    rows: list[Row] = [
        (
            "cluster intelligence: first computation served, s after the matcher is ready "
            "(in the background; 503 not_ready before)",
            "",
            f"{ready_s:.1f}",
            "",
            "",
        )
    ]
    for (path, params), c, w in zip(requests, cold, warm, strict=True):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        rows.append(
            (
                f"  GET {path}{'?' + query if query else ''} via gateway, cold / warm ms",
                "",
                f"{c:.0f} / {w:.0f}",
                "",
                "≤ 1000",
            )
        )
    return rows


if __name__ == "__main__":
    main()
