"""`python -m eval.multilingual`: the cross-lingual measuring stick on the full CORDIS-derived set.

For each candidate encoder, side by side in one run: the matcher's own engine (`MatchEngine`
as the service builds it, default ranking) over every CORDIS-derived organisation plus the 36
example profiles written in eight languages; then every need of needs.jsonl asked in its nine
languages (agreement of each translation's top 10 with the English need's) and each example
profile looked for by its English and its own-language need (measure.py). Writes the tables
into docs/QUALITY.md between the MULTILINGUAL markers; embeddings are cached in eval/.cache per
encoder, so a second run only ranks."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from datetime import UTC, datetime

from bench.report import write as write_block
from eval.config import ROOT, EvalSettings
from eval.engine import DEFAULT_MODEL, CachingEncoder, RankingWeights, build_public, model_path
from eval.multilingual.measure import (
    MultilingualReport,
    load_needs,
    load_profiles,
    measure,
    render_markdown,
)
from models.matching import MatchRequest
from services.profiles.cordis import build_profiles, load_cordis

QUALITY = ROOT / "docs" / "QUALITY.md"
MARKERS = ("<!-- MULTILINGUAL BEGIN -->", "<!-- MULTILINGUAL END -->")
TARGET = 0.6  # issue 15: mean top-10 overlap with English in every language
log = logging.getLogger("eval.multilingual")


def run_model(
    name: str,
    records: list[dict],
    settings: EvalSettings,
    weights: dict | None = None,
    needs: int = 0,
) -> MultilingualReport:
    """Index `records` plus the example profiles with `name`'s encoder and measure (with the
    engine's default weights, or these changes to them)."""
    examples = load_profiles()
    encoder = CachingEncoder.configured(settings, model_path(name))
    started = time.monotonic()
    engine = build_public(encoder, [*records, *(p.record for p in examples)])
    encoder.save()
    log.info("%s: %d profiles indexed in %.0f s", name, engine.count(), time.monotonic() - started)
    if weights:
        engine.weights = RankingWeights(**(engine.weights.model_dump() | weights))
    first = len(records) + 1  # the example profiles' ids follow the CORDIS ones
    ids = {p.external_id: first + i for i, p in enumerate(examples)}

    def rank(text: str, k: int) -> list[int]:
        return [m.profile.id for m in engine.match(MatchRequest(text=text, limit=k)).data]

    asked = load_needs()
    report = measure(rank, ids=ids, needs=asked[:needs] if needs else asked)
    encoder.save()
    return report


def overview(reports: dict[str, MultilingualReport]) -> list[str]:
    """One row per encoder: the mean and the weakest language, finding in both directions."""
    lines = [
        "| encoder | mean top-10 overlap with English | weakest language | languages ≥ 0.6 "
        "| mean RBO | English need finds the foreign profile: in top 10 / MRR "
        "| own-language need: in top 10 / MRR |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rep in reports.items():
        weakest = min(rep.agreement, key=lambda a: a.overlap)
        english = [f for f in rep.finding if f.direction.startswith("en ")]
        own = [f for f in rep.finding if not f.direction.startswith("en ")]

        def both(figures: list) -> str:
            found = [r for f in figures for r in f.ranks.values()]
            top10 = sum(r is not None and r <= 10 for r in found) / max(len(found), 1)
            mrr = statistics.fmean(1 / r if r else 0.0 for r in found) if found else 0.0
            return f"{top10:.2f} / {mrr:.3f}"

        passing = sum(a.overlap >= TARGET for a in rep.agreement)
        lines.append(
            f"| {name} | {statistics.fmean(a.overlap for a in rep.agreement):.3f} "
            f"| {weakest.language} {weakest.overlap:.3f} | {passing} of {len(rep.agreement)} "
            f"| {statistics.fmean(a.rbo for a in rep.agreement):.3f} | {both(english)} "
            f"| {both(own)} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.multilingual", description=__doc__)
    parser.add_argument(
        "--models",
        default=f"{DEFAULT_MODEL},e5-small",
        help=f"Comma-separated CROSSLINK_MODEL values ('{DEFAULT_MODEL}' = the packaged MiniLM)",
    )
    parser.add_argument(
        "--pool", type=int, default=0, help="Only the N most active organisations (0 = all)"
    )
    parser.add_argument(
        "--weights",
        type=json.loads,
        default=None,
        metavar="JSON",
        help="Changes to the ranking weights, e.g. '{\"lexical\": 0}' (never written)",
    )
    parser.add_argument(
        "--needs", type=int, default=0, help="Only the first N needs (0 = all; never written)"
    )
    parser.add_argument("--no-write", action="store_true", help="Print only; leave QUALITY.md")
    parser.add_argument("--write-partial", action="store_true", help=argparse.SUPPRESS)  # tests
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = EvalSettings()
    if not (settings.cordis_dir / "projects.csv.gz").exists():
        print(
            f"error: CORDIS tables not found in {settings.cordis_dir}; set CROSSLINK_CORDIS_DIR",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    records = list(build_profiles(load_cordis(settings.cordis_dir)))
    if args.pool:
        records = records[: args.pool]  # build_profiles yields the most active first
    reports = {
        name: run_model(name, records, settings, args.weights, args.needs)
        for name in args.models.split(",")
    }
    command = "python -m eval.multilingual" + (f" --pool {args.pool}" if args.pool else "")
    command += f" --models {args.models}"
    text = "\n".join(
        [
            f"- command: `{command}` ({time.monotonic() - started:.0f} s, "
            f"{datetime.now(UTC):%Y-%m-%d} UTC; `make eval` runs it after `python -m eval`)",
            f"- index: {len(records):,} CORDIS-derived profiles "
            f"(`services/profiles/cordis.py: build_profiles`, all projects) + "
            f"{len(load_profiles())} example profiles in eight languages; "
            f"{args.needs or len(load_needs())} needs in nine languages; "
            "the matcher's engine, default ranking, "
            f"`CROSSLINK_ENCODER_BACKEND={settings.encoder_backend}`",
            "",
            *overview(reports),
            "",
            *[f"#### {name}\n\n{render_markdown(rep)}" for name, rep in reports.items()],
        ]
    )
    print(text)
    partial = args.pool or args.weights or args.needs
    if not args.no_write and (not partial or args.write_partial):
        write_block(text, QUALITY, MARKERS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
