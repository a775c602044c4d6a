"""`python -m eval.ltr`: learn to rank crosslink's candidates (LightGBM `lambdarank`) on the
training splits only, and write the model the matcher loads.

For each test cutoff the training split is the one a year before it (eval/training.py):
profiles from projects signed before the training cutoff, queries from projects signed between
the training cutoff and the test cutoff, never a test query. Every training query is asked in
every setting (new partners, all partners, anonymous need) and every profile format, and the
engine's candidates with their features are the rows: the matcher's own `FEATURE_NAMES`, computed
by `MatchEngine.candidate_set` (the code path of `candidate_features` and of serving), so the
model written here is scored on exactly what it was trained on. Label 1 for
a relevant partner among the candidates, 0 otherwise (binary: in the new-partner setting only
new partners are relevant anyway). A fifth of the training queries (seeded) is held out for
early stopping. The model of the latest cutoff is written, as LightGBM text, with a manifest,
to `services/matcher/ranking/model/`.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from eval.config import ROOT, EvalSettings
from eval.dataset import Split
from eval.engine import (
    FEATURES,
    Candidates,
    MatchEngine,
    RankingWeights,
    candidates,
    encoder_label,
)
from eval.runner import SETTINGS, ndcg10, queries_of, relevant

log = logging.getLogger("eval.ltr")

MODEL_DIR = ROOT / "services" / "matcher" / "ranking" / "model"
MODEL_FILE = "model.txt"  # the names services/matcher/ranking/learned.py loads
MANIFEST_FILE = "manifest.json"
PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
    "feature_fraction": 0.9,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 400
PATIENCE = 30
HELD_OUT = 0.2
CALIBRATION_TOP = 50  # the candidates per query whose scores the calibration matches
CALIBRATION_POINTS = 41  # knots: every 2.5th percentile


@dataclass
class Group:
    """One training query in one setting and format: its candidates and labels."""

    query: str  # project id
    setting: str
    features: np.ndarray
    ids: np.ndarray
    labels: np.ndarray
    wanted: set[int]
    linear: np.ndarray  # the shipped linear weights' scores, for comparison


def groups(split: Split, engine: MatchEngine, fmt: str) -> list[Group]:
    """Every query of the (training) split in every setting."""
    out = []
    weights = engine.weights
    for setting in SETTINGS:
        for query in queries_of(split, setting):
            found: Candidates | None = candidates(engine, query, setting)
            if found is None:
                continue
            wanted = relevant(query, setting)
            out.append(
                Group(
                    query=f"{fmt}:{query.project_id}",
                    setting=setting,
                    features=found.features,
                    ids=found.ids,
                    labels=np.isin(found.ids, list(wanted)).astype(np.float64),
                    wanted=wanted,
                    linear=found.linear(weights),
                )
            )
    return out


def _ranked(scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return ids[np.lexsort((ids, -scores))][:10]


def mean_ndcg(data: list[Group], scores: list[np.ndarray]) -> dict[str, float]:
    """nDCG@10 per setting (the ideal counts relevant partners outside the candidates too)."""
    per: dict[str, list[float]] = {s: [] for s in SETTINGS}
    for g, s in zip(data, scores, strict=True):
        per[g.setting].append(ndcg10(_ranked(s, g.ids), g.wanted))
    out = {s: round(float(np.mean(v)), 4) for s, v in per.items() if v}
    out["mean"] = round(float(np.mean(list(out.values()))), 4) if out else 0.0
    return out


def held_out(data: list[Group], seed: int) -> set[str]:
    """A seeded fifth of the training queries (the same project in every setting and format)."""
    projects = sorted({g.query.split(":", 1)[1] for g in data})
    if len(projects) < 5:
        return set()
    random.Random(seed).shuffle(projects)
    return set(projects[: max(1, int(len(projects) * HELD_OUT))])


def _dataset(data: list[Group], reference: lgb.Dataset | None = None) -> lgb.Dataset:
    useful = [g for g in data if g.labels.any()]  # a group without a positive has no gradient
    return lgb.Dataset(
        np.vstack([g.features for g in useful]),
        label=np.concatenate([g.labels for g in useful]),
        group=[len(g.ids) for g in useful],
        feature_name=list(FEATURES),
        reference=reference,
        free_raw_data=False,
    )


def train(data: list[Group], seed: int = 7) -> tuple[lgb.Booster, dict[str, Any]]:
    """A lambdarank model with early stopping on the held-out queries, and its training nDCG
    (the fitted part and the held-out part) next to the linear weights'."""
    if not any(g.labels.any() for g in data):
        raise ValueError("no training query has a relevant partner among its candidates")
    hold = held_out(data, seed)
    fit = [g for g in data if g.query.split(":", 1)[1] not in hold]
    valid = [g for g in data if g.query.split(":", 1)[1] in hold]
    params = PARAMS | {"seed": seed}
    train_set = _dataset(fit)
    if any(g.labels.any() for g in valid):
        valid_set = _dataset(valid, train_set)
        booster = lgb.train(
            params,
            train_set,
            ROUNDS,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
        )
    else:
        booster = lgb.train(params, train_set, 50)
    report: dict[str, Any] = {
        "queries": len({g.query.split(":", 1)[1] for g in data}),
        "held_out_queries": len(hold),
        "groups": len(data),
        "rows": int(sum(len(g.ids) for g in data)),
        "trees": booster.num_trees(),
        "best_iteration": booster.best_iteration,
    }
    for name, part in (("fitted", fit), ("held_out", valid)):
        if part:
            report[f"ndcg10_{name}"] = mean_ndcg(part, [predict(booster, g.features) for g in part])
            report[f"ndcg10_{name}_linear"] = mean_ndcg(part, [g.linear for g in part])
    return booster, report


