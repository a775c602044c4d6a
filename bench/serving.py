"""The HTTP section: the three services on the whole set under load (wrk), freshness, memory,
the cluster intelligence's latency, and the same snapshot in process."""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench import bench_intel, data, http, indexing
from bench.config import BenchSettings
from bench.report import fmt, fmt_load
from bench.stack import Stack
from services.matcher import wiring
from services.matcher.config import MatcherSettings
from services.matcher.ranking import MatchEngine

log = logging.getLogger("bench")


def naive_query_ms(model: str, texts: list[str], corpus: list[str]) -> float:
    """The naive build answering one need in process: encode + exact search (no HTTP)."""
    import faiss
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu", local_files_only=True)
    index = faiss.IndexFlatIP(int(st.get_embedding_dimension() or 384))
    index.add(st.encode(corpus, normalize_embeddings=True, show_progress_bar=False))
    times = []
    for text in texts:
        started = time.perf_counter()
        index.search(st.encode([text], normalize_embeddings=True, show_progress_bar=False), 10)
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def section(
    args: argparse.Namespace,
    records: list,
    model: str,
    settings: BenchSettings,
    naive_rate: float = 0.0,
    intel: bool = True,
) -> list:  # type: ignore[no-untyped-def]
    chosen = records
    if args.http_profiles and args.http_profiles < len(records):
        chosen = random.Random(6).sample(records, args.http_profiles)
    # Disjoint needs per run, so no run is served from the query cache filled by another.
    texts = data.needs(records, args.needs * 4 + 20, seed=21)
    warm, rest = texts[:20], texts[20:]
    one, eight, fresh1, fresh8 = (rest[i * args.needs : (i + 1) * args.needs] for i in range(4))
    naive_ms = naive_query_ms(
        model, warm[:10] if args.smoke else one[:50], [r["description"] for r in chosen[:200]]
    )
    folder = settings.bench_dir / f"stack-{len(chosen)}-{args.backend}"
    rows = []
    env = {"CROSSLINK_ENCODER_BACKEND": args.backend}
    with Stack(folder, settings.bench_port_base, env) as stack:
        fresh = not (folder / "matcher" / "manifest.json").exists()
        started = time.perf_counter()
        stack.up(chosen, timeout=args.startup_timeout)
        log.info("stack up in %.0fs with %d profiles", time.perf_counter() - started, len(chosen))
        if fresh:
            build = {
                "profiles": len(chosen),
                "seconds": stack.matcher_ready_seconds,
                "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                "load": fmt_load(os.getloadavg()),
            }
            (folder / "build.json").write_text(json.dumps(build), encoding="utf-8")
        # The intelligence first: its one computation after start-up is then done and does
        # not share the cores with the load runs below.
        intel_rows = bench_intel.over_http(stack.gateway, stack.token) if intel else []
        if not http.have_wrk():
            raise SystemExit("wrk not found: install it (Debian: apt-get install wrk)")
        base = stack.gateway
        http.wrk(base, "/v1/match", stack.token, warm, 2, 3 if args.smoke else 5)
        loads = [http.wrk(base, "/v1/match", stack.token, one, 1, args.seconds)]
        # The services' CPU time over the 8-client run: what one match costs each process.
        before = stack.cpu_seconds()
        loads.append(http.wrk(base, "/v1/match", stack.token, eight, 8, args.seconds))
        after = stack.cpu_seconds()
        cpu_ms = {
            name: (after[name] - before[name]) * 1000 / max(1, loads[-1].requests)
            for name in ("gateway", "matcher", "profiles")
        }
        cached = http.wrk(base, "/v1/match", stack.token, one[:20], 8, max(3, args.seconds / 3))
        direct1 = http.wrk(stack.matcher, "/match", "", fresh1, 1, max(3, args.seconds / 2))
        direct = http.wrk(stack.matcher, "/match", "", fresh8, 8, max(3, args.seconds / 2))
        delays = http.freshness(stack, args.fresh)
        rss = stack.rss_mb("matcher")
    # The same snapshot in this process: where a match's time goes on the whole set, and the
    # engine's own ceiling without HTTP (the matcher wrote its snapshot on shutdown).
    spare = data.needs(records, 3000, seed=33)
    engine, load_s = full_engine(folder / "matcher", args.backend)
    steps = indexing.match_profile_ms(engine, spare[:40])
    learned_ms = learned_rank_ms(engine, spare[:40])
    cores = os.cpu_count() or 1
    seconds = max(3, args.seconds / 2)
    alone = indexing.throughput(engine, spare[40:1000], 1, seconds)
    side = indexing.throughput(engine, spare[1000:], cores + 1, seconds)
    del engine
    rows += intel_rows
    for load in loads:
        rows += [
            (
                f"match via gateway, {load.clients} client(s), p50 / p95 / p99 ms "
                f"({len(chosen):,} profiles, {load.requests} requests, {load.failed} failed)",
                fmt(naive_ms) + " (p50, in process, no HTTP)",
                f"{fmt(load.p50_ms)} / {fmt(load.p95_ms)} / {fmt(load.p99_ms)}",
                fmt(naive_ms / load.p50_ms, 2) + "×",
                "p50 ≤ 25, p99 ≤ 100 at 8" if load.clients == 8 else "",
            ),
            (
                f"  matches/s, {load.clients} client(s)",
                fmt(1000 / naive_ms),
                fmt(load.per_second),
                fmt(load.per_second * naive_ms / 1000, 2) + "×",
                "≥ 100" if load.clients == 8 else "",
            ),
        ]
    total_ms = sum(cpu_ms.values())
    ceiling = cores * 1000 / total_ms if total_ms else 0.0
    rows += [
        (
            "  CPU per match under the 8-client load, ms: gateway / matcher / profiles "
            "(each process' CPU time over the run ÷ matches)",
            "",
            " / ".join(f"{cpu_ms[name]:.1f}" for name in ("gateway", "matcher", "profiles")),
            "",
            "",
        ),
        (
            f"  → ceiling on {cores} cores: matches/s (cores ÷ CPU per match) / "
            "mean-latency floor at 8 closed-loop clients, ms (8 ÷ that rate, Little's law)",
            "",
            f"{fmt(ceiling)} / {fmt(8000 / ceiling if ceiling else 0.0)}",
            "",
            "",
        ),
        (
            f"  in process on this set (no HTTP): one match's time, ms: encode need / "
            f"rank+explain / JSON (snapshot loaded in {load_s:.0f} s)",
            "",
            f"{steps['encode']:.1f} / {steps['rank']:.1f} / {steps['serialise']:.1f}",
            "",
            "",
        ),
        (
            "  in process on this set: learned re-ranking of 400 candidates (features + "
            "LightGBM + order), p50 ms",
            "",
            fmt(learned_ms),
            "",
            "≤ 10",
        ),
        (
            f"  in process on this set (no HTTP): matches/s with 1 / {cores + 1} callers",
            "",
            f"{fmt(alone)} / {fmt(side)}",
            "",
            "",
        ),
        (
            "  repeated needs (query-vector cache), 8 clients: p50 ms / matches/s",
            "",
            f"{fmt(cached.p50_ms)} / {fmt(cached.per_second)}",
            "",
            "",
        ),
        (
            "  matcher directly (no gateway hop), 1 client: p50 / p99 ms / matches/s",
            "",
            f"{fmt(direct1.p50_ms)} / {fmt(direct1.p99_ms)} / {fmt(direct1.per_second)}",
            "",
            "",
        ),
        (
            "  matcher directly (no gateway hop), 8 clients: p50 / p99 ms / matches/s",
            "",
            f"{fmt(direct.p50_ms)} / {fmt(direct.p99_ms)} / {fmt(direct.per_second)}",
            "",
            "",
        ),
        (
            f"freshness: write acknowledged → matched, p50 / p95 s ({len(delays)} writes)",
            "",
            f"{http.percentile(delays, 50):.2f} / {http.percentile(delays, 95):.2f}",
            "",
            "p95 ≤ 1",
        ),
        ("matcher resident memory, MB (serving this set)", "", fmt(rss, 0), "", ""),
    ]
    if (folder / "build.json").exists() and naive_rate:
        build = json.loads((folder / "build.json").read_text(encoding="utf-8"))
        rate = build["profiles"] / build["seconds"]
        rows.append(
            (
                f"bulk indexing of this whole set through the change feed, profiles/s "
                f"({build['profiles']:,} profiles, empty to ready; measured {build['date']}, "
                f"load {build['load']}; naive: its rate on the sample above)",
                fmt(naive_rate),
                fmt(rate),
                fmt(rate / naive_rate, 2) + "×",
                "≥ 4×",
            )
        )
    return rows


