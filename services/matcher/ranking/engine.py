"""The match engine: profiles in, explained ranked partners out. No HTTP; usable in-process
(the quality evaluation builds one over the CORDIS profiles).

It composes the rooms: the `ProfileIndex` owns the writes and the derived state; a match builds
its `Query`, `gather`s the candidates and reads their `features` under the index's read lock,
then combines the components with the `RankingWeights` and explains the page.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import numpy as np

from crosslink.errors import NotFound
from models.matching import MatchesPublic, MatchFilters, MatchRequest
from models.profiles import Change, ProfilePublic
from services.matcher.embedding import Encoder
from services.matcher.index import ProfileIndex, ProfileView, VectorIndex
from services.matcher.index.snapshot import Manifest
from services.matcher.ranking import explain, signals
from services.matcher.ranking.candidates import gather
from services.matcher.ranking.query import Query, query_from_profile, query_from_text
from services.matcher.ranking.signals import Scored
from services.matcher.ranking.weights import RankingWeights, order
from services.matcher.text import tokenize

__all__ = ["MatchEngine"]


class MatchEngine:
    """Profiles, their passage vectors and the ranking over them.

    Writes go to the profile index (a write lock); matches and snapshots read side by side (at
    most `concurrency` matches at once); encoding runs outside the lock.

    Args:
        encoder: turns passages and queries into normalised vectors.
        index: the vector index (a fresh FaissIndex by default).
        weights: the ranking weights.
        lexicon_inline_below: profile count under which BM25 is rebuilt on the query path;
            above it, in a helper process while queries use the previous one.
        concurrency: matches computed at once (default: cores + 1).
        profiles: an already built profile index (`wiring` builds one from the settings).
    """

    def __init__(
        self,
        encoder: Encoder,
        index: VectorIndex | None = None,
        *,
        weights: RankingWeights | None = None,
        lexicon_inline_below: int = 2_000,
        concurrency: int | None = None,
        profiles: ProfileIndex | None = None,
    ) -> None:
        self.encoder = encoder
        self.profiles = profiles or ProfileIndex(
            encoder, index, lexicon_inline_below=lexicon_inline_below
        )
        self.weights = weights or RankingWeights()
        # Matches in flight at once; more wait their turn. Past one per core plus one, threads
        # only fight over the GIL and the caches (full set, 2 cores: 61 matches/s with 3 in
        # flight, 43/s with 8).
        self._slots = threading.BoundedSemaphore(concurrency or (os.cpu_count() or 1) + 1)

    # --- the profile index, as the app, sync, eval and bench use it ---------------------------

    @property
    def index(self) -> VectorIndex:
        return self.profiles.index

    @property
    def view(self) -> ProfileView:
        """The read-only view of the indexed profiles (read it under `reading()`)."""
        return self.profiles.view

    @property
    def seq(self) -> int:
        return self.profiles.seq

    @property
    def changed(self) -> bool:
        return self.profiles.changed

    def count(self) -> int:
        return self.profiles.count()

    def get(self, profile_id: int) -> ProfilePublic | None:
        return self.profiles.get(profile_id)

    def upsert(self, profiles: list[ProfilePublic]) -> None:
        """Add or replace profiles; passages are encoded in batches."""
        self.profiles.upsert(profiles)

    def delete(self, profile_id: int) -> None:
        """Remove a profile; it is never returned again."""
        self.profiles.delete(profile_id)

    def apply(self, changes: list[Change]) -> None:
        """Apply a page of the change feed in order (the last change per profile decides)."""
        self.profiles.apply(changes)

    def advance(self, seq: int) -> None:
        """Record that the feed holds nothing more up to `seq`."""
        self.profiles.advance(seq)

    def save(self, directory: Path) -> Manifest:
        """Write a snapshot (the index, the profiles, their derived state, the applied seq)."""
        return self.profiles.save(directory)

    def load(self, directory: Path) -> bool:
        """Restore a snapshot made with the same model; False (and empty) otherwise."""
        return self.profiles.load(directory)

    def warm(self) -> None:
        """Build what the first query needs (columns, BM25, partner sets)."""
        self.profiles.warm()

    def settle(self, timeout: float | None = None) -> None:
        """Wait until a BM25 rebuild in the background (if any) has landed."""
        self.profiles.settle(timeout)

    def reading(self) -> contextlib.AbstractContextManager[object]:
        """A read lock: the profiles, passages and index do not change while it is held."""
        return self.profiles.reading()

    def passage_vectors(self, profile_id: int) -> np.ndarray:
        """A profile's passage vectors (float32, one row per passage)."""
        return self.profiles.view.passage_vectors(profile_id)

    def neighbour_ids(self, profile: ProfilePublic) -> np.ndarray:
        """Known partners, in either direction, that are in the index (sorted int64 ids)."""
        return self.profiles.view.neighbour_ids(profile)

    # --- matching -----------------------------------------------------------------------------

    def match(self, request: MatchRequest) -> MatchesPublic:
        """Rank partners for a free-text need, optionally on behalf of a seeker profile."""
        with self._slots:
            seeker = None
            if request.seeker_id is not None:
                seeker = self.profiles.get(request.seeker_id)
                if seeker is None:
                    raise NotFound(f"profile {request.seeker_id} is not known to the matcher")
            return self._rank(
                query_from_text(self.encoder, request.text),
                seeker,
                request.filters,
                request.limit,
                request.offset,
                request.include_own_region,
                request.include_known_partners,
            )

    def match_profile(
        self,
        profile_id: int,
        *,
        filters: MatchFilters | None = None,
        limit: int = 10,
        offset: int = 0,
        include_own_region: bool = False,
        include_known_partners: bool = False,
    ) -> MatchesPublic:
        """Rank partners for a profile: its description and needs are the query."""
        with self._slots:
            query, seeker = query_from_profile(self.profiles, profile_id)
            return self._rank(
                query,
                seeker,
                filters or MatchFilters(),
                limit,
                offset,
                include_own_region,
                include_known_partners,
            )

    def score(
        self,
        query: Query,
        seeker: ProfilePublic | None,
        filters: MatchFilters,
        n: int,
        include_own_region: bool = False,
        include_known_partners: bool = False,
    ) -> Scored | None:
        """The candidates (dense top-n, BM25 top-n, the n most trusted partners of partners)
        and their score components; None when no profile passes the filters."""
        tokens = tokenize([query.text])[0]
        with self.profiles.reading():
            view = self.profiles.view
            query_ids = view.known_tokens(tokens)
            pool = gather(
                view,
                self.weights,
                query.vectors,
                list(query_ids.values()),
                seeker,
                filters,
                n,
                include_own_region,
                include_known_partners,
            )
            if pool is None:
                return None
            found = signals.features(
                view,
                self.weights,
                pool.corpus,
                pool.rows,
                query.vectors,
                seeker,
                pool.known_ids,
                pool.lexical_all,
                pool.graph,
            )
        components, best_sim, best_part = signals.components(
            found, self.weights, query.is_need, include_known_partners
        )
        return Scored(
            ids=found.ids,
            rows=pool.rows,
            candidates=found.candidates,
            passages=found.passages,
            counts=found.counts,
            starts=found.starts,
            best_sim=best_sim,
            best_part=best_part,
            components=components,
            common=found.common,
            topical_partners=found.raw["topical_partners"],
            tokens=tokens,
            query_ids=query_ids,
            candidate_tokens=found.candidate_tokens,
            corpus=pool.corpus,
        )

    def _rank(
        self,
        query: Query,
        seeker: ProfilePublic | None,
        filters: MatchFilters,
        limit: int,
        offset: int,
        include_own_region: bool,
        include_known_partners: bool = False,
    ) -> MatchesPublic:
        scored = self.score(
            query,
            seeker,
            filters,
            max(self.weights.candidates, offset + limit),
            include_own_region,
            include_known_partners,
        )
        if scored is None:
            return MatchesPublic(data=[], count=0)
        scores = self.weights.combine(scored.components)
        page = order(scores, scored.ids)[offset : offset + limit]
        wanted = sorted({*filters.sectors, *(seeker.sectors if seeker else [])})
        results = explain.results(scored, scores, page, query, seeker, wanted)
        return MatchesPublic(data=results, count=len(results))
