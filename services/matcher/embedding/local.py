"""A local sentence-transformers model read without sentence-transformers (and so without
torch): its tokenizer through `tokenizers` and its dimensions from its config files.

Importing sentence-transformers imports torch, which was most of a matcher's restart (4-27 s
of the restart on 2 cores, depending on load). The ONNX backends need only the tokenizer and
the model's dimensions, so they start from this; the torch backend and the export (in its own
process) still load the model with sentence-transformers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

__all__ = ["FastTokenizer", "LocalModel", "local_prompts", "read_local_model"]

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"


@dataclass(frozen=True)
class LocalModel:
    path: Path
    dimension: int
    max_seq_length: int


def read_local_model(model: str) -> LocalModel | None:
    """The dimensions of a local mean-pooled model (Transformer, then Pooling); None for
    anything else (a hub name, another pooling), which is then loaded the usual way."""
    path = Path(model)
    try:
        modules = json.loads((path / "modules.json").read_text())
        types = [m["type"] for m in modules]
        if types[:2] != [_TRANSFORMER, _POOLING] or not (path / "tokenizer.json").is_file():
            return None
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        config = json.loads((path / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    others = ("cls_token", "max_tokens", "mean_sqrt_len_tokens")
    if not pooling.get("pooling_mode_mean_tokens") or any(
        pooling.get(f"pooling_mode_{o}") for o in others
    ):
        return None
    return LocalModel(
        path=path,
        dimension=int(pooling["word_embedding_dimension"]),
        max_seq_length=int(config.get("max_seq_length") or 256),
    )


def local_prompts(path: Path) -> dict[str, str]:
    """The model's named prompts (e.g. e5's `query: ` / `passage: `) from its
    sentence-transformers config; none when it declares none."""
    try:
        config = json.loads((path / "config_sentence_transformers.json").read_text())
    except (OSError, ValueError):
        return {}
    prompts = config.get("prompts") or {}
    return {str(k): str(v) for k, v in prompts.items()} if isinstance(prompts, dict) else {}


class FastTokenizer:
    """The calls the matcher makes of a transformers fast tokenizer, answered by the same Rust
    tokenizer (`tokenizer.json`): truncation with stride and overflowing windows, offsets.
    Thread-safe: each set of truncation settings has its own tokenizer."""

    def __init__(self, path: Path) -> None:
        self._json = (path / "tokenizer.json").read_text(encoding="utf-8")
        self._lock = threading.Lock()
        self._by_settings: dict[tuple[int | None, int], Tokenizer] = {}

    def _tokenizer(self, max_length: int | None, stride: int) -> Tokenizer:
        key = (max_length, stride)
        with self._lock:
            tokenizer = self._by_settings.get(key)
            if tokenizer is None:
                tokenizer = Tokenizer.from_str(self._json)
                tokenizer.no_padding()
                if max_length is None:
                    tokenizer.no_truncation()
                else:
                    tokenizer.enable_truncation(max_length, stride=stride)
                self._by_settings[key] = tokenizer
        return tokenizer

    def __call__(
        self,
        texts: list[str],
        *,
        add_special_tokens: bool = True,
        truncation: bool = False,
        max_length: int | None = None,
        stride: int = 0,
        return_overflowing_tokens: bool = False,
        return_offsets_mapping: bool = False,
    ) -> dict[str, Any]:
        tokenizer = self._tokenizer(max_length if truncation else None, stride)
        encodings = tokenizer.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        windows, samples = [], []
        for i, encoding in enumerate(encodings):
            parts = [encoding, *encoding.overflowing] if return_overflowing_tokens else [encoding]
            windows.extend(parts)
            samples.extend([i] * len(parts))
        out: dict[str, Any] = {
            "input_ids": [w.ids for w in windows],
            "attention_mask": [w.attention_mask for w in windows],
        }
        if return_offsets_mapping:
            out["offset_mapping"] = [w.offsets for w in windows]
        if return_overflowing_tokens:
            out["overflow_to_sample_mapping"] = samples
        return out
