"""Baselines scored over the whole index: BM25, popularity, plain dense (FAISS flat)."""

from __future__ import annotations

import bm25s
import faiss
import numpy as np

from eval.cache import CachingEncoder
from eval.dataset import Query, Split


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
        # so the embedding cache serves both.
        texts = [(encoder.split(r["description"]) or [r["name"]])[0] for r in split.profiles]
        vectors = encoder.encode(texts)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)

    def scores(self, query: Query) -> np.ndarray:
        vector = self._encoder.encode([self._encoder.split(query.text)[0]])
        n = self._index.ntotal
        distances, ids = self._index.search(vector, n)
        out = np.full(n, -np.inf)
        out[ids[0]] = distances[0]
        return out
