"""Baselines scored over the whole index: BM25, popularity, plain dense (FAISS flat), and the
z-score fusion of BM25 + dense + log(1 + activity) with weights fitted on a training split."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import bm25s
import faiss
import numpy as np

from eval.dataset import Query, Split
from eval.runner import SETTINGS, Ranker, excluded, ndcg10, queries_of, relevant, top

if TYPE_CHECKING:
    from eval.engine import CachingEncoder


def profile_text(record: dict) -> str:
    return "\n".join(
        [record["name"], record["description"], *record["offers"], ", ".join(record["keywords"])]
    )


class BM25:
    name = "bm25"

    def __init__(self, split: Split) -> None:
        self._model = bm25s.BM25()
        corpus = [profile_text(r) for r in split.profiles]
        self._model.index(
            bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False
        )

    def scores(self, query: Query) -> np.ndarray:
        tokens = bm25s.tokenize([query.text], stopwords="en", show_progress=False)
        vocab = {v: k for k, v in tokens.vocab.items()}
        words = [vocab[i] for i in tokens.ids[0]]
        return np.asarray(self._model.get_scores(words), dtype=np.float64)


class Popularity:
    """The most active organisations (projects before the cutoff), whatever the need."""

    name = "popularity"

    def __init__(self, split: Split) -> None:
        self._activity = np.asarray(split.activity, dtype=np.float64)

    def scores(self, query: Query) -> np.ndarray:
        return self._activity


class Dense:
    """Cosine between the query and the profile text, one vector each (the model's window)."""

    name = "dense"

    def __init__(self, split: Split, encoder: CachingEncoder) -> None:
        self._encoder = encoder
        # The first window of the description: the same text the engine's first passage has,
        # so the embedding cache serves both (with the model's passage and query prompts, e5's
        # `passage: ` / `query: `, as the engine embeds them).
        texts = [(encoder.split(r["description"]) or [r["name"]])[0] for r in split.profiles]
        vectors = encoder.encode_passages(texts)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)

    def scores(self, query: Query) -> np.ndarray:
        vector = self._encoder.encode_queries([self._encoder.split(query.text)[0]])
        n = self._index.ntotal
        distances, ids = self._index.search(vector, n)
        out = np.full(n, -np.inf)
        out[ids[0]] = distances[0]
        return out


FUSION_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)
Weights = tuple[float, float, float]  # bm25, dense, log(1 + activity)


class Fusion:
    """z-score fusion: each of BM25, dense and log(1 + activity) is z-normalised over the query's
    candidate pool (every profile the setting does not exclude), then weighted and summed."""

    name = "fusion"

    def __init__(self, split: Split, bm25: BM25, dense: Dense) -> None:
        self.split, self._bm25, self._dense = split, bm25, dense
        self._activity = np.log1p(np.asarray(split.activity, dtype=np.float64))

    def parts(self, query: Query, mask: np.ndarray) -> np.ndarray:
        """3 x (N + 1) z-scores (index = profile id; excluded ids get -inf later)."""
        out = np.zeros((3, len(self.split.profiles) + 1))
        pool = ~mask[1:]
        for row, values in enumerate(
            (self._bm25.scores(query), self._dense.scores(query), self._activity)
        ):
            inside = values[pool]
            std = float(inside.std()) if len(inside) else 0.0
            if std > 0:
                out[row, 1:] = (values - float(inside.mean())) / std
        return out

    def ranker(self, weights: Weights) -> Ranker:
        w = np.asarray(weights)[:, None]

        def rank(query: Query, setting: str) -> list[int]:
            mask = excluded(self.split, query, setting)
            return top((w * self.parts(query, mask)).sum(axis=0), mask)

        return rank

    def fit(self, grid: tuple[float, ...] = FUSION_GRID) -> tuple[Weights, float]:
        """The grid point with the best mean nDCG@10 over the settings on this (training) split;
        ties keep the first point in grid order, so the fit is deterministic."""
        points = [p for p in itertools.product(grid, repeat=3) if any(p)]
        w = np.asarray(points)  # points x 3
        totals = {s: np.zeros(len(points)) for s in SETTINGS}
        counts = dict.fromkeys(SETTINGS, 0)
        for setting in SETTINGS:
            for query in queries_of(self.split, setting):
                mask = excluded(self.split, query, setting)
                parts = self.parts(query, mask)
                wanted = relevant(query, setting)
                counts[setting] += 1
                for j, scores in enumerate(w @ parts):
                    scores[mask] = -np.inf
                    best = np.argpartition(-scores, 10)[:10] if len(scores) > 10 else None
                    if best is None:
                        best = np.arange(len(scores))
                    best = best[np.lexsort((best, -scores[best]))]
                    totals[setting][j] += ndcg10(best[np.isfinite(scores[best])], wanted)
        means = [totals[s] / counts[s] for s in SETTINGS if counts[s]]
        if not means:  # no training query: equal weights
            return (1.0, 1.0, 1.0), 0.0
        score = np.mean(means, axis=0)
        j = int(np.argmax(score))  # the first best point
        return tuple(float(x) for x in points[j]), float(score[j])  # type: ignore[return-value]
