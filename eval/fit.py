"""`python -m eval.fit`: fit the ranking weights on a *training* split, never on the test one.

The training split has the same shape as the evaluation's but is a year earlier: profiles from
projects signed before `--cutoff` (default 2023-01-01), queries from projects signed from then
until `--queries-before` (default 2024-01-01, the test split's cutoff), so no test query and
nothing signed after the test cutoff is seen. For every query (both settings: new partners and
all partners) the engine's candidates and their score components are extracted once; then
coordinate ascent (Metzler & Croft's, for linear rankers) moves one weight at a time over a
multiplicative grid and keeps a move when the mean nDCG@10 of the two settings rises. The scale
is anchored by `semantic` = 1. Weights CORDIS cannot inform (`reciprocal`: its profiles have no
needs) are left alone. The result is printed; the shipped defaults in
`services/matcher/ranking/weights.py` are these values, rounded.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from eval.config import EvalSettings
from eval.dataset import Split, build_split
from eval.engine import (
    CachingEncoder,
    MatchEngine,
    RankingWeights,
    build_engine,
    candidates,
    order,
    public_profiles,
)
from eval.runner import relevant as relevant_of
from services.profiles.cordis import load_cordis

log = logging.getLogger("eval.fit")

FITTED = ("lexical", "activity", "kind", "trust", "peers", "known", "proximity")
GRID = (0.5, 0.7, 0.85, 1.2, 1.4, 2.0)
START = (0.05, 0.1, 0.2, 0.4)  # tried for a weight at 0
DISCOUNT = 1.0 / np.log2(np.arange(2, 12))


@dataclass
class Example:
    """One query in one setting: its candidates' components and which candidates are relevant."""

    setting: str
    ids: np.ndarray
    components: dict[str, np.ndarray]
    relevant: np.ndarray  # bool per candidate
    ideal: float  # DCG@10 of a perfect ranking (relevant ones outside the candidates count too)

    def ndcg(self, weights: dict[str, float]) -> float:
        scores = np.zeros(len(self.ids))
        for name, value in weights.items():
            if value:
                scores += value * self.components[name]
        top = order(scores, self.ids)[:10]
        return float((self.relevant[top] * DISCOUNT[: len(top)]).sum() / self.ideal)


def examples(split: Split, engine: MatchEngine) -> list[Example]:
    """Both settings for every query, as the evaluation asks them (eval/engine.py)."""
    out = []
    for query in split.queries:
        for setting in ("new", "all"):
            relevant = relevant_of(query, setting)
            if not relevant:
                continue
            scored = candidates(engine, query, setting)
            if scored is None:
                continue
            out.append(
                Example(
                    setting=setting,
                    ids=scored.ids,
                    components=scored.components,
                    relevant=np.array([int(i) in relevant for i in scored.ids], dtype=np.float64),
                    ideal=float(DISCOUNT[: min(len(relevant), 10)].sum()),
                )
            )
    return out


def objective(data: list[Example], weights: dict[str, float]) -> dict[str, float]:
    """Mean nDCG@10 per setting and their mean (what the ascent maximises)."""
    out = {
        s: float(np.mean([e.ndcg(weights) for e in data if e.setting == s])) for s in ("new", "all")
    }
    out["mean"] = (out["new"] + out["all"]) / 2
    return out


def ascend(
    data: list[Example], weights: dict[str, float], rounds: int = 4
) -> tuple[dict[str, float], float]:
    """Coordinate ascent over FITTED; deterministic (fixed order, strict improvements only)."""
    best = objective(data, weights)["mean"]
    for round_ in range(rounds):
        moved = False
        for name in FITTED:
            current = weights[name]
            for value in [current * g for g in GRID] if current else list(START):
                trial = weights | {name: round(value, 4)}
                score = objective(data, trial)["mean"]
                if score > best + 1e-4:
                    best, weights, moved = score, trial, True
            log.info("round %d %s = %.4g: %.4f", round_, name, weights[name], best)
        if not moved:
            break
    return weights, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit", description=__doc__)
    parser.add_argument("--cutoff", type=date.fromisoformat, default=date(2023, 1, 1))
    parser.add_argument("--queries-before", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument(
        "--start",
        type=json.loads,
        default=None,
        metavar="JSON",
        help="Weights to start from, e.g. '{\"peers\": 0.5}' (default: the shipped ones)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from eval.__main__ import default_model

    settings = EvalSettings(eval_cutoff=args.cutoff, eval_queries_before=args.queries_before)
    started = time.monotonic()
    split = build_split(load_cordis(settings.cordis_dir), settings)
    encoder = CachingEncoder.configured(settings, settings.model or default_model())
    start = RankingWeights(**(RankingWeights().model_dump() | (args.start or {})))
    engine = build_engine(split, encoder, public_profiles(split), start)
    encoder.save()
    data = examples(split, engine)
    log.info("%d examples from %d training queries", len(data), len(split.queries))
    weights = {name: float(getattr(start, name)) for name in ("semantic", *FITTED)}
    before = objective(data, weights)
    fitted, _ = ascend(data, weights)
    after = objective(data, fitted)
    without = {name: objective(data, fitted | {name: 0.0}) for name in FITTED if fitted[name]}
    print(
        json.dumps(
            {
                "split": {
                    "cutoff": str(args.cutoff),
                    "queries_before": str(args.queries_before),
                    "profiles": len(split.profiles),
                    "queries": len(split.queries),
                },
                "start": before | {"weights": weights},
                "fitted": after | {"weights": fitted},
                "fitted, one weight at 0": without,
                "minutes": round((time.monotonic() - started) / 60, 1),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
