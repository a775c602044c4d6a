"""Sentences said once: the CORDIS profile builder strings a project's teaser and its objective
together, and the objective often starts with the teaser's sentences."""

from __future__ import annotations

import re

__all__ = ["sentences", "unsaid"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _said(sentence: str) -> str:
    return " ".join(sentence.casefold().rstrip("….").split())


def unsaid(text: str, seen: set[str]) -> str:
    """`text` without the sentences already in the description (a teaser is often the first
    sentences of the objective), remembering the new ones; a sentence whose start was said
    (a teaser cut short, ending in "…") goes on from there."""
    kept = []
    for sentence in sentences(text):
        said = _said(sentence)
        if said in seen:
            continue
        start = next((f for f in seen if f.endswith("…") and said.startswith(f[:-1])), None)
        if start is not None:
            sentence = "…" + " ".join(sentence.split()[len(start[:-1].split()) :])
        seen.add(said)
        kept.append(sentence)
    if text.endswith("…") and kept:
        seen.add(_said(kept[-1]) + "…")  # a fragment: the objective may go on from it
    return " ".join(kept)
