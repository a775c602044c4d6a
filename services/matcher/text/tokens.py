"""Profile -> words: the text BM25 and the explanations read, its tokens, and the growing
token -> id vocabulary the engine keeps per profile (each text is tokenised once, on write)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.profiles import ProfilePublic
from services.matcher.text.language import stop_words

__all__ = ["Vocabulary", "profile_text", "shared_tokens", "tokenize"]


def profile_text(profile: ProfilePublic) -> str:
    """All of a profile's searchable words in one string."""
    return "\n".join(
        [
            profile.name,
            profile.description,
            *profile.offers,
            *profile.needs,
            ", ".join(profile.keywords),
        ]
    )


def tokenize(texts: Sequence[str], language: str = "") -> list[list[str]]:
    """Lower-cased words, English stop words removed (bm25s' tokenizer), and those of
    `language` too when the texts are known to be written in it: a German need's "und" and
    "für" would otherwise match every German profile in BM25."""
    if not texts:
        return []
    import bm25s  # here, not at import time: it pulls in SciPy (see wiring.prefetch_imports)

    words = bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)
    own = stop_words(language) if language and language != "en" else frozenset()
    return [[w for w in text if w not in own] for text in words] if own else words


class Vocabulary:
    """Token → id, growing as texts arrive (ids are never reused, so token arrays stay valid)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        ids = self.ids
        return np.fromiter(
            (ids.setdefault(t, len(ids)) for t in tokens), dtype=np.int32, count=len(tokens)
        )

    def known(self, tokens: Sequence[str]) -> dict[str, int]:
        """The tokens that have an id (in query order, without repeats)."""
        return {t: i for t in tokens if (i := self.ids.get(t)) is not None}


def shared_tokens(query: dict[str, int], profile_tokens: np.ndarray) -> set[str]:
    """The query tokens (token → id, from `Vocabulary.known`) that occur in a profile."""
    if not query or not len(profile_tokens):
        return set()
    ids = np.fromiter(query.values(), dtype=np.int32, count=len(query))
    # a lookup table over the profile's token ids: a few dozen query ids against ~1,200
    # profile tokens, 3x faster than isin's sorting
    hit = np.isin(ids, profile_tokens, kind="table")
    return {t for t, found in zip(query, hit, strict=True) if found}
