"""`python -m eval.fit`: fit the linear ranking weights on a *training* split, never the test one.

The training split has the same shape as the evaluation's but is earlier: profiles from projects
signed before `--cutoff` (default 2023-01-01), queries from projects signed from then until
`--queries-before` (default 2024-01-01, the earlier test cutoff), so no test query of either test
cutoff and nothing signed after them is seen. For every query, in every setting (new partners,
all partners, anonymous need) and both profile formats, the engine's candidates and their score
components are extracted once; then coordinate ascent (Metzler & Croft's, for linear rankers)
moves one weight at a time over a multiplicative grid and keeps a move when the mean nDCG@10
over the cells rises and no cell gives more than `FAIRNESS` times the real partners' share of
its top 10 to the 1% most active organisations (issue 16, item 4). Scores are the engine's own
`RankingWeights.combine` (the priors' bounded bonus included). The scale is anchored by
`semantic` = 1; `reciprocal` is left alone (CORDIS profiles have no needs). The result is printed;
the shipped defaults in `services/matcher/ranking/weights.py` are these values, rounded.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from eval.config import EvalSettings
from eval.dataset import Split, build_split, formatted
from eval.engine import (
    COMPONENTS,
    FEATURES,
    CachingEncoder,
    MatchEngine,
    RankingWeights,
    build_engine,
    candidates,
    capped,
    order,
    public_profiles,
)
from eval.runner import SETTINGS, excluded, most_active, real_share
from eval.runner import relevant as relevant_of
from services.profiles.cordis import load_cordis

log = logging.getLogger("eval.fit")

# Every component weight but the anchor (`semantic`) and `reciprocal` (CORDIS has no needs),
# then the priors' cap and the activity scale.
FITTED = (
    *(c for c in COMPONENTS if c not in ("semantic", "reciprocal")),
    "prior_cap",
    "activity_scale",
)
GRID = (0.5, 0.7, 0.85, 1.2, 1.4, 2.0)
START = (0.05, 0.1, 0.2, 0.4)  # tried for a weight at 0
FAIRNESS = 1.5  # most a cell's top-10 share of the 1% most active, over the real partners' share
DISCOUNT = 1.0 / np.log2(np.arange(2, 12))
PARTNERSHIPS = FEATURES.index("partnerships")  # log(1 + corroborated partnerships)


@dataclass
class Example:
    """One query in one setting and profile format: its candidates' components (their raw
    corroborated partnerships too, so `activity_scale` can move), which are relevant, which
    are among the 1% most active."""

    cell: tuple[str, str]  # (format, setting)
    ids: np.ndarray
    components: dict[str, np.ndarray]
    partnerships: np.ndarray
    relevant: np.ndarray  # bool per candidate
    hubs: np.ndarray  # bool per candidate
    ideal: float  # DCG@10 of a perfect ranking (relevant ones outside the candidates count too)

    def top10(self, weights: RankingWeights) -> np.ndarray:
        components = self.components | {
            "activity": capped(self.partnerships, weights.activity_scale)
        }
        return order(weights.combine(components), self.ids)[:10]

    def measure(self, weights: RankingWeights) -> tuple[float, float]:
        """nDCG@10 and the share of the top 10 taken by the 1% most active."""
        top = self.top10(weights)
        ndcg = float((self.relevant[top] * DISCOUNT[: len(top)]).sum() / self.ideal)
        return ndcg, float(self.hubs[top].mean()) if len(top) else 0.0


def examples(split: Split, engine: MatchEngine, fmt: str) -> list[Example]:
    """Every setting for every query, as the evaluation asks them (eval/engine.py) and with the
    evaluation's exclusions (eval/runner.py `excluded`)."""
    hubs = most_active(split)
    out = []
    for query in split.queries:
        for setting in SETTINGS:
            relevant = relevant_of(query, setting)
            found = candidates(engine, query, setting) if relevant else None
            if found is None:
                continue
            keep = ~excluded(split, query, setting)[found.ids]
            ids = found.ids[keep]
            out.append(
                Example(
                    cell=(fmt, setting),
                    ids=ids,
                    components={k: v[keep] for k, v in found.components.items()},
                    partnerships=np.expm1(
                        found.features[keep, PARTNERSHIPS].astype(np.float64)
                    ).round(),
                    relevant=np.array([int(i) in relevant for i in ids], dtype=np.float64),
                    hubs=np.array([int(i) in hubs for i in ids], dtype=bool),
                    ideal=float(DISCOUNT[: min(len(relevant), 10)].sum()),
                )
            )
    return out


