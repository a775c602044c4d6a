"""The public read-only view of a `ProfileIndex`: what ranking and intel read, nothing they can
write. Read it while holding `ProfileIndex.reading()`; the maps do not change under that lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from models.profiles import ProfilePublic
from services.matcher.index.columns import Corpus
from services.matcher.index.graph import PartnerGraph
from services.matcher.index.store import PassageStore
from services.matcher.index.vectors import VectorIndex
from services.matcher.text import Passage, Vocabulary

__all__ = ["ProfileView"]


class ProfileView:
    """Profiles by id, their passages, passage fields, store rows, token ids and languages; the
    passage vectors; the partner graph; the vector index's search; the current filter columns."""

    def __init__(
        self,
        *,
        profiles: dict[int, ProfilePublic],
        passages: dict[int, list[Passage]],
        fields: dict[int, np.ndarray],
        store_rows: dict[int, np.ndarray],
        tokens: dict[int, np.ndarray],
        store: PassageStore,
        graph: PartnerGraph,
        vocabulary: Vocabulary,
        index: Callable[[], VectorIndex],
        corpus: Callable[[], Corpus],
        languages: dict[int, str] | None = None,
        cosine_map: tuple[float, float] = (1.0, 0.0),
    ) -> None:
        self.profiles: Mapping[int, ProfilePublic] = MappingProxyType(profiles)
        self.passages: Mapping[int, list[Passage]] = MappingProxyType(passages)
        self.fields: Mapping[int, np.ndarray] = MappingProxyType(fields)
        self.store_rows: Mapping[int, np.ndarray] = MappingProxyType(store_rows)
        self.tokens: Mapping[int, np.ndarray] = MappingProxyType(tokens)
        # each profile's detected language ("" unknown)
        self.languages: Mapping[int, str] = MappingProxyType(languages or {})
        self._store = store
        self._graph = graph
        self._vocabulary = vocabulary
        self._index = index
        self._corpus = corpus
        self._scale, self._shift = cosine_map

    @property
    def index(self) -> VectorIndex:
        return self._index()

    @property
    def dimension(self) -> int:
        return self._store.dimension

    def corpus(self) -> Corpus:
        """The filter columns and BM25 as of now (rebuilt if the profiles changed)."""
        return self._corpus()

    def known_tokens(self, tokens: list[str]) -> dict[str, int]:
        """The query tokens that have a vocabulary id (in query order, without repeats)."""
        return self._vocabulary.known(tokens)

    def neighbour_ids(self, profile: ProfilePublic) -> np.ndarray:
        """Known partners, in either direction, that are indexed (sorted int64 ids)."""
        return self._graph.neighbour_ids(profile)

    def corroborated_ids(self, profile: ProfilePublic) -> np.ndarray:
        """The partners among `neighbour_ids` whose link is corroborated: stated by both, or
        by a trusted source (index/graph.py). Activity and the graph signals count only these."""
        return self._graph.corroborated_ids(profile)

    def similarities(self, rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """(len(rows), len(queries)) cosines of passage-store rows with the queries, on the
        ranking's scale: the encoder's `cosine_map` (scale, shift) applied and capped at 1
        (MiniLM's identity: the cosines as they are)."""
        sims = self._store.similarities(rows, queries)
        if (self._scale, self._shift) != (1.0, 0.0):
            sims = np.minimum(sims * np.float32(self._scale) + np.float32(self._shift), 1.0)
        return sims

    def store_vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of these passage-store rows."""
        return self._store.vectors(rows)

    def passage_vectors(self, profile_id: int) -> np.ndarray:
        """A profile's passage vectors (float32, one row per passage)."""
        return self._store.vectors(self.store_rows[profile_id])
