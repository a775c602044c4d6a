"""An Encoder that remembers embeddings on disk, keyed by model and text hash."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from services.matcher.embedding import Encoder

log = logging.getLogger("eval.cache")


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class CachingEncoder(Encoder):
    """Encoder whose `encode` only computes texts it has not seen (this run or a cached one)."""

    def __init__(self, model: str, cache_dir: Path) -> None:
        super().__init__(model)
        model_id = hashlib.blake2b(model.encode(), digest_size=8).hexdigest()
        self.path = cache_dir / f"embeddings-{model_id}.npz"
        self._vectors: dict[bytes, np.ndarray] = {}
        self._dirty = False
        if self.path.exists():
            with np.load(self.path) as stored:
                for key, vector in zip(stored["keys"], stored["vectors"], strict=True):
                    self._vectors[bytes(key)] = vector

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if todo:
            vectors = super().encode(list(todo.values()))
            self._vectors.update(zip(todo, vectors, strict=True))
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array([np.frombuffer(k, dtype=np.uint8) for k in self._vectors])
        np.savez(self.path, keys=keys, vectors=np.stack(list(self._vectors.values())))
        self._dirty = False
        log.info("cached %d embeddings in %s", len(self._vectors), self.path)
