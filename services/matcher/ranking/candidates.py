"""The candidates of one match: the dense top-n, the BM25 top-n, the best reached through
the partner graph (partners of partners; optionally partners of the profiles closest to the
need; the seeker's own partners when asked for) and the `active_candidates` profiles with the
most corroborated partnerships, among the profiles the filters let through. (Real partners are
often the most active organisations, whose texts the need's nearest passages can miss: on the
training split the most active 300 raise the share of real partners among the candidates of
an anonymous need from 0.28 to 0.63 in the CORDIS format.)"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from models.matching import MatchFilters
from models.profiles import ProfilePublic
from models.reference import nuts2_of
from services.matcher.index import Corpus, ProfileView
from services.matcher.ranking import signals
from services.matcher.ranking.search import best_profiles, search
from services.matcher.ranking.weights import RankingWeights, order, top_rows

__all__ = ["Pool", "gather"]


@dataclass
class Pool:
    """The candidate rows and the corpus-wide scores their features are read from."""

    corpus: Corpus
    rows: np.ndarray
    known_ids: np.ndarray  # the seeker's known partners
    lexical_all: np.ndarray  # BM25 per corpus row
    graph: tuple[np.ndarray, np.ndarray, np.ndarray]  # trust, peer score, peer count per row


def _best_reached(corpus: Corpus, score: np.ndarray, reached: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n best-scored profiles among those reached (ties by id)."""
    rows = np.flatnonzero(reached)
    return rows[order(score[rows], corpus.ids[rows])[:n]]


def _rows_of(corpus: Corpus, profile_ids: Collection[int], mask: np.ndarray) -> np.ndarray:
    """Corpus rows of these profiles that pass the mask."""
    if not profile_ids:
        return np.zeros(0, dtype=np.int64)
    wanted = np.array(sorted(profile_ids), dtype=np.int64)
    rows = np.searchsorted(corpus.ids, wanted)
    inside = rows < len(corpus.ids)
    rows, wanted = rows[inside], wanted[inside]
    rows = rows[corpus.ids[rows] == wanted]
    return rows[mask[rows]]


def gather(
    view: ProfileView,
    weights: RankingWeights,
    vectors: np.ndarray,
    token_ids: list[int],
    seeker: ProfilePublic | None,
    filters: MatchFilters,
    n: int,
    include_own_region: bool,
    include_known_partners: bool,
    language: str = "",
) -> Pool | None:
    """The candidates for query `vectors` and BM25 `token_ids` (call with the read lock held);
    None when no profile passes the filters or none is found. BM25 counts only profiles whose
    `language` (the query's, "" unknown) meets the query's."""
    w = weights
    corpus = view.corpus()
    known_ids = np.zeros(0, dtype=np.int64)
    excluded_regions: list[str] = []
    if seeker is not None:
        known_ids = view.neighbour_ids(seeker)
        own = nuts2_of(seeker.region)
        if own and not include_own_region:
            excluded_regions.append(own)
    known = frozenset(known_ids.tolist())
    mask = corpus.mask(
        filters,
        exclude_ids=(set() if include_known_partners else known)
        | ({seeker.id} if seeker else set()),
        exclude_region_prefixes=excluded_regions,
    )
    if not mask.any():
        return None
    lexical_all = corpus.bm25_scores(token_ids, language)
    lexical_rows = top_rows(lexical_all, corpus.ids, mask, n)
    # Without filters the dense candidates and the peers come from one search: the
    # first k hits of a search are the hits of a search for k.
    unfiltered = bool(mask.all())
    k = n * 4
    if unfiltered:
        k = max(k, w.peer_count * 4)
    hits = search(view.index, vectors, corpus, mask, k)
    dense_ids = best_profiles(hits[0][:, : n * 4], hits[1][:, : n * 4], n)
    trust_all, trusted_by = signals.trust(view, w, corpus, known_ids, vectors)
    peer_all, peers_all = signals.peers(view, w, vectors, corpus, hits if unfiltered else None)
    graph = _best_reached(corpus, trust_all, trusted_by > 0, n)
    if w.peer_candidates:
        graph = np.union1d(graph, _best_reached(corpus, peer_all, peers_all > 0, n))
    graph = graph[mask[graph]]
    if include_known_partners:
        graph = np.union1d(graph, _rows_of(corpus, known, mask))
    rows = np.union1d(lexical_rows, np.searchsorted(corpus.ids, dense_ids))
    rows = np.union1d(rows, graph)
    if w.active_candidates:
        rows = np.union1d(rows, top_rows(corpus.activity, corpus.ids, mask, w.active_candidates))
    # The corpus was built after the last write and writes wait for this read lock,
    # so every row is a live profile.
    if not len(rows):
        return None
    return Pool(corpus, rows, known_ids, lexical_all, (trust_all, peer_all, peers_all))