def learned_rank_ms(engine: MatchEngine, needs: list[str], candidates: int = 400) -> float:
    """p50 ms of the learned re-ranking of `candidates` candidates in process: their feature
    rows from what the engine computed, the model's scores, the order. Without a packaged model,
    a stand-in of a shipped model's size (300 trees of 31 leaves) is trained on noise."""
    import lightgbm

    from models.matching import MatchFilters
    from services.matcher.ranking import FEATURE_NAMES, feature_matrix, order
    from services.matcher.ranking.query import query_from_text

    booster = engine.ranker.booster if engine.ranker is not None else None
    if booster is None:
        noise = np.random.default_rng(3).random((3000, len(FEATURE_NAMES)), dtype=np.float32)
        booster = lightgbm.train(
            {"objective": "lambdarank", "num_leaves": 31, "verbose": -1, "num_threads": 1},
            lightgbm.Dataset(noise, label=(noise[:, 0] * 4).astype(int), group=[100] * 30),
            num_boost_round=300,
        )
    times = []
    for need in needs:
        scored = engine.score(
            query_from_text(engine.encoder, need), None, MatchFilters(), candidates
        )
        if scored is None or len(scored.ids) < candidates:
            continue
        started = time.perf_counter()
        rows = feature_matrix(scored, None)[:candidates]
        order(np.asarray(booster.predict(rows, num_threads=1)), scored.ids[:candidates])
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000) if times else 0.0


def full_engine(directory: Path, backend: str) -> tuple[MatchEngine, float]:
    """A MatchEngine over the matcher's snapshot, built as the matcher builds it."""
    matcher = MatcherSettings(data_dir=directory.parent, index_dir=directory)
    encoder = wiring.build_encoder(matcher, backend=backend)  # type: ignore[arg-type]
    wiring.limit_threads(matcher)
    engine = wiring.build_engine(matcher, encoder)
    started = time.perf_counter()
    if not engine.load(directory):
        raise SystemExit(f"no usable matcher snapshot in {directory}")
    engine.warm()
    engine.settle()
    return engine, time.perf_counter() - started
