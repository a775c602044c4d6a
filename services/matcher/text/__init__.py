"""Text: a profile cut into passages (what is embedded) and into tokens (what BM25 reads), and
the language it is written in."""

from services.matcher.text.language import (
    UNKNOWN,
    detect_language,
    languages_meet,
    load_detector,
    profile_language,
    stop_words,
)
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
    "UNKNOWN",
    "Field",
    "Passage",
    "Splitter",
    "Vocabulary",
    "detect_language",
    "languages_meet",
    "load_detector",
    "profile_language",
    "profile_text",
    "shared_tokens",
    "stop_words",
    "tokenize",
]
