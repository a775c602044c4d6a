"""The passage vectors candidates are scored on, each distinct text stored once.

Ranking scores every passage of every candidate (often a thousand candidates and tens of
thousands of passages); reading them back from an IVF index costs ~4 µs a vector. Here they sit
in one matrix, and profiles hold row numbers into it. Organisations that share texts (CORDIS
partners repeat their projects' texts: 292k passages, 59k distinct texts on the full set)
share rows, so the matrix holds each distinct text once.

Rows are float32 up to `compact_above` distinct texts (384 MB at 384 dimensions): numpy
converts float16 at ~1.5 ns a value on this hardware, which made the conversion the largest
single cost of a match (5 of 8 ms for ~10k candidate passages). Past that size the matrix turns
float16, half the memory, for the millions-of-passages case.
"""

from __future__ import annotations

import hashlib

import faiss
import numpy as np

__all__ = ["PassageStore"]


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class PassageStore:
    """Distinct passage texts → one row each, reference-counted.

    Not thread-safe: the engine calls it with its lock held.
    """

    def __init__(self, dimension: int, *, compact_above: int = 262_144) -> None:
        self.dimension = dimension
        self.compact_above = compact_above
        self._matrix = np.zeros((1024, dimension), dtype=np.float32)
        self._refs = np.zeros(1024, dtype=np.int64)
        self._rows: dict[bytes, int] = {}
        self._keys: dict[int, bytes] = {}
        self._free: list[int] = []
        self._used = 0

    def __len__(self) -> int:
        """Distinct texts held."""
        return len(self._rows)

    def add(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """Rows for these texts (a text already held keeps its row and vector); each call
        takes one reference per text, given back by `release`."""
        rows = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            key = _key(text)
            row = self._rows.get(key)
            if row is None:
                row = self._free.pop() if self._free else self._grow()
                self._rows[key] = row
                self._keys[row] = key
                self._matrix[row] = vectors[i]
            self._refs[row] += 1
            rows[i] = row
        return rows

    def restore(self, texts: list[str], vectors: np.ndarray, refs: np.ndarray) -> None:
        """Fill an empty store with distinct `texts` as rows 0..n-1 (a snapshot's), their
        `vectors` (taken as the matrix, not copied: fresh memory is slow to touch on a busy
        VM) and reference counts."""
        if self._used or len(texts) != len(vectors) or len(texts) != len(refs):
            raise ValueError("restore fills an empty store with one vector and count per text")
        capacity = len(self._refs)
        while capacity < len(texts):  # as if grown row by row: the same dtype as `add` gives
            capacity *= 2
        if capacity > self.compact_above:
            vectors = vectors.astype(np.float16)
        elif vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(texts):
            return
        self._matrix = vectors
        self._refs = np.asarray(refs, dtype=np.int64).copy()
        self._keys = {row: _key(text) for row, text in enumerate(texts)}
        self._rows = {key: row for row, key in self._keys.items()}
        self._used = len(texts)
        self._free = np.flatnonzero(self._refs == 0).tolist()
        for row in self._free:
            del self._rows[self._keys.pop(row)]

    def retain(self, rows: np.ndarray) -> np.ndarray:
        """One more reference to each of these rows (for a profile keeping its texts)."""
        np.add.at(self._refs, rows, 1)
        return rows

    def release(self, rows: np.ndarray) -> None:
        """Give back one reference per row; a row nobody refers to is freed."""
        for row in rows.tolist():
            self._refs[row] -= 1
            if self._refs[row] == 0:
                del self._rows[self._keys.pop(row)]
                self._free.append(row)

    def _grow(self) -> int:
        if self._used == len(self._refs):
            size = len(self._refs) * 2
            dtype = np.float16 if size > self.compact_above else self._matrix.dtype
            matrix = np.zeros((size, self.dimension), dtype=dtype)
            matrix[: self._used] = self._matrix[: self._used]
            refs = np.zeros(size, dtype=np.int64)
            refs[: self._used] = self._refs[: self._used]
            self._matrix, self._refs = matrix, refs
        self._used += 1
        return self._used - 1

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of these rows."""
        return self._matrix[rows].astype(np.float32, copy=False)

    def similarities(self, rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """(len(rows), len(queries)) inner products.

        float32 rows are read in place by FAISS (`fvec_inner_products_by_idx`): gathering
        ~12k candidate rows into a new matrix for a GEMM, after de-duplicating them, cost
        3.5 ms a match on the full CORDIS set, the dot products in place 1.4 ms. float16 rows
        are converted once per distinct row and multiplied."""
        if not len(rows) or not len(queries):
            return np.zeros((len(rows), len(queries)), dtype=np.float32)
        if self._matrix.dtype != np.float32:
            distinct, back = np.unique(rows, return_inverse=True)
            return (self.vectors(distinct) @ queries.T)[back]
        rows = np.asarray(rows, dtype=np.int64)
        if rows.min() < 0 or rows.max() >= self._used:  # FAISS would read out of bounds
            raise IndexError(f"passage store rows outside 0..{self._used - 1}")
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        ids = np.ascontiguousarray(np.tile(rows, len(queries)))
        out = np.empty((len(queries), len(rows)), dtype=np.float32)
        faiss.fvec_inner_products_by_idx(  # type: ignore[attr-defined]
            faiss.swig_ptr(out),
            faiss.swig_ptr(queries),
            faiss.swig_ptr(self._matrix),
            faiss.swig_ptr(ids),
            self.dimension,
            len(queries),
            len(rows),
        )
        return out.T
