"""Text: a profile cut into passages (what is embedded) and into tokens (what BM25 reads)."""

from services.matcher.text.passages import (
    FIELD_CODES,
    PASSAGE_SCHEME,
    Field,
    Passage,
    Splitter,
)
from services.matcher.text.tokens import Vocabulary, profile_text, shared_tokens, tokenize

__all__ = [
    "FIELD_CODES",
    "PASSAGE_SCHEME",
    "Field",
    "Passage",
    "Splitter",
    "Vocabulary",
    "profile_text",
    "shared_tokens",
    "tokenize",
]