def objective(
    data: list[Example], weights: dict[str, float], bounds: dict[str, float]
) -> dict[str, Any]:
    """Mean nDCG@10 per cell, per setting (over formats) and over all cells; `fair` is 0.0 when
    a cell's top-10 share of the most active exceeds its bound."""
    w = RankingWeights(**(RankingWeights().model_dump() | weights))
    cells: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for e in data:
        cells.setdefault(e.cell, []).append(e.measure(w))
    ndcg = {cell: float(np.mean([m[0] for m in v])) for cell, v in cells.items()}
    share = {cell: float(np.mean([m[1] for m in v])) for cell, v in cells.items()}
    out: dict[str, Any] = {
        s: float(np.mean([v for (_, setting), v in ndcg.items() if setting == s]))
        for s in SETTINGS
        if any(setting == s for _, setting in ndcg)
    }
    out["mean"] = float(np.mean(list(ndcg.values()))) if ndcg else 0.0
    out["fair"] = all(share[c] <= FAIRNESS * _bound(bounds, c[1]) + 1e-9 for c in share)
    out["top1_share"] = {f"{f}/{s}": round(v, 3) for (f, s), v in sorted(share.items())}
    return out


def _bound(bounds: dict[str, float], setting: str) -> float:
    """The real partners' share of the most active (1.0, no bound, where it is unknown)."""
    value = bounds.get(setting, float("nan"))
    return value if np.isfinite(value) else 1.0


def ascend(
    data: list[Example], weights: dict[str, float], bounds: dict[str, float], rounds: int = 4
) -> tuple[dict[str, float], float]:
    """Coordinate ascent over FITTED; deterministic (fixed order, strict improvements only, a
    move that breaks the fairness bound is never taken)."""
    best = objective(data, weights, bounds)["mean"]
    for round_ in range(rounds):
        moved = False
        for name in FITTED:
            current = weights[name]
            for value in [current * g for g in GRID] if current else list(START):
                if name == "activity_scale" and value <= 1:
                    continue
                trial = weights | {name: round(value, 4)}
                score = objective(data, trial, bounds)
                if score["fair"] and score["mean"] > best + 1e-4:
                    best, weights, moved = score["mean"], trial, True
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
    hubs = most_active(split)
    bounds = {s: real_share(split, s, hubs) for s in SETTINGS}
    data: list[Example] = []
    for fmt in settings.eval_formats:
        view = formatted(split, fmt)
        engine = build_engine(view, encoder, public_profiles(view), start)
        encoder.save()
        data += examples(view, engine, fmt)
        del engine
    log.info("%d examples from %d training queries", len(data), len(split.queries))
    weights = {name: float(getattr(start, name)) for name in ("semantic", *FITTED)}
    before = objective(data, weights, bounds)
    fitted, _ = ascend(data, weights, bounds)
    after = objective(data, fitted, bounds)
    without = {
        name: objective(data, fitted | {name: 0.0}, bounds)["mean"]
        for name in FITTED
        if fitted[name] and name not in ("prior_cap", "activity_scale")
    }
    print(
        json.dumps(
            {
                "split": {
                    "cutoff": str(args.cutoff),
                    "queries_before": str(args.queries_before),
                    "profiles": len(split.profiles),
                    "queries": len(split.queries),
                    "formats": list(settings.eval_formats),
                    "real_top1_share": {s: round(v, 3) for s, v in bounds.items()},
                },
                "start": before | {"weights": weights},
                "fitted": after | {"weights": fitted},
                "fitted, one weight at 0 (mean)": without,
                "minutes": round((time.monotonic() - started) / 60, 1),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
