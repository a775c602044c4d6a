"""`python -m bench.rerank` (= `make bench-rerank`): the learned re-ranking of 400 candidates in
process on the whole CORDIS-derived set (issue 16: ≤ 10 ms p50), next to a whole linear match.

The index is every organisation the CORDIS builder profiles (eval's profile format, embedded
through eval's cache with the matcher's encoder backend); the needs are the title and objective
of a seeded sample of projects. With the packaged model loaded (`CROSSLINK_RANKER=auto`'s
`services/matcher/ranking/model/`), `bench.serving.learned_rank_ms` times the candidates'
feature rows, LightGBM's scores and the order (`--passes` times); then every need is matched
twice with the linear weights (the second pass reads the query vectors from the cache), and the
p50 / p95 of the second pass are reported. Prints the lines (`--write` also puts them between
the RERANK markers of docs/BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date

import numpy as np

from bench.report import run_header, write
from bench.serving import learned_rank_ms
from eval.config import EvalSettings
from eval.dataset import build_split, need_text
from eval.engine import DEFAULT_MODEL, CachingEncoder, build_engine, model_path
from models.matching import MatchRequest
from services.matcher.config import MatcherSettings
from services.matcher.ranking import load_ranker
from services.profiles.cordis import CordisData, load_cordis

BEGIN, END = "<!-- RERANK BEGIN -->", "<!-- RERANK END -->"
EVERYTHING = date(9999, 1, 1)  # a cutoff after every project: the whole set


def needs(data: CordisData, count: int, seed: int = 7) -> list[str]:
    """Title and objective of `count` seeded-random projects, as eval's queries read."""
    projects = data.projects
    chosen = random.Random(seed).sample(sorted(projects), min(count, len(projects)))
    return [need_text(projects[p]) for p in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rerank", description=__doc__)
    parser.add_argument("--needs", type=int, default=200, help="Needs asked (default 200)")
    parser.add_argument("--passes", type=int, default=3, help="Timed passes of the re-ranking")
    parser.add_argument("--candidates", type=int, default=400, help="Candidates re-ranked")
    parser.add_argument("--write", action="store_true", help="Also write docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    command = "python -m bench.rerank " + " ".join(argv if argv is not None else sys.argv[1:])
    load = os.getloadavg()
    started = time.monotonic()
    settings = EvalSettings()
    data = load_cordis(settings.cordis_dir)
    split = build_split(data, settings, cutoff=EVERYTHING, queries=1)
    encoder = CachingEncoder.configured(settings, settings.model or model_path(DEFAULT_MODEL))
    engine = build_engine(split, encoder)
    encoder.save()
    asked = needs(data, args.needs)
    engine.ranker = load_ranker("auto", MatcherSettings().ranker_model, encoder.name)
    packaged = engine.ranker is not None
    model = "the packaged model" if packaged else "a stand-in model (none packaged)"
    passes = [learned_rank_ms(engine, asked, args.candidates) for _ in range(args.passes)]
    engine.ranker = None
    times: list[float] = []
    for second in (False, True):
        for need in asked:
            begun = time.perf_counter()
            engine.match(MatchRequest(text=need, limit=10))
            if second:
                times.append((time.perf_counter() - begun) * 1000)
    lines = [
        *run_header(command, load, time.monotonic() - started),
        f"- index: {len(split.profiles):,} profiles (the whole CORDIS-derived set, eval's "
        f"format), {len(asked)} needs",
        f"- learned re-ranking of {args.candidates} candidates with {model}, p50 per pass (ms): "
        + " / ".join(f"{p:.2f}" for p in passes)
        + " (target ≤ 10)",
        f"- a whole linear match (query vector cached), p50 / p95 ms: "
        f"{np.median(times):.1f} / {np.quantile(times, 0.95):.1f}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write(text, markers=(BEGIN, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
