"""Which language a text is written in (py3langid), and which of its words are stop words there.

Detection runs once per query and once per profile write. Short or ambiguous texts say little:
under MIN_CHARS characters, or below MIN_CONFIDENCE (py3langid's normalised probability), the
language is unknown (""), and an unknown language meets every other. Only the first SAMPLE_CHARS
characters are read: a paragraph is plenty, and the cost grows with the length.
"""

from __future__ import annotations

import functools
import threading

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


def load_detector() -> None:
    """Load the detection model now rather than on the first detection (about a second, most
    of it LZMA decompression, which leaves the interpreter free: the matcher's start runs this
    in a thread beside the encoder's build and the snapshot restore)."""
    _identifier()


_load_lock = threading.Lock()


def _identifier() -> LanguageIdentifier:
    """The model, loaded once and shared (classify only reads it); a caller that comes while
    another thread loads it waits for that load instead of starting a second one."""
    with _load_lock:
        return _loaded()


@functools.cache
def _loaded() -> LanguageIdentifier:
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


# bm25s' stop-word list per language (imported when first asked: bm25s pulls in SciPy, which
# a matcher's start imports beside the encoder's build, wiring.prefetch_imports)
_STOP_WORDS = {
    "da": "STOPWORDS_DANISH",
    "de": "STOPWORDS_GERMAN",
    "en": "STOPWORDS_EN",
    "es": "STOPWORDS_SPANISH",
    "fr": "STOPWORDS_FRENCH",
    "it": "STOPWORDS_ITALIAN",
    "nl": "STOPWORDS_DUTCH",
    "no": "STOPWORDS_NORWEGIAN",
    "pt": "STOPWORDS_PORTUGUESE",
    "ru": "STOPWORDS_RUSSIAN",
    "sv": "STOPWORDS_SWEDISH",
    "tr": "STOPWORDS_TURKISH",
}


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop words (bm25s' lists; none for a language it has no list of)."""
    name = _STOP_WORDS.get(language)
    if name is None:
        return frozenset()
    from bm25s import stopwords

    return frozenset(getattr(stopwords, name))
