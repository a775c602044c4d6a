"""Embeddings remembered on disk, keyed by model and text hash.

`VectorCache` is the store; `CachingEncoder` (in eval/engine.py, the one module that imports
the matcher) is the matcher's Encoder answering from it. `from eval.cache import CachingEncoder`
still works."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("eval.cache")


def key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class VectorCache:
    """text hash -> vector, loaded from and saved to one .npz file per model."""

    def __init__(self, model: str, cache_dir: Path) -> None:
        model_id = hashlib.blake2b(model.encode(), digest_size=8).hexdigest()
        self.path = cache_dir / f"embeddings-{model_id}.npz"
        self.vectors: dict[bytes, np.ndarray] = {}
        self._dirty = False
        if self.path.exists():
            with np.load(self.path) as stored:
                for k, vector in zip(stored["keys"], stored["vectors"], strict=True):
                    self.vectors[bytes(k)] = vector

    def update(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self.vectors.update(zip(keys, vectors, strict=True))
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array([np.frombuffer(k, dtype=np.uint8) for k in self.vectors])
        np.savez(self.path, keys=keys, vectors=np.stack(list(self.vectors.values())))
        self._dirty = False
        log.info("cached %d embeddings in %s", len(self.vectors), self.path)


def __getattr__(name: str) -> Any:
    if name == "CachingEncoder":  # lazily: eval.engine imports this module
        from eval.engine import CachingEncoder

        return CachingEncoder
    raise AttributeError(name)
