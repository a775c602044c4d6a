"""`python -m bench` (= `make bench`): crosslink against the naive baseline, side by side, in one
run; prints the table and writes it with the command, date and machine to docs/BENCHMARKS.md.
`--smoke` runs every section on a few profiles in seconds and writes nothing."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench import data, http, indexing, report
from bench.config import BenchSettings
from bench.stack import Stack

log = logging.getLogger("bench")


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.1f}" for x in load)


def section_indexing(
    args: argparse.Namespace, records: list, model: str, cache
) -> tuple[list, float]:  # type: ignore[no-untyped-def]
    """The rows, and the naive build's profiles/s (the full-set row compares against it)."""
    from services.matcher.embedding import Encoder

    sample = random.Random(3).sample(records, min(args.index_profiles, len(records)))
    profiles = indexing.public(sample)
    query = data.needs(records, 1)[0]
    naive = indexing.naive(model, profiles, query)
    from services.matcher.config import MatcherSettings

    fast = Encoder(
        model,
        backend=args.backend,
        cache_dir=cache,
        passage_cache=MatcherSettings().passage_cache,  # as the matcher runs it
    )
    embedded: list[int] = []
    fast.observer = lambda count, _seconds: embedded.append(count)
    ours, engine, where = indexing.crosslink(fast, profiles, query)
    distinct = sum(embedded)
    steps = indexing.match_profile_ms(engine, data.needs(records, 30, seed=13))
    reference = Encoder(model)
    passages = [p.text for prof in profiles for p in fast.passages(prof)]
    passages = random.Random(4).sample(passages, min(args.agreement_passages, len(passages)))
    agree = indexing.agreement(reference, fast, passages, data.needs(records, 50, seed=9))
    log.info("indexing: %s / %s; agreement %s", naive, ours, agree)
    per_token = (ours.tokens / ours.seconds) / (naive.tokens / naive.seconds)
    rows = [
        (
            f"bulk indexing, profiles/s ({len(profiles)} CORDIS profiles, empty to searchable)",
            fmt(naive.per_second),
            fmt(ours.per_second),
            fmt(ours.per_second / naive.per_second, 2) + "×",
            "≥ 4×",
        ),
        (
            "  vectors indexed (naive: 1 per profile, first 256 tokens; crosslink: every passage)",
            f"{naive.vectors:,}",
            f"{ours.vectors:,}",
            fmt(ours.vectors / naive.vectors, 1) + "×",
            "",
        ),
        (
            "  passages embedded (crosslink: each distinct text once, passage cache)",
            f"{naive.vectors:,}",
            f"{distinct:,}",
            fmt(distinct / naive.vectors, 1) + "×",
            "",
        ),
        (
            "  profile tokens covered / s (crosslink: every token of every passage)",
            fmt(naive.tokens / naive.seconds, 0),
            fmt(ours.tokens / ours.seconds, 0),
            fmt(per_token, 2) + "×",
            "",
        ),
        (
            f"  {args.backend} vs fp32 torch: cosine mean / min "
            f"({int(agree['passages'])} passages)",
            "1",
            f"{agree['cosine_mean']:.4f} / {agree['cosine_min']:.4f}",
            "",
            "",
        ),
        (
            "  where crosslink's indexing time goes, s: split into passages / model / BM25 corpus",
            "",
            f"{where['split']:.1f} / {where['encode']:.1f} / {where['corpus']:.1f}",
            "",
            "",
        ),
        (
            "where one match's time goes in process, ms: encode need / rank+explain / JSON",
            "",
            f"{steps['encode']:.1f} / {steps['rank']:.1f} / {steps['serialise']:.1f}",
            "",
            "",
        ),
        (
            f"  top-10 passage overlap with fp32 ({int(agree['queries'])} needs)",
            "1",
            f"{agree['top10_overlap']:.3f}",
            "",
            "",
        ),
    ]
    return rows, naive.per_second


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


