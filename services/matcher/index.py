"""The vector index: a small interface and its FAISS implementation.

Ids are int64; the matcher gives each passage the id `profile_id << 8 | passage_no`, so a
profile's passages are found and removed together. Inner product on L2-normalised vectors is
cosine similarity. Writes and searches are serialised by the caller (`MatchEngine`'s lock).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorIndex(Protocol):
    dimension: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def search(
        self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def vectors(self, ids: np.ndarray) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...

    def load(self, path: Path) -> None: ...

    def count(self) -> int: ...


class FaissIndex:
    """`IndexIDMap2` over exact inner product.

    Args:
        dimension: embedding width; vectors must be L2-normalised float32.
    """

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))))

    def search(
        self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; with `allowed`, only those ids are considered
        (the filter applies before the cut). Missing hits have id -1."""
        queries = np.ascontiguousarray(vectors, dtype=np.float32)
        k = max(1, min(k, self.count()))
        if allowed is None:
            return self._index.search(queries, k)
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        params = faiss.SearchParameters()
        params.sel = selector  # `selector` must outlive the search: it is referenced, not copied
        return self._index.search(queries, k, params=params)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._index.reconstruct_batch(ids)

    def save(self, path: Path) -> None:
        """Write atomically: a temporary file in the same directory, then a rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(fd)
        try:
            faiss.write_index(self._index, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def load(self, path: Path) -> None:
        index = faiss.read_index(str(path))
        if index.d != self.dimension:
            raise ValueError(f"index at {path} has dimension {index.d}, expected {self.dimension}")
        if not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"index at {path} is a {type(index).__name__}, expected IndexIDMap2")
        self._index = index

    def count(self) -> int:
        return int(self._index.ntotal)
