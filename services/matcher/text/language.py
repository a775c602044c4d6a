"""Which language a text is written in (py3langid), and which of its words are stop words there.

Detection runs once per query and once per profile write. Short or ambiguous texts say little:
under MIN_CHARS characters, or below MIN_CONFIDENCE (py3langid's normalised probability), the
language is unknown (""), and an unknown language meets every other. Only the first SAMPLE_CHARS
characters are read: a paragraph is plenty, and the cost grows with the length.
"""

from __future__ import annotations

import functools

from bm25s import stopwords
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from models.profiles import ProfilePublic

__all__ = [
    "LANGUAGES",
    "MIN_CHARS",
    "MIN_CONFIDENCE",
    "UNKNOWN",
    "detect_language",
    "languages_meet",
    "load_detector",
    "profile_language",
    "stop_words",
]

UNKNOWN = ""
MIN_CHARS = 20
# On the 40-character openings of eval/multilingual's needs (756 texts, nine languages), every
# detection at or above 0.8 was right and 89% of them reached it.
MIN_CONFIDENCE = 0.8
SAMPLE_CHARS = 1_000
# The languages of Europe py3langid knows (the 24 official EU languages and their neighbours):
# restricting the choice to them makes short texts confident without mislabelling them.
LANGUAGES = tuple(
    """bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv
    ca eu gl lb is no tr uk ru sr mk sq bs""".split()
)
_STOP_WORDS = {
    "da": stopwords.STOPWORDS_DANISH,
    "de": stopwords.STOPWORDS_GERMAN,
    "en": stopwords.STOPWORDS_EN,
    "es": stopwords.STOPWORDS_SPANISH,
    "fr": stopwords.STOPWORDS_FRENCH,
    "it": stopwords.STOPWORDS_ITALIAN,
    "nl": stopwords.STOPWORDS_DUTCH,
    "no": stopwords.STOPWORDS_NORWEGIAN,
    "pt": stopwords.STOPWORDS_PORTUGUESE,
    "ru": stopwords.STOPWORDS_RUSSIAN,
    "sv": stopwords.STOPWORDS_SWEDISH,
    "tr": stopwords.STOPWORDS_TURKISH,
}


def load_detector() -> None:
    """Load the detection model now rather than on the first detection (about a second)."""
    _identifier()


@functools.cache
def _identifier() -> LanguageIdentifier:
    """The model, loaded on first use and shared: classify only reads it."""
    identifier = LanguageIdentifier.from_model_file(
        MODEL_FILE, norm_probs=True, min_confidence=MIN_CONFIDENCE
    )
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the text's language, or UNKNOWN when too short or unsure."""
    sample = text.strip()[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return UNKNOWN
    language, _ = _identifier().classify(sample)
    return language if language in LANGUAGES else UNKNOWN


def profile_language(profile: ProfilePublic) -> str:
    """The language a profile is written in: of its description, offers and needs (its name and
    keywords are often English whatever the rest is)."""
    return detect_language("\n".join([profile.description, *profile.offers, *profile.needs]))


def languages_meet(a: str, b: str) -> bool:
    """Two texts' languages are the same, or one of them is unknown."""
    return a == b or a == UNKNOWN or b == UNKNOWN


def stop_words(language: str) -> frozenset[str]:
    """The language's stop words (bm25s' lists; none for a language it has no list of)."""
    return frozenset(_STOP_WORDS.get(language, ()))
