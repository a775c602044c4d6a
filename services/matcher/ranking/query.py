"""The query a match ranks against: from a free text (embedded now) or from a profile (its
description and needs, already embedded in the passage store), with the language it is written
in (detected once per query; a profile's was detected when it was written)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crosslink.errors import NotFound
from models.profiles import ProfilePublic
from services.matcher.embedding import Encoder
from services.matcher.index import ProfileIndex
from services.matcher.text import UNKNOWN, detect_language

__all__ = ["Query", "query_from_profile", "query_from_text"]


@dataclass
class Query:
    parts: list[str]
    is_need: np.ndarray
    vectors: np.ndarray
    text: str
    language: str = UNKNOWN  # ISO 639-1 code, UNKNOWN ("") when too short or unsure


def query_from_text(encoder: Encoder, text: str) -> Query:
    """A free-text need: its window-sized parts, each embedded (and all of them needs)."""
    parts = encoder.split(text)
    vectors = encoder.encode_queries(parts)
    return Query(parts, np.ones(len(parts), dtype=bool), vectors, text, detect_language(text))


def query_from_profile(profiles: ProfileIndex, profile_id: int) -> tuple[Query, ProfilePublic]:
    """A profile's description and need passages as the query, and the profile (the seeker)."""
    with profiles.reading():
        view = profiles.view
        seeker = view.profiles.get(profile_id)
        if seeker is None:
            raise NotFound(f"profile {profile_id} not found; it may not be synced yet")
        passages = view.passages[profile_id]
        chosen = [i for i, p in enumerate(passages) if p.field in ("description", "need")]
        vectors = view.passage_vectors(profile_id)[chosen]
        language = view.languages.get(profile_id, UNKNOWN)
    query = Query(
        parts=[passages[i].text for i in chosen],
        is_need=np.array([passages[i].field == "need" for i in chosen], dtype=bool),
        vectors=vectors,
        text="\n".join([seeker.description, *seeker.needs]),
        language=language,
    )
    return query, seeker