def calibration(data: list[Group], booster: lgb.Booster) -> dict[str, list[float]]:
    """Knots mapping the model's raw score onto the linear weights' score scale (the
    manifest's `calibration`, applied by services/matcher/ranking/learned.py `Calibration`).

    Quantile matching over what users see: the raw scores of each training query's top
    `CALIBRATION_TOP` candidates by the model against the linear scores of its top
    `CALIBRATION_TOP` by the linear weights, at `CALIBRATION_POINTS` quantiles. Both are made
    strictly increasing (repeated knots dropped), so the map keeps the model's order."""
    raw_top, linear_top = [], []
    for g in data:
        k = min(CALIBRATION_TOP, len(g.ids))
        if k:
            raw_top.append(np.sort(predict(booster, g.features))[-k:])
            linear_top.append(np.sort(g.linear)[-k:])
    levels = np.linspace(0.0, 1.0, CALIBRATION_POINTS)
    raw = np.quantile(np.concatenate(raw_top), levels)
    score = np.quantile(np.concatenate(linear_top), levels)
    knots = [(raw[0], score[0])]
    for r, v in zip(raw[1:], score[1:], strict=True):
        if r > knots[-1][0] + 1e-6 and v > knots[-1][1] + 1e-6:
            knots.append((r, v))
    raw, score = np.array([r for r, _ in knots]), np.array([v for _, v in knots])
    return {"raw": [round(float(v), 6) for v in raw], "score": [round(float(v), 6) for v in score]}


def predict(booster: lgb.Booster, features: np.ndarray) -> np.ndarray:
    best = booster.best_iteration or None
    return np.asarray(booster.predict(features, num_iteration=best), dtype=np.float64)


def scorer(booster: lgb.Booster) -> Any:
    """A scorer for eval/engine.py `EngineRuns`: the model's score per candidate."""
    return lambda found: predict(booster, found.features)


def manifest(
    report: dict[str, Any],
    encoder: str,
    cutoffs: list[tuple[date, date]],
    settings: EvalSettings,
    package: str = "",
    calibrated: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """What the matcher checks before loading the model (`features` = its FEATURE_NAMES in
    order, `encoder` = `encoder_label` of the encoder it runs) and how the model was made.

    Args:
        encoder: the training encoder's name (`Encoder.name`); written as its label.
        package: a human-readable name of the encoder (eval/__main__.py `encoder_name`).
    """
    pool = settings.eval_pool or "all"
    return {
        "format": "lightgbm text",
        "model_file": MODEL_FILE,
        "objective": "lambdarank",
        "features": list(FEATURES),
        "encoder": encoder_label(encoder),
        "encoder_package": package,
        "trained_on": ", ".join(
            f"CORDIS profiles before {train}, queries {train} to {test} (pool {pool})"
            for train, test in cutoffs
        ),
        "linear_weights": RankingWeights().model_dump(),
        "training": [
            {"profiles_before": str(train), "queries_from": str(train), "queries_before": str(test)}
            for train, test in cutoffs
        ],
        "pool": pool,
        "train_queries": settings.eval_train_queries,
        "formats": settings.eval_formats,
        "settings": list(SETTINGS),
        "labels": "1 = a relevant partner among the candidates, 0 = not",
        "seed": settings.eval_seed,
        "params": PARAMS | {"rounds": ROUNDS, "early_stopping": PATIENCE},
        "date": date.today().isoformat(),
        "training_ndcg": report,
    } | ({"calibration": calibrated} if calibrated else {})


def write(booster: lgb.Booster, meta: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    booster.save_model(str(path), num_iteration=booster.best_iteration or None)
    (directory / MANIFEST_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    from eval.__main__ import configure, default_model, encoder_name
    from eval.training import trained

    parser = argparse.ArgumentParser(prog="python -m eval.ltr", description=__doc__)
    parser.add_argument("--cutoff", type=date.fromisoformat, default=None, help="Test cutoff")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="Where the model goes")
    parser.add_argument("--quick", action="store_true", help="A small pool and few queries")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = configure(EvalSettings(), args.quick)
    cutoff = args.cutoff or max(settings.eval_cutoffs)
    from eval.engine import CachingEncoder
    from services.profiles.cordis import load_cordis

    encoder = CachingEncoder.configured(settings, settings.model or default_model())
    result = trained(load_cordis(settings.cordis_dir), settings, cutoff, encoder)
    if result.booster is None:
        print(f"error: no training query before {cutoff} has a relevant candidate", file=sys.stderr)
        return 1
    meta = manifest(
        result.report,
        encoder.name,
        [(result.train_cutoff, cutoff)],
        settings,
        encoder_name(settings.model),
        result.calibration,
    )
    path = write(result.booster, meta, args.out)
    print(json.dumps({"model": str(path.name), "fusion": result.fusion} | result.report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
