"""The vector index: a small interface and its FAISS implementation.

Ids are int64 passage ids (`index.ids`), so a profile's passages are found and removed
together. Inner product on L2-normalised vectors is
cosine similarity. Writes and searches are serialised by the caller (`ProfileIndex`'s lock).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

__all__ = ["FaissIndex", "FrozenIndex", "Hits", "VectorIndex", "ivf_lists"]

Ids = np.ndarray | None  # int64 passage ids, or none given
Hits = tuple[np.ndarray, np.ndarray]  # (scores, ids), one row per query; missing hits: id -1


class VectorIndex(Protocol):
    dimension: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def search(
        self, vectors: np.ndarray, k: int, allowed: Ids = None, *, excluded: Ids = None
    ) -> Hits: ...

    def vectors(self, ids: np.ndarray) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...

    def load(self, path: Path) -> None: ...

    def count(self) -> int: ...


class FaissIndex:
    """Exact inner product (`IndexIDMap2` over a flat index) while small; past `ivf_threshold`
    vectors it is rebuilt once as `IVF{~sqrt(n)},SQ8` (4x less memory, a fraction of the scan).

    In IVF mode a search restricted to at most `exact_below` allowed ids stays exact (those
    vectors are scored directly), so narrow filters never lose hits to unprobed lists.

    Args:
        dimension: embedding width; vectors must be L2-normalised float32.
        ivf_threshold: vector count above which the index becomes IVF+SQ8 (0: never).
        nprobe: inverted lists scanned per IVF search (recall: docs/BENCHMARKS.md).
    """

    def __init__(
        self,
        dimension: int,
        *,
        ivf_threshold: int = 100_000,
        nprobe: int = 16,
        exact_below: int = 20_000,
    ) -> None:
        self.dimension = dimension
        self.ivf_threshold = ivf_threshold
        self.nprobe = nprobe
        self.exact_below = exact_below
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def emptied(self) -> FaissIndex:
        """A new, empty index with the same settings."""
        return FaissIndex(
            self.dimension,
            ivf_threshold=self.ivf_threshold,
            nprobe=self.nprobe,
            exact_below=self.exact_below,
        )

    @property
    def is_ivf(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        if not self.is_ivf and self.ivf_threshold and self.count() > self.ivf_threshold:
            self._to_ivf()

    def _to_ivf(self) -> None:
        count = self.count()
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = self._index.index.reconstruct_n(0, count)
        lists = ivf_lists(count)
        index: Any = faiss.index_factory(
            self.dimension, f"IVF{lists},SQ8", faiss.METRIC_INNER_PRODUCT
        )
        rng = np.random.default_rng(0)
        index.train(vectors[rng.choice(count, min(count, lists * 40), replace=False)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # reconstruct and remove by id
        index.add_with_ids(vectors, ids)
        self._index = index

    def remove(self, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        # An IVF direct map (hashtable) removes only by an explicit id array.
        selector = faiss.IDSelectorArray(ids) if self.is_ivf else faiss.IDSelectorBatch(ids)
        return int(self._index.remove_ids(selector))

    def search(
        self, vectors: np.ndarray, k: int, allowed: Ids = None, *, excluded: Ids = None
    ) -> Hits:
        """Top-k (scores, ids) per query row; with `allowed`, only those ids are considered, with
        `excluded`, all but those (the filter applies before the cut; pass whichever is
        shorter: the selector is built per search). Missing hits have id -1."""
        queries = np.ascontiguousarray(vectors, dtype=np.float32)
        k = max(1, min(k, self.count()))
        if self.is_ivf and allowed is not None and len(allowed) <= self.exact_below:
            return self._exact(queries, k, np.asarray(allowed, dtype=np.int64))
        params: Any = (
            faiss.SearchParametersIVF(nprobe=self.nprobe)  # type: ignore[call-arg]
            if self.is_ivf
            else faiss.SearchParameters()
        )
        if allowed is None and excluded is None:
            return self._index.search(queries, k, params=params)
        # Selectors are referenced, not copied: they must outlive the search.
        if allowed is not None:
            selector: Any = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params.sel = selector
            return self._index.search(queries, k, params=params)
        inner = faiss.IDSelectorBatch(np.asarray(excluded, dtype=np.int64))
        selector = faiss.IDSelectorNot(inner)
        params.sel = selector
        return self._index.search(queries, k, params=params)

    def _exact(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        found = np.full((len(queries), k), -1, dtype=np.int64)
        if not len(allowed):
            return scores, found
        sims = queries @ self.vectors(allowed).T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        n = top.shape[1]
        scores[:, :n] = np.take_along_axis(sims, top, axis=1)
        found[:, :n] = allowed[top]
        return scores, found

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._index.reconstruct_batch(ids)

    def save(self, path: Path) -> None:
        """Write atomically (see `FrozenIndex.save`)."""
        self.frozen().save(path)

    def frozen(self) -> FrozenIndex:
        """A serialised copy (a memory copy, fast): snapshots write it without holding up
        searches and writes while the file goes to disk."""
        return FrozenIndex(faiss.serialize_index(self._index), self.dimension, self.count())

    def load(self, path: Path) -> None:
        index = faiss.read_index(str(path))
        if index.d != self.dimension:
            raise ValueError(f"index at {path} has dimension {index.d}, expected {self.dimension}")
        if not isinstance(index, faiss.IndexIDMap2 | faiss.IndexIVF):
            raise ValueError(
                f"index at {path} is a {type(index).__name__}, expected IndexIDMap2 or IndexIVF"
            )
        self._index = index

    def count(self) -> int:
        return int(self._index.ntotal)


class FrozenIndex:
    """A serialised FAISS index that can be saved (what `snapshot.write` needs of an index)."""

    def __init__(self, blob: np.ndarray, dimension: int, count: int) -> None:
        self._blob = blob
        self.dimension = dimension
        self._count = count

    def count(self) -> int:
        return self._count

    def save(self, path: Path) -> None:
        """Write atomically: a temporary file in the same directory, then a rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self._blob.tobytes())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def ivf_lists(count: int) -> int:
    """Inverted lists for an IVF index over `count` vectors: a power of two near sqrt(count)."""
    return int(2 ** round(np.log2(max(count, 1) ** 0.5)))
