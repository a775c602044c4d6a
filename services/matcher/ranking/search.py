"""Dense retrieval: the best passages of the profiles a filter lets through, and the best
profiles among those hits."""

from __future__ import annotations

import numpy as np

from services.matcher.index import Corpus, VectorIndex
from services.matcher.index.ids import profile_ids
from services.matcher.ranking.weights import order

__all__ = ["best_profiles", "search"]


def search(
    index: VectorIndex, vectors: np.ndarray, corpus: Corpus, mask: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The top-k passages (scores, ids; one row per query vector) of the profiles in the
    mask."""
    if not len(vectors) or not index.count():
        empty = np.zeros((len(vectors), 0))
        return empty.astype(np.float32), empty.astype(np.int64)
    passes = mask[corpus.passage_rows]
    if passes.all():
        return index.search(vectors, k)
    if passes.sum() * 2 <= len(passes):
        return index.search(vectors, k, corpus.passage_ids[passes])
    # a few excluded (the seeker's region, its partners): name those instead
    return index.search(vectors, k, excluded=corpus.passage_ids[~passes])


def best_profiles(scores: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """The n profiles with the best passages among these hits (ties by id)."""
    scores, ids = scores.ravel(), ids.ravel()
    hit = ids >= 0
    scores, found = scores[hit], profile_ids(ids[hit])
    best = order(scores, found)
    found, first = np.unique(found[best], return_index=True)
    top = order(scores[best][first], found)[:n]
    return found[top]
