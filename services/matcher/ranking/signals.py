"""What a candidate's score is made of: the graph signals (trust through the seeker's partners,
peers of the profiles closest to the need, common partners) and the per-candidate components
`RankingWeights.combine` sums (see `weights.py` for each one's meaning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.profiles import ProfilePublic
from services.matcher.index import Corpus, ProfileView
from services.matcher.ranking.search import best_profiles, search
from services.matcher.ranking.weights import (
    PEERS_SCALE,
    RankingWeights,
    capped,
    log_scaled,
    passage_weights,
    scaled,
)
from services.matcher.text import FIELD_CODES, Passage

if TYPE_CHECKING:
    from services.matcher.ranking.candidates import Pool

__all__ = [
    "Features",
    "across_languages",
    "common_partners",
    "components",
    "features",
    "peers",
    "stand_in_lexical",
    "trust",
]


def _spread(
    view: ProfileView, corpus: Corpus, sources: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per corpus row: the sum, over the `sources` (profile ids) it has worked with, of
    each source's weight / log(2 + the source's partner count) (Adamic-Adar: a source
    that works with few others says more), and the number of such sources."""
    lists = [view.corroborated_ids(view.profiles[int(i)]) for i in sources]
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    per_source = 1.0 / np.log(2.0 + sizes)
    if weights is not None:
        per_source = per_source * weights
    targets = np.concatenate([*lists, np.zeros(0, dtype=np.int64)])
    rows = np.searchsorted(corpus.ids, targets)
    size = len(corpus.ids)
    return (
        np.bincount(rows, weights=np.repeat(per_source, sizes), minlength=size),
        np.bincount(rows, minlength=size),
    )


