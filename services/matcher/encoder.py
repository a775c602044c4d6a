"""Sentence embeddings and the passages they are computed on.

A profile is split into passages (description in window-sized chunks, each offer, each need,
the keywords) so that nothing beyond the model's window is silently truncated; queries likewise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.profiles import ProfilePublic

log = logging.getLogger("crosslink.matcher.encoder")

Field = Literal["description", "offer", "need", "keywords", "name"]
FIELD_CODES: dict[str, int] = {"description": 0, "offer": 1, "need": 2, "keywords": 3, "name": 4}
MAX_PASSAGES = 256  # passage ids are `profile_id << 8 | passage_no`
WINDOW_STRIDE = 32  # tokens shared by consecutive chunks so no phrase is cut in two


@dataclass(frozen=True)
class Passage:
    field: Field
    index: int | None
    text: str


class Encoder:
    """A sentence-transformers model loaded offline, with a tokenizer-aware splitter.

    Args:
        model: a model name or a local directory (the default is the packaged MiniLM).
        batch_size: passages per forward pass.
    """

    def __init__(self, model: str, *, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        # Room for [CLS] and [SEP] inside the model's window.
        self.window = int(self._model.max_seq_length or 256) - 2
        self._tokenizer = self._model.tokenizer

    def split(self, text: str) -> list[str]:
        """Cut `text` into chunks of at most one model window each (overlapping a little)."""
        text = text.strip()
        if not text:
            return []
        enc = self._tokenizer(
            text,
            add_special_tokens=False,
            truncation=True,
            max_length=self.window,
            stride=WINDOW_STRIDE,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        chunks = []
        for offsets in enc["offset_mapping"]:
            if not offsets:
                continue
            chunk = text[offsets[0][0] : offsets[-1][1]].strip()
            if chunk:
                chunks.append(chunk)
        return chunks or [text]

    def passages(self, profile: ProfilePublic) -> list[Passage]:
        """The passages a profile is indexed by, at most MAX_PASSAGES."""
        out = [Passage("description", None, c) for c in self.split(profile.description)]
        out += [Passage("offer", i, c) for i, o in enumerate(profile.offers) for c in self.split(o)]
        out += [Passage("need", i, c) for i, n in enumerate(profile.needs) for c in self.split(n)]
        if profile.keywords:
            out += [Passage("keywords", None, c) for c in self.split(", ".join(profile.keywords))]
        if len(out) > MAX_PASSAGES:
            log.warning(
                "profile %s has %d passages; indexing the first %d",
                profile.id,
                len(out),
                MAX_PASSAGES,
            )
            out = out[:MAX_PASSAGES]
        return out

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, shape (len(texts), dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
