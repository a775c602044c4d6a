"""`python -m bench` (= `make bench`): crosslink against the naive baseline, side by side, in one
run; prints the table and writes it with the command, date and machine to docs/BENCHMARKS.md.
`--smoke` runs every section on a few profiles in seconds and writes nothing.

The sections are modules: `indexing` (bulk indexing, encoder agreement), `serving` (the three
services under load, freshness, the cluster intelligence's latency — `bench_intel` — and the same
snapshot in process), `quality` (nDCG of the fast encoder) and `scale` (a million vectors)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from bench import data, indexing, quality, report, scale, serving
from bench.config import BenchSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="Tiny sizes, seconds; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="Print only")
    parser.add_argument(
        "--sections",
        default="indexing,quality,http,intel,scale,webhooks",
        help="intel: the cluster intelligence on the HTTP stack (runs with http)",
    )
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
        indexed, naive_rate = indexing.section(args, records, model, cache)
        rows += indexed
    if "http" in sections or "intel" in sections:
        rows += serving.section(args, records, model, settings, naive_rate, "intel" in sections)
    if "quality" in sections and not args.smoke:
        rows += quality.section(args, model, settings)
    if "scale" in sections:
        rows += scale.section(args, cache)
    if "webhooks" in sections:
        from bench import webhooks

        rows += webhooks.section(smoke=args.smoke)
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    header = "\n".join(
        [
            *report.run_header(command, load_before, time.monotonic() - started),
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
