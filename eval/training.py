"""The training side of one test cutoff: its training split (a year before), the fusion
baseline's weights per profile format and the learning-to-rank model, cached on disk so a
second `make eval` skips them."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import lightgbm as lgb

from eval import ltr
from eval.baselines import BM25, Dense, Fusion
from eval.config import EvalSettings, training_cutoff
from eval.dataset import Split, build_split, formatted
from eval.engine import FEATURES, CachingEncoder, RankingWeights, build_engine
from services.profiles.cordis import CordisData

log = logging.getLogger("eval.training")
VERSION = 3  # bump when what is trained changes, so cached results are not reused


@dataclass
class Trained:
    train_cutoff: date
    fusion: dict[str, dict[str, Any]]  # format -> {"weights": [bm25, dense, activity], "ndcg"}
    booster: lgb.Booster | None  # None: no training query had a relevant candidate
    report: dict[str, Any]
    calibration: dict[str, list[float]] | None = None  # eval.ltr.calibration's knots


def training_split(data: CordisData, settings: EvalSettings, cutoff: date) -> Split:
    """Profiles before the training cutoff, queries signed from then until the test cutoff."""
    start = training_cutoff(cutoff)
    return build_split(
        data, settings, cutoff=start, queries_before=cutoff, queries=settings.eval_train_queries
    )


def _key(settings: EvalSettings, cutoff: date, encoder: CachingEncoder) -> str:
    described = {
        "version": VERSION,
        "cutoff": str(cutoff),
        "model": encoder.name if hasattr(encoder, "name") else "",
        "features": list(FEATURES),
        "weights": RankingWeights().model_dump(),
        "params": ltr.PARAMS,
    } | settings.model_dump(
        mode="json",
        include={
            "eval_pool",
            "eval_train_queries",
            "eval_seed",
            "eval_formats",
            "eval_description_chars",
            "eval_offers",
            "eval_keywords",
        },
    )
    return hashlib.blake2b(
        json.dumps(described, sort_keys=True).encode(), digest_size=8
    ).hexdigest()


def trained(
    data: CordisData, settings: EvalSettings, cutoff: date, encoder: CachingEncoder
) -> Trained:
    stem = settings.cache_dir / f"train-{cutoff}-{_key(settings, cutoff, encoder)}"
    meta_path, model_path = stem.with_suffix(".json"), stem.with_suffix(".txt")
    if meta_path.exists() and model_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        log.info("training for %s from the cache (%s)", cutoff, meta_path.name)
        booster = lgb.Booster(model_file=str(model_path))
        return Trained(
            date.fromisoformat(meta["train_cutoff"]),
            meta["fusion"],
            booster,
            meta["report"],
            meta.get("calibration"),
        )
    split = training_split(data, settings, cutoff)
    log.info(
        "training split for %s: %d profiles, %d queries",
        cutoff,
        len(split.profiles),
        len(split.queries),
    )
    fusion: dict[str, dict[str, Any]] = {}
    groups: list[ltr.Group] = []
    for fmt in settings.eval_formats:
        view = formatted(split, fmt)
        dense = Dense(view, encoder)
        encoder.save()
        weights, score = Fusion(view, BM25(view), dense).fit()
        fusion[fmt] = {"weights": list(weights), "ndcg": round(score, 4)}
        log.info("fusion weights (%s, training): %s, nDCG@10 %.4f", fmt, weights, score)
        engine = build_engine(view, encoder)
        encoder.save()
        groups += ltr.groups(view, engine, fmt)
        encoder.save()
        del engine
    start = training_cutoff(cutoff)
    if not any(g.labels.any() for g in groups):
        log.warning("no training query for %s has a relevant candidate: no learned ranker", cutoff)
        return Trained(start, fusion, None, {"queries": len(split.queries)})
    booster, report = ltr.train(groups, settings.eval_seed)
    report["profiles"] = len(split.profiles)
    calibrated = ltr.calibration(groups, booster)
    log.info("learning to rank for %s: %s", cutoff, json.dumps(report))
    stem.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_path), num_iteration=booster.best_iteration or None)
    meta_path.write_text(
        json.dumps(
            {"train_cutoff": str(start), "fusion": fusion, "report": report}
            | {"calibration": calibrated},
            indent=2,
        ),
        encoding="utf-8",
    )
    return Trained(start, fusion, lgb.Booster(model_file=str(model_path)), report, calibrated)
