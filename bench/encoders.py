"""`python -m bench.encoders` (= `make bench-encoders`): the candidate encoders side by side, each
in a process of its own, as the matcher runs them (`CROSSLINK_ENCODER_BACKEND`, default
`onnx-int8`): the time to load (after the first run has converted and exported it), the query
encode time on one thread (the p50 and p95 over eval/multilingual's needs, English and all nine
languages: a query embeds on the caller's thread), bulk passages per second on the machine's
cores (the passages of a fixed random sample of CORDIS-derived profiles, cut by each encoder's
own splitter, as indexing embeds them) and the process's peak resident memory. Writes the table
between the ENCODERS markers of docs/BENCHMARKS.md (`--no-write`: print only)."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.config import ROOT, BenchSettings
from bench.report import run_header, write
from eval.engine import DEFAULT_MODEL, model_path

BEGIN, END = "<!-- ENCODERS BEGIN -->", "<!-- ENCODERS END -->"
QUERY_RUNS = 300


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def timed(encoder: Any, texts: list[str], runs: int) -> list[float]:
    """Milliseconds per query encode (on the calling thread, no cache), after a warm-up."""
    for text in texts[:10]:
        encoder.encode_queries([text])
    out = []
    for text in texts[:runs]:
        begun = time.perf_counter()
        encoder.encode_queries([text])
        out.append((time.perf_counter() - begun) * 1000)
    return out


def measure_one(
    name: str, backend: str, profiles: int, queries: int, settings: BenchSettings
) -> dict[str, Any]:
    """Run in the child process: every figure of one encoder."""
    from eval.multilingual import load_needs
    from models.profiles import ProfilePublic
    from services.matcher.embedding import Encoder
    from services.profiles.cordis import build_profiles, load_cordis

    cache = settings.bench_dir / "encoders"
    Encoder(model_path(name), backend=backend, cache_dir=cache)  # converts and exports once
    started = time.perf_counter()
    query = Encoder(model_path(name), backend=backend, cache_dir=cache, threads=1, query_cache=0)
    load = time.perf_counter() - started
    needs = load_needs()
    every = [text for n in needs for text in n.text.values()]
    random.Random(3).shuffle(every)
    en_ms = timed(query, [n.text["en"] for n in needs], queries)
    all_ms = timed(query, every, queries)
    del query
    bulk = Encoder(model_path(name), backend=backend, cache_dir=cache)

    records = list(build_profiles(load_cordis(settings.cordis_dir)))
    sample = random.Random(11).sample(records, profiles)
    stamp = "2024-01-01T00:00:00Z"
    public = [
        ProfilePublic(**r, id=i, created_at=stamp, updated_at=stamp, version=1)
        for i, r in enumerate(sample, start=1)
    ]
    texts = list(dict.fromkeys(p.text for passages in bulk.passages_many(public) for p in passages))
    bulk.encode_passages(texts[:32])  # warm-up (nothing is cached: passage_cache is 0)
    begun = time.perf_counter()
    bulk.encode_passages(texts)
    seconds = time.perf_counter() - begun
    return {
        "model": name,
        "name": bulk.name.split("/")[-1],
        "dimension": bulk.dimension,
        "load_s": load,
        "query_en_p50": statistics.median(en_ms),
        "query_en_p95": _p(en_ms, 95),
        "query_all_p50": statistics.median(all_ms),
        "query_all_p95": _p(all_ms, 95),
        "passages": len(texts),
        "passages_per_s": len(texts) / seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(name: str, backend: str, profiles: int, queries: int) -> dict[str, Any]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["TOKENIZERS_PARALLELISM"] = "false"
    out = subprocess.run(
        [sys.executable, "-m", "bench.encoders", "--child", name, "--backend", backend]
        + ["--profiles", str(profiles), "--queries", str(queries)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict[str, Any]]) -> list[str]:
    base = rows[0]
    lines = [
        "| encoder | dimension | load (s) | query p50 / p95, English (ms) "
        "| query p50 / p95, nine languages (ms) | bulk passages/s (× first row) "
        "| peak RSS (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["passages_per_s"] / base["passages_per_s"]
        lines.append(
            f"| {r['model']} (`{r['name']}`) | {r['dimension']} | {r['load_s']:.2f} "
            f"| {r['query_en_p50']:.1f} / {r['query_en_p95']:.1f} "
            f"| {r['query_all_p50']:.1f} / {r['query_all_p95']:.1f} "
            f"| {r['passages_per_s']:.0f} ({ratio:.2f}×) | {r['rss_mb']:.0f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.encoders", description=__doc__)
    parser.add_argument(
        "--models", default=f"{DEFAULT_MODEL},e5-small", help="CROSSLINK_MODEL values"
    )
    parser.add_argument("--backend", default="onnx-int8", help="CROSSLINK_ENCODER_BACKEND")
    parser.add_argument("--profiles", type=int, default=300, help="Profiles whose passages bulk")
    parser.add_argument("--queries", type=int, default=QUERY_RUNS, help="Timed queries per set")
    parser.add_argument("--no-write", action="store_true", help="Print only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = BenchSettings()
    if args.child:
        figures = measure_one(args.child, args.backend, args.profiles, args.queries, settings)
        print(json.dumps(figures))
        return 0
    load_before = os.getloadavg()
    started = time.monotonic()
    rows = [
        run_child(name, args.backend, args.profiles, args.queries)
        for name in args.models.split(",")
    ]
    command = "python -m bench.encoders " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(
        [
            *run_header(command, load_before, time.monotonic() - started),
            f"- queries: eval/multilingual's English needs (at most {args.queries}) and "
            f"{args.queries} drawn from all nine languages, one thread, no query cache; bulk: "
            f"the distinct passages of {args.profiles} random CORDIS-derived profiles "
            f"({rows[0]['passages']:,} with the first encoder's splitter), "
            f"{os.cpu_count()} workers; backend `{args.backend}`",
            "",
            *table(rows),
        ]
    )
    print(text)
    if not args.no_write:
        write(text, markers=(BEGIN, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