def _closeness(view: ProfileView, profile_ids: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each profile's best passage cosine to any query vector (0 without passages)."""
    parts = [view.store_rows[int(i)] for i in profile_ids]
    counts = np.array([len(x) for x in parts], dtype=np.int64)
    best = np.zeros(len(parts), dtype=np.float64)
    has = counts > 0
    if has.any():
        sims = view.similarities(np.concatenate(parts), query).max(axis=1)
        starts = (np.cumsum(counts) - counts)[has]
        best[has] = np.maximum.reduceat(sims, starts)
    return best


def trust(
    view: ProfileView,
    weights: RankingWeights,
    corpus: Corpus,
    known: np.ndarray,
    query: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Partners of the seeker's partners (`known`, ids), per corpus row, scored Adamic-Adar
    style: a shared partner that works with few others is stronger evidence than a hub
    that works with everyone. With `weights.trust_topical` > 0, a partner close to the
    query (best passage cosine) passes on more: the partners that fit this need bring the
    introductions. Returns the score and how many partners lead to each row."""
    known = np.array([i for i in known.tolist() if i in view.profiles], dtype=np.int64)
    topical = weights.trust_topical
    spread_by = None
    if topical > 0 and query is not None and len(query) and len(known):
        spread_by = np.maximum(_closeness(view, known, query), 0.0) ** topical
    return _spread(view, corpus, known, spread_by)


def peers(
    view: ProfileView,
    weights: RankingWeights,
    query: np.ndarray,
    corpus: Corpus,
    hits: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Partners of the `weights.peer_count` profiles closest to the need (the whole index,
    whatever the filters), per corpus row: an organisation that has worked with the ones
    active on this topic is likely to join such a consortium. Each peer counts
    Adamic-Adar style, 1/log(2 + its partners). Returns the score and the number of such
    peers per row. `hits`: an unfiltered passage search of at least 4 x peer_count per
    query vector, when the caller has one."""
    count = weights.peer_count
    if count == 0 or not len(query):
        return np.zeros(len(corpus.ids)), np.zeros(len(corpus.ids), dtype=np.int64)
    if hits is None:
        everyone = np.ones(len(corpus.ids), dtype=bool)
        hits = search(view.index, query, corpus, everyone, count * 4)
    found = best_profiles(hits[0][:, : count * 4], hits[1][:, : count * 4], count)
    return _spread(view, corpus, found[[int(i) in view.profiles for i in found]])


def common_partners(
    view: ProfileView, corpus: Corpus, known_ids: np.ndarray, candidates: list[ProfilePublic]
) -> np.ndarray:
    """Per candidate: how many of the seeker's known partners (`known_ids`) it has worked with."""
    if not len(known_ids):
        return np.zeros(len(candidates), dtype=np.float64)
    is_partner = np.zeros(len(corpus.ids), dtype=bool)
    is_partner[np.searchsorted(corpus.ids, known_ids)] = True
    lists = [view.corroborated_ids(c) for c in candidates]
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    targets = np.concatenate([*lists, np.zeros(0, dtype=np.int64)])
    return np.bincount(
        np.repeat(np.arange(len(candidates)), sizes),
        weights=is_partner[np.searchsorted(corpus.ids, targets)],
        minlength=len(candidates),
    )


@dataclass
class Features:
    """What is read of each candidate under the index's read lock (array per candidate)."""

    ids: np.ndarray
    candidates: list[ProfilePublic]
    passages: list[list[Passage]]
    counts: np.ndarray  # passages per candidate
    starts: np.ndarray  # first passage of each candidate in `sims`
    fields: np.ndarray  # FIELD_CODES per passage
    sims: np.ndarray  # (passages x query parts) cosines
    offer_sims: np.ndarray | None  # per passage: best cosine to the seeker's offers
    common: np.ndarray  # known partners shared with the seeker
    candidate_tokens: list[np.ndarray]  # each candidate's token ids
    raw: dict[str, np.ndarray]  # the components that need no passage arithmetic
    # each candidate's detected language ("" unknown) and the query's
    languages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    query_language: str = ""


def features(
    view: ProfileView,
    weights: RankingWeights,
    pool: Pool,
    query: np.ndarray,
    seeker: ProfilePublic | None,
    language: str = "",
) -> Features:
    """Read the candidates of `pool` (call with the read lock held); `language`: the query's."""
    corpus, rows, known_ids, lexical_all = pool.corpus, pool.rows, pool.known_ids, pool.lexical_all
    trust_all, peer_all, peers_all = pool.graph
    ids = corpus.ids[rows]
    id_list = ids.tolist()  # plain ints: ~700 dict lookups x 3 without numpy scalars
    candidates = list(map(view.profiles.__getitem__, id_list))
    passages = list(map(view.passages.__getitem__, id_list))
    counts = corpus.passage_counts[rows]
    at = corpus.passages_of(rows)
    fields = corpus.passage_fields[at]
    starts = np.cumsum(counts) - counts
    store_rows = corpus.passage_store_rows[at]
    sims = view.similarities(store_rows, query)
    offers = np.zeros((0, view.dimension), dtype=np.float32)
    if seeker is not None and seeker.id in view.passages:
        mine = np.flatnonzero(view.fields[seeker.id] == FIELD_CODES["offer"])
        offers = view.passage_vectors(seeker.id)[mine]
    offer_sims = view.similarities(store_rows, offers).max(axis=1) if len(offers) else None
    common = common_partners(view, corpus, known_ids, candidates)
    trust_of = trust_all[rows]
    kinds, kind_at = np.unique(corpus.kinds[rows], return_inverse=True)
    proximity = np.zeros(len(ids))
    if seeker is not None:
        proximity = (corpus.countries[rows] == seeker.country).astype(np.float64)
    raw = {
        "lexical": scaled(lexical_all[rows].astype(np.float64)),
        "activity": capped(corpus.activity[rows], weights.activity_scale),
        "kind": np.array([weights.kind_prior.get(str(k), 0.0) for k in kinds])[kind_at],
        "trust": log_scaled(trust_of, float(trust_of.max(initial=0))),
        "peers": capped(peer_all[rows], PEERS_SCALE),
        "known": np.isin(ids, known_ids).astype(np.float64),
        "proximity": proximity,
        "topical_partners": peers_all[rows].astype(np.int64),
        "partnerships": corpus.activity[rows].astype(np.int64),
    }
    tokens = list(map(view.tokens.__getitem__, id_list))
    return Features(
        ids,
        candidates,
        passages,
        counts,
        starts,
        fields,
        sims,
        offer_sims,
        common,
        tokens,
        raw,
        corpus.languages[rows],
        language,
    )


def across_languages(found: Features) -> np.ndarray:
    """Per candidate: written in another language than the query, both known."""
    query, langs = found.query_language, found.languages
    if not query:
        return np.zeros(len(found.ids), dtype=bool)
    return (langs != query) & (langs != "")


def stand_in_lexical(found: Features, lexical: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """The lexical component where languages meet; across languages, where BM25 cannot count
    (it scored 0, `Corpus.bm25_scores`), its semantic relative to the best candidate's, so
    words it cannot share neither lift nor penalise it against candidates in the need's
    language. Scoring 0 instead penalised it: on eval/multilingual's 36 profiles and the 12
    demo ones with e5-small, the mean top-10 overlap of a translated need with its English
    need's was 0.35 with 0 and 0.61 with this stand-in, and the English needs found the
    foreign profiles at a mean reciprocal rank of 0.20 with 0 and 0.63 with it."""
    across = across_languages(found)
    if not across.any():
        return lexical
    best = float(semantic.max(initial=0.0))
    return np.where(across, semantic / best if best > 0 else 0.0, lexical)


def components(
    found: Features, weights: RankingWeights, query_is_need: np.ndarray, with_known: bool
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The components per candidate, and per passage its best weighted cosine and query part
    (outside the lock: only arithmetic on what `features` read)."""
    sims = found.sims * passage_weights(found.fields, query_is_need, weights)
    best_part = sims.argmax(axis=1)
    best_sim = sims.max(axis=1)
    starts = found.starts
    semantic = np.clip(np.maximum.reduceat(best_sim, starts), 0.0, None).astype(np.float64)
    reciprocal = np.zeros(len(found.ids), dtype=np.float64)
    if found.offer_sims is not None:
        need_sim = np.where(found.fields == FIELD_CODES["need"], found.offer_sims, 0.0)
        reciprocal = np.clip(np.maximum.reduceat(need_sim, starts), 0.0, None)
    raw = found.raw
    out = {
        "semantic": semantic,
        "lexical": stand_in_lexical(found, raw["lexical"], semantic),
        "reciprocal": reciprocal,
        "activity": raw["activity"],
        "kind": raw["kind"],
        "trust": raw["trust"],
        "peers": raw["peers"],
        "known": raw["known"] if with_known else np.zeros(len(found.ids)),
        "proximity": raw["proximity"],
    }
    return out, best_sim, best_part