def section_http(
    args: argparse.Namespace,
    records: list,
    model: str,
    settings: BenchSettings,
    naive_rate: float = 0.0,
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
    engine, load_s = full_engine(folder / "matcher", args.backend, settings)
    steps = indexing.match_profile_ms(engine, spare[:40])
    cores = os.cpu_count() or 1
    seconds = max(3, args.seconds / 2)
    alone = indexing.throughput(engine, spare[40:1000], 1, seconds)
    side = indexing.throughput(engine, spare[1000:], cores + 1, seconds)
    del engine
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


def full_engine(directory: Path, backend: str, settings: BenchSettings):  # type: ignore[no-untyped-def]
    """A MatchEngine over the matcher's snapshot, set up as the matcher runs it."""
    import threadpoolctl

    from services.matcher.config import MatcherSettings
    from services.matcher.embedding import Encoder
    from services.matcher.ranking import MatchEngine

    matcher = MatcherSettings()
    encoder = Encoder(
        matcher.model,
        backend=backend,
        cache_dir=directory.parent / "models",
        query_cache=matcher.query_cache,
    )
    threadpoolctl.threadpool_limits(limits=matcher.search_threads, user_api="blas")
    engine = MatchEngine(encoder)
    started = time.perf_counter()
    if not engine.load(directory):
        raise SystemExit(f"no usable matcher snapshot in {directory}")
    engine.warm()
    engine.settle()
    return engine, time.perf_counter() - started


def section_quality(args: argparse.Namespace, model: str, settings: BenchSettings) -> list:  # type: ignore[no-untyped-def]
    from bench.quality import compare

    rows = []
    for setting, (fp32, fast, queries) in compare(model, args.backend, settings.bench_dir).items():
        change = (fast - fp32) / fp32 * 100 if fp32 else 0.0
        rows.append(
            (
                f"quality: nDCG@10, eval time split, '{setting}' partners ({queries} queries)",
                f"{fp32:.4f} (fp32)",
                f"{fast:.4f}",
                f"{change:+.1f}%",
                "within 2%",
            )
        )
    return rows


def section_scale(args: argparse.Namespace, cache) -> list:  # type: ignore[no-untyped-def]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="Tiny sizes, seconds; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="Print only")
    parser.add_argument("--sections", default="indexing,quality,http,scale")
    parser.add_argument(
        "--backend", default=os.environ.get("CROSSLINK_ENCODER_BACKEND", "onnx-int8")
    )
    parser.add_argument("--index-profiles", type=int, default=1000)
    parser.add_argument("--agreement-passages", type=int, default=400)
    parser.add_argument(
        "--http-profiles", type=int, default=0, help="Profiles served (sampled); 0 = all"
    )
    parser.add_argument("--needs", type=int, default=1500, help="Distinct needs per load run")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--fresh", type=int, default=20, help="Writes timed for freshness")
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--startup-timeout", type=float, default=7200)
    args = parser.parse_args(argv)
    if args.smoke:
        args.index_profiles, args.agreement_passages, args.http_profiles = 12, 12, 30
        args.needs, args.seconds, args.fresh, args.vectors = 30, 2, 2, 20_000
        args.no_write = True
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = BenchSettings()
    import faiss

    faiss.omp_set_num_threads(1)  # as the matcher runs it (CROSSLINK_SEARCH_THREADS)
    load_before = os.getloadavg()
    from services.matcher.config import default_model

    model = default_model()
    cache = indexing.model_cache(settings.bench_dir)
    sections = set(args.sections.split(","))
    started = time.monotonic()
    limit = 200 if args.smoke else None
    records, source = data.load_profiles(settings.cordis_dir, limit)
    rows: list[report.Row] = []
    naive_rate = 0.0
    if "indexing" in sections:
        indexed, naive_rate = section_indexing(args, records, model, cache)
        rows += indexed
    if "http" in sections:
        rows += section_http(args, records, model, settings, naive_rate)
    if "quality" in sections and not args.smoke:
        rows += section_quality(args, model, settings)
    if "scale" in sections:
        rows += section_scale(args, cache)
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    header = "\n".join(
        [
            f"- command: `{command.strip()}` ({time.monotonic() - started:.0f} s)",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {os.cpu_count()} cores (nproc), "
            f"{platform.processor() or platform.machine()}"
            f", {platform.system()} {platform.release()}, Python {platform.python_version()}",
            f"- load average (1/5/15 min) before / after: {fmt_load(load_before)} / "
            f"{fmt_load(os.getloadavg())} (the machine is shared: above 2, others used cores too)",
            f"- data: {len(records):,} profiles from {source}; encoder backend `{args.backend}`",
            "- load generator: wrk (closed loop; distinct needs per request)",
            "",
        ]
    )
    text = header + "\n" + report.table(rows)
    print(text)
    if not args.no_write:
        report.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
