"""The match engine: profiles in, explained ranked partners out. No HTTP; usable in-process
(the quality evaluation builds one over the CORDIS profiles)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crosslink.errors import NotFound
from models.matching import MatchesPublic, MatchFilters, MatchRequest, MatchResult
from models.profiles import Change, ChangeOp, ProfilePublic
from models.reference import nuts2_of
from services.matcher import explain, snapshot
from services.matcher.corpus import Corpus, tokenize
from services.matcher.encoder import FIELD_CODES, Encoder, Passage
from services.matcher.index import FaissIndex, VectorIndex
from services.matcher.ranking import (
    RankingWeights,
    log_scaled,
    order,
    passage_weights,
    scaled,
    top_rows,
)

log = logging.getLogger("crosslink.matcher.service")


@dataclass
class Query:
    parts: list[str]
    is_need: np.ndarray
    vectors: np.ndarray
    text: str


@dataclass
class Scored:
    """The candidates of one match and what their scores are made of (array per candidate)."""

    ids: np.ndarray
    rows: np.ndarray  # corpus rows
    candidates: list[ProfilePublic]
    passages: list[list[Passage]]
    counts: np.ndarray  # passages per candidate
    starts: np.ndarray  # first passage of each candidate in best_sim / best_part
    best_sim: np.ndarray  # per passage: best weighted cosine over the query parts
    best_part: np.ndarray  # per passage: which query part
    components: dict[str, np.ndarray]
    common: np.ndarray  # known partners shared with the seeker
    topical_partners: np.ndarray  # partners among the profiles closest to the need
    tokens: list[str]
    corpus: Corpus


def _passage_ids(profile_id: int, count: int) -> np.ndarray:
    return (np.int64(profile_id) << 8) | np.arange(count, dtype=np.int64)


class MatchEngine:
    """Profiles, their passage vectors and the ranking over them.

    Writes (upsert, delete, apply, load) and index reads hold one lock; encoding runs outside it.

    Args:
        encoder: turns passages and queries into normalised vectors.
        index: the vector index (a fresh FaissIndex by default).
        weights: the ranking weights.
    """

    def __init__(
        self,
        encoder: Encoder,
        index: VectorIndex | None = None,
        *,
        weights: RankingWeights | None = None,
    ) -> None:
        self.encoder = encoder
        self.index = index if index is not None else FaissIndex(encoder.dimension)
        self.weights = weights or RankingWeights()
        self.seq = 0
        self.changed = False  # since the last snapshot
        self._lock = threading.RLock()
        self._profiles: dict[int, ProfilePublic] = {}
        self._passages: dict[int, list[Passage]] = {}
        self._fields: dict[int, np.ndarray] = {}
        self._by_external: dict[str, int] = {}
        self._partners_of: dict[str, set[int]] = {}
        self._corpus: Corpus | None = None

    # --- writes -------------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._profiles)

    def get(self, profile_id: int) -> ProfilePublic | None:
        return self._profiles.get(profile_id)

    def upsert(self, profiles: list[ProfilePublic]) -> None:
        """Add or replace profiles; passages are encoded in batches."""
        self._commit(profiles, [], None)

    def delete(self, profile_id: int) -> None:
        """Remove a profile; it is never returned again."""
        self._commit([], [profile_id], None)

    def apply(self, changes: list[Change]) -> None:
        """Apply a page of the change feed in order (the last change per profile decides)."""
        if not changes:
            return
        last: dict[int, Change] = {}
        for change in changes:
            last[change.profile_id] = change
        upserts = [c.profile for c in last.values() if c.op != ChangeOp.delete and c.profile]
        deletes = [c.profile_id for c in last.values() if c.op == ChangeOp.delete]
        self._commit(upserts, deletes, max(c.seq for c in changes))

    def advance(self, seq: int) -> None:
        """Record that the feed holds nothing more up to `seq`."""
        with self._lock:
            self.seq = max(self.seq, seq)

    def _commit(self, profiles: list[ProfilePublic], deletes: list[int], seq: int | None) -> None:
        latest = {p.id: p.model_copy(update={"contact": None}) for p in profiles}
        passages = {pid: self.encoder.passages(p) for pid, p in latest.items()}
        # Unchanged text (e.g. only partners changed) keeps its vectors.
        encode = [pid for pid in latest if self._passages.get(pid) != passages[pid]]
        texts = [p.text for pid in encode for p in passages[pid]]
        vectors = self.encoder.encode(texts)
        with self._lock:
            stale = [pid for pid in [*encode, *deletes] if pid in self._passages]
            self.index.remove(self._ids_of(stale))
            self.index.add(
                np.concatenate(
                    [_passage_ids(pid, len(passages[pid])) for pid in encode]
                    + [np.zeros(0, dtype=np.int64)]
                ),
                vectors,
            )
            for pid in deletes:
                self._forget(pid)
            for pid, profile in latest.items():
                self._forget(pid)
                self._remember(profile, passages[pid])
            if seq is not None:
                self.seq = max(self.seq, seq)
            self._corpus = None
            self.changed = True

    def _ids_of(self, profile_ids: list[int]) -> np.ndarray:
        return np.concatenate(
            [_passage_ids(pid, len(self._passages[pid])) for pid in profile_ids]
            + [np.zeros(0, dtype=np.int64)]
        )

    def _remember(self, profile: ProfilePublic, passages: list[Passage]) -> None:
        self._profiles[profile.id] = profile
        self._passages[profile.id] = passages
        self._fields[profile.id] = np.array([FIELD_CODES[p.field] for p in passages], dtype=np.int8)
        if profile.external_id:
            self._by_external[profile.external_id] = profile.id
        for partner in profile.partners:
            self._partners_of.setdefault(partner, set()).add(profile.id)

    def _forget(self, profile_id: int) -> None:
        old = self._profiles.pop(profile_id, None)
        self._passages.pop(profile_id, None)
        self._fields.pop(profile_id, None)
        if old is None:
            return
        if old.external_id and self._by_external.get(old.external_id) == profile_id:
            del self._by_external[old.external_id]
        for partner in old.partners:
            self._partners_of.get(partner, set()).discard(profile_id)

    def neighbours(self, profile: ProfilePublic) -> set[int]:
        """Known partners, in either direction, that are in the index."""
        ids = {self._by_external[e] for e in profile.partners if e in self._by_external}
        if profile.external_id:
            ids |= self._partners_of.get(profile.external_id, set())
        ids.discard(profile.id)
        return ids

    # --- snapshots ----------------------------------------------------------------------------

    def save(self, directory: Path) -> snapshot.Manifest:
        """Write a snapshot of the index, the profiles and the applied seq."""
        with self._lock:
            manifest = snapshot.write(
                directory,
                index=self.index,
                profiles=self._profiles.values(),
                seq=self.seq,
                model=self.encoder.name,
            )
            self.changed = False
        return manifest

    def load(self, directory: Path) -> bool:
        """Restore a snapshot made with the same model; False (and empty) otherwise."""
        manifest = snapshot.read_manifest(directory)
        if manifest is None:
            return False
        if manifest.model != self.encoder.name or manifest.dimension != self.encoder.dimension:
            log.warning(
                "snapshot made with %s (%d dims), now %s (%d): rebuilding from seq 0",
                manifest.model,
                manifest.dimension,
                self.encoder.name,
                self.encoder.dimension,
            )
            return False
        profiles = snapshot.read_profiles(directory, manifest)
        passages = {p.id: self.encoder.passages(p) for p in profiles}
        with self._lock:
            self.index.load(snapshot.index_path(directory, manifest))
            if self.index.count() != sum(len(v) for v in passages.values()):
                log.warning("snapshot index and profiles disagree: rebuilding from seq 0")
                self.index = FaissIndex(self.encoder.dimension)
                return False
            for profile in profiles:
                self._remember(profile, passages[profile.id])
            self.seq = manifest.seq
            self._corpus = None
            self.changed = False
        log.info(
            "loaded snapshot %s: %d profiles at seq %d",
            manifest.snapshot,
            len(profiles),
            manifest.seq,
        )
        return True

    # --- matching -----------------------------------------------------------------------------

    def match(self, request: MatchRequest) -> MatchesPublic:
        """Rank partners for a free-text need, optionally on behalf of a seeker profile."""
        seeker = None
        if request.seeker_id is not None:
            seeker = self._profiles.get(request.seeker_id)
            if seeker is None:
                raise NotFound(f"profile {request.seeker_id} is not known to the matcher")
        parts = self.encoder.split(request.text)
        query = Query(
            parts, np.ones(len(parts), dtype=bool), self.encoder.encode_queries(parts), request.text
        )
        return self._rank(
            query,
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
        with self._lock:
            seeker = self._profiles.get(profile_id)
            if seeker is None:
                raise NotFound(f"profile {profile_id} not found; it may not be synced yet")
            passages = self._passages[profile_id]
            chosen = [i for i, p in enumerate(passages) if p.field in ("description", "need")]
            vectors = self.index.vectors((np.int64(profile_id) << 8) | np.array(chosen, np.int64))
        query = Query(
            parts=[passages[i].text for i in chosen],
            is_need=np.array([passages[i].field == "need" for i in chosen], dtype=bool),
            vectors=vectors,
            text="\n".join([seeker.description, *seeker.needs]),
        )
        return self._rank(
            query,
            seeker,
            filters or MatchFilters(),
            limit,
            offset,
            include_own_region,
            include_known_partners,
        )

    def _current_corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = Corpus.build(
                list(self._profiles.values()), {k: len(v) for k, v in self._passages.items()}
            )
        return self._corpus

    def _trust(self, known: set[int], query: np.ndarray | None = None) -> dict[int, float]:
        """Partners of the seeker's partners, scored Adamic-Adar style: a shared partner that
        works with few others is stronger evidence than a hub that works with everyone. With
        `weights.trust_topical` > 0, a partner close to the query (best passage cosine) passes on
        more: the partners that fit this need bring the introductions."""
        trust: dict[int, float] = {}
        topical = self.weights.trust_topical
        for partner_id in known:
            partner = self._profiles.get(partner_id)
            if partner is None:
                continue
            theirs = self.neighbours(partner)
            weight = 1.0 / np.log(2.0 + len(theirs))
            if topical > 0 and query is not None and len(query) and partner_id in self._passages:
                ids = _passage_ids(partner_id, len(self._passages[partner_id]))
                closeness = float((self.index.vectors(ids) @ query.T).max())
                weight *= max(closeness, 0.0) ** topical
            for other in theirs:
                trust[other] = trust.get(other, 0.0) + weight
        return trust

    def _peers(self, query: np.ndarray) -> tuple[dict[int, float], dict[int, int]]:
        """Partners of the `weights.peer_count` profiles closest to the need (the whole index,
        whatever the filters): an organisation that has worked with the ones active on this
        topic is likely to join such a consortium. Each peer counts Adamic-Adar style,
        1/log(2 + its partners). Returns the score and the number of such peers per profile."""
        count = self.weights.peer_count
        score: dict[int, float] = {}
        peers_of: dict[int, int] = {}
        if count == 0 or not len(query):
            return score, peers_of
        for peer_id in self._dense_candidates(query, None, count):
            peer = self._profiles.get(int(peer_id))
            if peer is None:
                continue
            theirs = self.neighbours(peer)
            weight = 1.0 / np.log(2.0 + len(theirs))
            for other in theirs:
                score[other] = score.get(other, 0.0) + weight
                peers_of[other] = peers_of.get(other, 0) + 1
        return score, peers_of

    @staticmethod
    def _rows_of(corpus: Corpus, profile_ids: set[int], mask: np.ndarray) -> np.ndarray:
        """Corpus rows of these profiles that pass the mask."""
        if not profile_ids:
            return np.zeros(0, dtype=np.int64)
        wanted = np.array(sorted(profile_ids), dtype=np.int64)
        rows = np.searchsorted(corpus.ids, wanted)
        inside = rows < len(corpus.ids)
        rows, wanted = rows[inside], wanted[inside]
        rows = rows[corpus.ids[rows] == wanted]
        return rows[mask[rows]]

    def _dense_candidates(
        self, vectors: np.ndarray, allowed: np.ndarray | None, n: int
    ) -> np.ndarray:
        if not len(vectors) or not self.index.count():
            return np.zeros(0, dtype=np.int64)
        scores, ids = self.index.search(vectors, n * 4, allowed)
        scores, ids = scores.ravel(), ids.ravel()
        hit = ids >= 0
        scores, profile_ids = scores[hit], ids[hit] >> 8
        best = order(scores, profile_ids)
        profile_ids, first = np.unique(profile_ids[best], return_index=True)
        top = order(scores[best][first], profile_ids)[:n]
        return profile_ids[top]

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
        w = self.weights
        tokens = tokenize([query.text])[0]
        with self._lock:
            corpus = self._current_corpus()
            known: set[int] = set()
            excluded_regions: list[str] = []
            if seeker is not None:
                known = self.neighbours(seeker)
                own = nuts2_of(seeker.region)
                if own and not include_own_region:
                    excluded_regions.append(own)
            mask = corpus.mask(
                filters,
                exclude_ids=(set() if include_known_partners else known)
                | ({seeker.id} if seeker else set()),
                exclude_region_prefixes=excluded_regions,
            )
            if not mask.any():
                return None
            lexical_all = corpus.bm25_scores(tokens)
            lexical_rows = top_rows(lexical_all, corpus.ids, mask, n)
            allowed = None if mask.all() else corpus.passage_ids[mask[corpus.passage_rows]]
            dense_ids = self._dense_candidates(query.vectors, allowed, n)
            trust_of = self._trust(known, query.vectors)
            peer_score, peers_of = self._peers(query.vectors)
            graph = set(sorted(trust_of, key=lambda i: (-trust_of[i], i))[:n])
            if w.peer_candidates:
                graph |= set(sorted(peer_score, key=lambda i: (-peer_score[i], i))[:n])
            if include_known_partners:
                graph |= known
            rows = np.union1d(lexical_rows, np.searchsorted(corpus.ids, dense_ids))
            rows = np.union1d(rows, self._rows_of(corpus, graph, mask))
            rows = rows[[int(corpus.ids[r]) in self._profiles for r in rows]]  # never a deleted one
            if not len(rows):
                return None
            ids = corpus.ids[rows]
            candidates = [self._profiles[int(i)] for i in ids]
            passages = [self._passages[int(i)] for i in ids]
            counts = np.array([len(p) for p in passages], dtype=np.int64)
            fields = np.concatenate([self._fields[int(i)] for i in ids])
            vectors = self.index.vectors(
                np.concatenate(
                    [_passage_ids(int(i), int(c)) for i, c in zip(ids, counts, strict=True)]
                )
            )
            offers = np.zeros((0, vectors.shape[1]), dtype=np.float32)
            if seeker is not None and seeker.id in self._passages:
                mine = np.flatnonzero(self._fields[seeker.id] == FIELD_CODES["offer"])
                offers = self.index.vectors((np.int64(seeker.id) << 8) | mine.astype(np.int64))
            common = np.array(
                [len(self.neighbours(c) & known) for c in candidates], dtype=np.float64
            )
            trust = np.array([trust_of.get(int(i), 0.0) for i in ids], dtype=np.float64)
            peers = np.array([peer_score.get(int(i), 0.0) for i in ids], dtype=np.float64)
            topical_partners = np.array([peers_of.get(int(i), 0) for i in ids], dtype=np.int64)
            is_known = np.array([int(i) in known for i in ids], dtype=np.float64)
            activity = log_scaled(corpus.activity[rows], float(corpus.activity.max(initial=0)))
            lexical = scaled(lexical_all[rows].astype(np.float64))

        starts = np.cumsum(counts) - counts
        sims = (vectors @ query.vectors.T) * passage_weights(fields, query.is_need, w)
        best_part = sims.argmax(axis=1)
        best_sim = sims.max(axis=1)
        semantic = np.clip(np.maximum.reduceat(best_sim, starts), 0.0, None).astype(np.float64)
        reciprocal = np.zeros(len(ids), dtype=np.float64)
        if len(offers):
            need_sim = np.where(
                fields == FIELD_CODES["need"], (vectors @ offers.T).max(axis=1), 0.0
            )
            reciprocal = np.clip(np.maximum.reduceat(need_sim, starts), 0.0, None)
        components = {
            "semantic": semantic,
            "lexical": lexical,
            "reciprocal": reciprocal,
            "activity": activity,
            "kind": np.array([w.kind_prior.get(c.kind.value, 0.0) for c in candidates]),
            "trust": log_scaled(trust, float(trust.max(initial=0))),
            "peers": np.log1p(peers),
            "known": is_known if include_known_partners else np.zeros(len(ids)),
            "proximity": np.array(
                [float(seeker is not None and c.country == seeker.country) for c in candidates]
            ),
        }
        return Scored(
            ids=ids,
            rows=rows,
            candidates=candidates,
            passages=passages,
            counts=counts,
            starts=starts,
            best_sim=best_sim,
            best_part=best_part,
            components=components,
            common=common,
            topical_partners=topical_partners,
            tokens=tokens,
            corpus=corpus,
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
        results = []
        for j in page:
            start, count = scored.starts[j], scored.counts[j]
            local = int(np.argmax(scored.best_sim[start : start + count]))
            part = int(scored.best_part[start + local])
            candidate = scored.candidates[j]
            results.append(
                MatchResult(
                    profile=candidate,
                    score=round(float(scores[j]), 6),
                    explanation=explain.explain(
                        candidate=candidate,
                        passage=scored.passages[j][local],
                        query_part=query.parts[part],
                        part_is_need=bool(query.is_need[part]),
                        components={k: float(v[j]) for k, v in scored.components.items()},
                        terms=explain.shared_terms(
                            scored.tokens,
                            candidate,
                            scored.corpus.idf,
                            scored.corpus.shared_tokens(scored.tokens, int(scored.rows[j])),
                        ),
                        sectors=explain.shared_sectors(candidate, wanted),
                        common_partners=int(scored.common[j]),
                        seeker=seeker,
                        topical_partners=int(scored.topical_partners[j]),
                    ),
                )
            )
        return MatchesPublic(data=results, count=len(results))
