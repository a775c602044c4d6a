"""The match engine: profiles in, explained ranked partners out. No HTTP; usable in-process
(the quality evaluation builds one over the CORDIS profiles).

It composes the rooms: the `ProfileIndex` owns the writes and the derived state; a match builds
its `Query`, `gather`s the candidates and reads their `features` under the index's read lock,
then combines the components with the `RankingWeights` (or, with a learned ranker loaded,
re-ranks the candidates by its score over their `features.feature_matrix`) and explains the page.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from crosslink.errors import NotFound
from models.matching import MatchesPublic, MatchFilters, MatchRequest
from models.profiles import ProfilePublic
from services.matcher.embedding import Encoder
from services.matcher.index import ProfileIndex, VectorIndex
from services.matcher.ranking import explain, signals
from services.matcher.ranking.candidates import gather
from services.matcher.ranking.features import FEATURE_NAMES, CandidateSet, feature_matrix
from services.matcher.ranking.feedback import FeedbackBoard, visible
from services.matcher.ranking.learned import LearnedRanker
from services.matcher.ranking.query import Query, query_from_profile, query_from_text
from services.matcher.ranking.scored import Scored
from services.matcher.ranking.weights import RankingWeights, order
from services.matcher.text import tokenize

__all__ = ["MatchEngine"]


class MatchEngine:
    """Profiles, their passage vectors and the ranking over them.

    Writes go to the profile index (a write lock); matches and snapshots read side by side (at
    most `concurrency` matches at once); encoding runs outside the lock.

    Args:
        encoder: turns passages and queries into normalised vectors.
        weights: the ranking weights.
        concurrency: matches computed at once (default: cores + 1).
        profiles: the profile index (`wiring` builds one from the settings; by default one
            with a fresh FaissIndex).
        ranker: a learned ranker that re-ranks the candidates (None: the linear weights).
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        weights: RankingWeights | None = None,
        concurrency: int | None = None,
        profiles: ProfileIndex | None = None,
        ranker: LearnedRanker | None = None,
        feedback: FeedbackBoard | None = None,
    ) -> None:
        self.encoder = encoder
        self.ranker = ranker
        self.feedback = feedback or FeedbackBoard()
        self.profiles = profiles or ProfileIndex(encoder)
        self.weights = weights or RankingWeights()
        # Matches in flight at once; more wait their turn. Past one per core plus one, threads
        # only fight over the GIL and the caches (full set, 2 cores: 61 matches/s with 3 in
        # flight, 43/s with 8).
        self._slots = threading.BoundedSemaphore(concurrency or (os.cpu_count() or 1) + 1)
        # The profile index's writes and snapshots, as the app, the feed follower, eval and
        # bench call them on the engine.
        p = self.profiles
        self.count, self.get, self.upsert, self.delete = p.count, p.get, p.upsert, p.delete
        self.apply, self.advance, self.save, self.load = p.apply, p.advance, p.save, p.load
        self.warm, self.settle, self.reading = p.warm, p.settle, p.reading

    @property
    def index(self) -> VectorIndex:
        return self.profiles.index

    @property
    def seq(self) -> int:
        return self.profiles.seq

    @property
    def changed(self) -> bool:
        return self.profiles.changed

    # --- matching -----------------------------------------------------------------------------

    def match(self, request: MatchRequest) -> MatchesPublic:
        """Rank partners for a free-text need, optionally on behalf of a seeker profile."""
        with self._slots:
            seeker = self._seeker(request)
            return self._rank(query_from_text(self.encoder, request.text), seeker, request)

    def candidate_features(
        self, request: MatchRequest
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """The candidates of a match (int64 profile ids), their features (float32, candidates x
        features) and the feature names in column order: what the learned ranker scores, for
        training it on exactly what serving computes."""
        found = self.candidate_set(request)
        return found.ids, found.features, found.names

    def candidate_set(self, request: MatchRequest) -> CandidateSet:
        """`candidate_features` with the linear score's components of the same candidates (the
        quality evaluation compares and fits the linear weights on them)."""
        with self._slots:
            seeker = self._seeker(request)
            query = query_from_text(self.encoder, request.text)
            scored = self.score(
                query,
                seeker,
                request.filters,
                max(self.weights.candidates, request.offset + request.limit),
                request.include_own_region,
                request.include_known_partners,
            )
        if scored is None:
            return CandidateSet.empty()
        return CandidateSet(
            scored.ids.astype(np.int64),
            feature_matrix(scored, seeker),
            FEATURE_NAMES,
            dict(scored.components),
        )

    def _seeker(self, request: MatchRequest) -> ProfilePublic | None:
        if request.seeker_id is None:
            return None
        seeker = self.profiles.get(request.seeker_id)
        if seeker is None:
            raise NotFound(f"profile {request.seeker_id} is not known to the matcher")
        return seeker

    def match_profile(
        self,
        profile_id: int,
        *,
        filters: MatchFilters | None = None,
        limit: int = 10,
        offset: int = 0,
        include_own_region: bool = False,
        include_known_partners: bool = False,
        exclude_ids: list[int] | None = None,
        boost_ids: list[int] | None = None,
    ) -> MatchesPublic:
        """Rank partners for a profile: its description and needs are the query."""
        # The options only: the profile is the query.
        options = MatchRequest.model_construct(
            text="",
            filters=filters or MatchFilters(),
            limit=limit,
            offset=offset,
            include_own_region=include_own_region,
            include_known_partners=include_known_partners,
            exclude_ids=exclude_ids or [],
            boost_ids=boost_ids or [],
        )
        with self._slots:
            query, seeker = query_from_profile(self.profiles, profile_id)
            return self._rank(query, seeker, options)

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
        tokens = tokenize([query.text], query.language)[0]
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
                query.language,
            )
            if pool is None:
                return None
            found = signals.features(
                view, self.weights, pool, query.vectors, seeker, query.language
            )
        components, best_sim, best_part = signals.components(
            found, self.weights, query.is_need, include_known_partners
        )
        return Scored(found, pool, components, best_sim, best_part, tokens, query_ids)

    def _rank(
        self, query: Query, seeker: ProfilePublic | None, options: MatchRequest
    ) -> MatchesPublic:
        scored = self.score(
            query,
            seeker,
            options.filters,
            max(self.weights.candidates, options.offset + options.limit + len(options.exclude_ids)),
            options.include_own_region,
            options.include_known_partners,
        )
        if scored is None:
            return MatchesPublic(data=[], count=0)
        scored.components["feedback"] = self.feedback.component(scored.ids, options.boost_ids)
        contributions = self.weights.contributions(scored.components)
        scores = sum(contributions.values(), np.zeros(len(scored.ids)))
        if self.ranker is not None:
            scores = self.ranker.score(feature_matrix(scored, seeker))
            scored.components["learned"] = scores
        # the caller's own marks and the capped aggregate apply whichever ranker ordered
        scores = scores + self.feedback.weight * scored.components["feedback"]
        ranked = visible(order(scores, scored.ids), scored.ids, options.exclude_ids)
        page = ranked[options.offset : options.offset + options.limit]
        wanted = sorted({*options.filters.sectors, *(seeker.sectors if seeker else [])})
        results = explain.results(scored, scores, contributions, page, query, seeker, wanted)
        return MatchesPublic(data=results, count=len(results))
