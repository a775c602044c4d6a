"""Rank every query with every method under each setting and score the rankings.

Settings: `new` (seeker known, its known partners excluded, relevant = new partners), `all`
(seeker known, every co-beneficiary relevant) and `anon` (an anonymous need: no seeker, only the
text and its NUTS-2 region excluded, relevant = every co-beneficiary outside that region)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import ir_measures
import numpy as np
from ir_measures import RR, R, nDCG

from eval.dataset import Query, Split

DEPTH = 50
MEASURES = [nDCG @ 10, R @ 10, R @ 50, RR]
MEASURE_NAMES = dict(zip(map(str, MEASURES), ("nDCG@10", "R@10", "R@50", "MRR"), strict=True))
SETTINGS = ("new", "all", "anon")
TITLES = {"new": "new partners", "all": "all partners", "anon": "anonymous need"}
DISCOUNT = 1.0 / np.log2(np.arange(2, 12))

# (query, setting) -> ranked profile ids, best first
Ranker = Callable[[Query, str], list[int]]


def relevant(query: Query, setting: str) -> set[int]:
    return query.relevant_new if setting == "new" else query.relevant


def queries_of(split: Split, setting: str) -> list[Query]:
    return [q for q in split.queries if relevant(q, setting)]


def excluded(split: Split, query: Query, setting: str) -> np.ndarray:
    """Mask over profile ids 0..N (0 is no profile): the seeker, its NUTS-2 region, and (new)
    its known partners. The same for every method."""
    mask = np.zeros(len(split.profiles) + 1, dtype=bool)
    mask[0] = True
    mask[query.seeker] = True
    region = split.region2(query.seeker)
    if region is not None:
        mask[1:] |= split.regions2 == region
    if setting == "new":
        mask[list(query.known)] = True
    return mask


def top(scores: np.ndarray, mask: np.ndarray, n: int = DEPTH) -> list[int]:
    """Ids (index of `scores`, 0 = none) of the n best scores outside the mask; ties by id."""
    scores = np.where(mask, -np.inf, scores)
    best = np.lexsort((np.arange(len(scores)), -scores))[:n]
    return [int(i) for i in best if np.isfinite(scores[i])]


def score_ranker(split: Split, scores_of: Callable[[Query], np.ndarray]) -> Ranker:
    """A ranker from a method that scores every profile (array index = profile id - 1)."""
    masks: dict[tuple[str, str], np.ndarray] = {}

    def rank(query: Query, setting: str) -> list[int]:
        key = (query.project_id, setting)
        if key not in masks:
            masks[key] = excluded(split, query, setting)
        return top(np.concatenate([[-np.inf], scores_of(query)]), masks[key])

    return rank


def ndcg10(ranked: list[int] | np.ndarray, wanted: set[int]) -> float:
    """Binary nDCG@10 (the ideal counts every relevant partner, ranked or not)."""
    if not wanted:
        return 0.0
    gains = np.array([int(i) in wanted for i in list(ranked)[:10]], dtype=np.float64)
    return float((gains * DISCOUNT[: len(gains)]).sum() / DISCOUNT[: min(len(wanted), 10)].sum())


def most_active(split: Split, share: float = 0.01) -> set[int]:
    """Ids of the `share` most active organisations in the index (ties by id)."""
    n = max(1, math.ceil(share * len(split.profiles)))
    activity = np.asarray(split.activity)
    ranked = np.lexsort((np.arange(len(activity)), -activity))[:n]
    return {int(i) + 1 for i in ranked}


def real_share(split: Split, setting: str, hubs: set[int]) -> float:
    """Share of the relevant partners (over all queries of the setting) that are hubs."""
    wanted = [pid for q in queries_of(split, setting) for pid in relevant(q, setting)]
    return sum(pid in hubs for pid in wanted) / len(wanted) if wanted else float("nan")


Results = dict[tuple[str, str, str], dict[str, float]]


def evaluate(
    split: Split, rankers: dict[str, Ranker], settings: tuple[str, ...] = SETTINGS
) -> Results:
    """(method, setting, kind or 'all') -> measure -> value; also the query counts and, for
    'all', `top1%`: the share of the top-10 slots taken by the 1% most active organisations."""
    results: Results = {}
    hubs = most_active(split)
    for setting in settings:
        queries = queries_of(split, setting)
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
                    for pid in relevant(q, setting)
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
            slots = [pid for q in queries for pid in runs[q.project_id][:10]]
            share = sum(pid in hubs for pid in slots) / len(slots) if slots else float("nan")
            if (method, setting, "all") in results:
                results[(method, setting, "all")]["top1%"] = share
    return results
