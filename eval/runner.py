"""Rank every query with every method under both settings and score the rankings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import ir_measures
import numpy as np
from ir_measures import RR, R, nDCG

from eval.dataset import Query, Split

DEPTH = 50
MEASURES = [nDCG @ 10, R @ 10, R @ 50, RR]
MEASURE_NAMES = dict(zip(map(str, MEASURES), ("nDCG@10", "R@10", "R@50", "MRR"), strict=True))
SETTINGS = ("new", "all")

# (query, setting) -> ranked profile ids, best first
Ranker = Callable[[Query, str], list[int]]


def excluded(split: Split, query: Query, setting: str) -> np.ndarray:
    """Mask over profile ids 1..N: the seeker, its NUTS-2 region, and (new) its known partners."""
    mask = np.zeros(len(split.profiles) + 1, dtype=bool)
    mask[0] = True
    mask[query.seeker] = True
    region = split.region2(query.seeker)
    if region is not None:
        mask[1:] |= split.regions2 == region
    if setting == "new":
        mask[list(query.known)] = True
    return mask


def score_ranker(split: Split, scores_of: Callable[[Query], np.ndarray]) -> Ranker:
    """A ranker from a method that scores every profile (array index = profile id - 1)."""
    masks: dict[tuple[str, str], np.ndarray] = {}

    def rank(query: Query, setting: str) -> list[int]:
        key = (query.project_id, setting)
        if key not in masks:
            masks[key] = excluded(split, query, setting)
        scores = np.concatenate([[-np.inf], scores_of(query)])
        scores = np.where(masks[key], -np.inf, scores)
        # Stable on ties: the lower id first, so every run is deterministic.
        top = np.lexsort((np.arange(len(scores)), -scores))[:DEPTH]
        return [int(i) for i in top if np.isfinite(scores[i])]

    return rank


Results = dict[tuple[str, str, str], dict[str, float]]


def evaluate(split: Split, rankers: dict[str, Ranker]) -> Results:
    """(method, setting, kind or 'all') -> measure -> value; also the query counts."""
    results: Results = {}
    for setting in SETTINGS:
        queries = [q for q in split.queries if (q.relevant_new if setting == "new" else q.relevant)]
        groups: dict[str, list[Query]] = defaultdict(list)
        for q in queries:
            groups["all"].append(q)
            groups[q.seeker_kind].append(q)
        for method, rank in rankers.items():
            runs = {q.project_id: rank(q, setting) for q in queries}
            for group, members in groups.items():
                qrels = [
                    ir_measures.Qrel(q.project_id, str(pid), 1)
                    for q in members
                    for pid in (q.relevant_new if setting == "new" else q.relevant)
                ]
                run = [
                    ir_measures.ScoredDoc(q.project_id, str(pid), float(DEPTH - r))
                    for q in members
                    for r, pid in enumerate(runs[q.project_id])
                ]
                values = ir_measures.calc_aggregate(MEASURES, qrels, run)
                row = {MEASURE_NAMES[str(m)]: float(values.get(m, 0.0)) for m in MEASURES}
                row["queries"] = float(len(members))
                results[(method, setting, group)] = row
    return results
