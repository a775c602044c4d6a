"""Scale: search latency and recall@10 against exact search over N synthetic 384-d vectors
(clustered like text embeddings), and the resident memory of a process holding the encoder and
the index. Run in its own process (`python -m bench.scale N`) so its memory is its own."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import psutil

from bench.report import fmt
from services.matcher.index import FaissIndex

DIMENSION = 384
QUERIES = 200
K = 10
NPROBES = (4, 8, 16, 32, 64)


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def synthetic(count: int, rng: np.random.Generator, centers: np.ndarray) -> np.ndarray:
    out = np.empty((count, DIMENSION), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        chunk = centers[rng.integers(0, len(centers), n)]
        chunk += 0.8 * rng.standard_normal((n, DIMENSION), dtype=np.float32) / np.sqrt(DIMENSION)
        faiss.normalize_L2(chunk)
        out[start : start + n] = chunk
    return out


def latencies(index: faiss.Index | FaissIndex, queries: np.ndarray) -> tuple[np.ndarray, float]:
    found = np.empty((len(queries), K), dtype=np.int64)
    times = []
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, ids = index.search(query[None, :], K)
        times.append(time.perf_counter() - started)
        found[i] = ids[0]
    return found, float(np.median(times) * 1000)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def run(count: int, model_cache: Path | None) -> dict[str, object]:
    faiss.omp_set_num_threads(1)  # one query per request; the server's threads run requests
    rng = np.random.default_rng(11)
    centers = rng.standard_normal((max(8, count // 500), DIMENSION), dtype=np.float32)
    faiss.normalize_L2(centers)
    vectors = synthetic(count, rng, centers)
    queries = synthetic(QUERIES, rng, centers)
    ids = np.arange(count, dtype=np.int64) << 8

    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIMENSION))
    exact.add_with_ids(vectors, ids)
    truth, flat_ms = latencies(exact, queries)
    del exact

    # The matcher's own index, filled in 100k batches as a growing corpus would be: flat at
    # first, rebuilt as IVF+SQ8 once past its threshold.
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    index = FaissIndex(DIMENSION)
    for at in range(0, count, 100_000):
        index.add(ids[at : at + 100_000], vectors[at : at + 100_000])
    build_s = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    # The matcher also keeps every distinct passage text's vector for scoring candidates
    # (services/matcher/index/store.py); synthetic vectors are all distinct, the worst case.
    from services.matcher.index import PassageStore

    before = rss_mb()
    store = PassageStore(DIMENSION)
    for at in range(0, count, 100_000):
        size = min(100_000, count - at)
        store.add([f"passage {at + i}" for i in range(size)], vectors[at : at + size])
    store_mb = rss_mb() - before
    del vectors  # no view of it may outlive this line, or its 1.5 GB stay resident
    sweep = []
    for nprobe in NPROBES:
        index.nprobe = nprobe
        found, ms = latencies(index, queries)
        sweep.append({"nprobe": nprobe, "p50_ms": ms, "recall": recall(found, truth)})
    chosen = next(s for s in sweep if s["nprobe"] == FaissIndex(DIMENSION).nprobe)
    kind = type(index._index).__name__
    if index.is_ivf:
        kind = f"IVF{faiss.extract_index_ivf(index._index).nlist},SQ8"
    encoder_rss = 0.0
    if model_cache is not None:
        from services.matcher.config import default_model
        from services.matcher.embedding import Encoder

        before = rss_mb()
        Encoder(default_model(), backend="onnx-int8", cache_dir=model_cache)
        encoder_rss = rss_mb() - before
    return {
        "vectors": count,
        "flat_p50_ms": flat_ms,
        "index": kind,
        "build_s": build_s,
        "sweep": sweep,
        "chosen": chosen,
        "rss_mb": rss_mb(),
        "encoder_mb": encoder_rss,
        "store_mb": store_mb,
        "store_rows": len(store),
    }


def section(args: argparse.Namespace, cache) -> list:  # type: ignore[no-untyped-def]
    # The smoke run leaves the encoder out: its memory is what the full run reports.
    extra = [] if args.smoke else [str(cache)]
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", str(args.vectors), *extra],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    chosen = result["chosen"]
    sweep = ", ".join(
        f"{s['nprobe']}: {s['p50_ms']:.2f} ms @ {s['recall']:.3f}" for s in result["sweep"]
    )
    return [
        (
            f"scale: {result['vectors']:,} synthetic 384-d vectors, search p50 ms "
            f"(naive flat vs {result['index']}, nprobe {chosen['nprobe']})",
            fmt(result["flat_p50_ms"], 2),
            fmt(chosen["p50_ms"], 2),
            fmt(result["flat_p50_ms"] / chosen["p50_ms"], 1) + "×",
            "≤ 10",
        ),
        ("  recall@10 against exact search", "1", f"{chosen['recall']:.3f}", "", "≥ 0.95"),
        (
            f"  nprobe sweep (p50 @ recall): {sweep}; build {result['build_s']:.0f} s",
            "",
            "",
            "",
            "",
        ),
        (
            f"  process resident memory, MB (index + passage store of {result['store_rows']:,} "
            f"distinct vectors, {result['store_mb']:,.0f} MB + encoder)",
            "",
            fmt(result["rss_mb"], 0),
            "",
            "≤ 2,500",
        ),
    ]


if __name__ == "__main__":
    cache = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(run(int(sys.argv[1]), cache)))
