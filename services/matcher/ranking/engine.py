"""The match engine: profiles in, explained ranked partners out. No HTTP; usable in-process
(the quality evaluation builds one over the CORDIS profiles)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import fasteners
import numpy as np

from crosslink.errors import NotFound
from models.matching import MatchesPublic, MatchFilters, MatchRequest, MatchResult
from models.profiles import Change, ChangeOp, ProfilePublic
from models.reference import nuts2_of
from services.matcher import explain, snapshot
from services.matcher.corpus import (
    Columns,
    Corpus,
    Lexicon,
    ShuttingDown,
    Vocabulary,
    build_elsewhere,
    columns_of,
    profile_text,
    shared_tokens,
    tokenize,
)
from services.matcher.encoder import FIELD_CODES, PASSAGE_SCHEME, Encoder, Passage
from services.matcher.index import FaissIndex, VectorIndex
from services.matcher.ranking import (
    RankingWeights,
    log_scaled,
    order,
    passage_weights,
    scaled,
    top_rows,
)
from services.matcher.store import PassageStore

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
    query_ids: dict[str, int]  # the query's tokens that have a vocabulary id
    candidate_tokens: list[np.ndarray]  # each candidate's token ids
    corpus: Corpus


def _passage_ids(profile_id: int, count: int) -> np.ndarray:
    return (np.int64(profile_id) << 8) | np.arange(count, dtype=np.int64)


def _fits(state: snapshot.EngineState, profiles: int) -> bool:
    """The saved state has one entry per profile and per passage, and in-range references."""
    passages = int(state.passage_counts.sum())
    return (
        len(state.passage_counts) == profiles == len(state.token_counts)
        and len(state.passage_fields) == len(state.passage_indexes) == passages
        and len(state.passage_texts) == passages
        and len(state.texts) == len(state.vectors)
        and int(state.token_counts.sum()) == len(state.token_ids)
        and (passages == 0 or int(state.passage_texts.max()) < len(state.texts))
        and (len(state.token_ids) == 0 or int(state.token_ids.max()) < len(state.vocabulary))
    )


def _restore(
    state: snapshot.EngineState, profiles: list[ProfilePublic]
) -> tuple[dict[int, list[Passage]], list[np.ndarray], dict[str, int], list[np.ndarray]]:
    """Passages, token ids, the vocabulary and passage vectors per profile from saved state."""
    names = {code: name for name, code in FIELD_CODES.items()}
    fields = state.passage_fields.tolist()
    indexes = state.passage_indexes.tolist()
    which = state.passage_texts.tolist()
    texts = state.texts
    passages: dict[int, list[Passage]] = {}
    vectors: list[np.ndarray] = []
    at = 0
    for profile, count in zip(profiles, state.passage_counts.tolist(), strict=True):
        passages[profile.id] = [
            Passage(
                field=names[fields[k]],  # type: ignore[arg-type]
                index=None if indexes[k] < 0 else indexes[k],
                text=texts[which[k]],
            )
            for k in range(at, at + count)
        ]
        vectors.append(state.vectors[state.passage_texts[at : at + count]])
        at += count
    ends = np.cumsum(state.token_counts)
    tokens = np.split(state.token_ids, ends[:-1]) if len(ends) else []
    vocabulary = {token: i for i, token in enumerate(state.vocabulary)}
    return passages, tokens, vocabulary, vectors


class MatchEngine:
    """Profiles, their passage vectors and the ranking over them.

    Writes (upsert, delete, apply, load) hold a write lock; matches and snapshots a read lock, so
    they run side by side (at most `concurrency` matches at once); encoding runs outside it.

    Args:
        encoder: turns passages and queries into normalised vectors.
        index: the vector index (a fresh FaissIndex by default).
        weights: the ranking weights.
        lexicon_inline_below: profile count under which BM25 is rebuilt on the query path;
            above it, in a helper process while queries use the previous one.
        concurrency: matches computed at once (default: cores + 1).
    """

    def __init__(
        self,
        encoder: Encoder,
        index: VectorIndex | None = None,
        *,
        weights: RankingWeights | None = None,
        lexicon_inline_below: int = 2_000,
        concurrency: int | None = None,
    ) -> None:
        self.encoder = encoder
        self.index = index if index is not None else FaissIndex(encoder.dimension)
        self.weights = weights or RankingWeights()
        self.seq = 0
        self.changed = False  # since the last snapshot
        # Matches read side by side (numpy, FAISS and ONNX release the GIL); writes are
        # exclusive. Readers that find the columns or BM25 out of date rebuild them one at a
        # time under `_build_lock`.
        self._lock = fasteners.ReaderWriterLock()
        self._build_lock = threading.Lock()
        self._profiles: dict[int, ProfilePublic] = {}
        self._passages: dict[int, list[Passage]] = {}
        self._fields: dict[int, np.ndarray] = {}
        self._columns: dict[int, Columns] = {}  # corpus column values per profile
        # Passage vectors for scoring candidates, each distinct text once (store.py); each
        # profile holds the rows of its passages.
        self._store = PassageStore(encoder.dimension)
        self._store_rows: dict[int, np.ndarray] = {}
        self._by_external: dict[str, int] = {}
        self._partners_of: dict[str, set[int]] = {}
        # Each indexed profile's partners in either direction (sorted ids), built on first use
        # and dropped only for the profiles a write touches.
        self._neighbours: dict[int, np.ndarray] = {}
        self._corpus: Corpus | None = None
        # BM25: token ids per profile (tokenised once, on write) and the lexicon built from them.
        self._vocabulary = Vocabulary()
        self._tokens: dict[int, np.ndarray] = {}
        self._lexicon: Lexicon | None = None
        self._lexicon_stale = False
        self._lexicon_thread: threading.Thread | None = None
        # Below this many profiles the lexicon is rebuilt inline (well under a second), so small
        # deployments and tests see every write in BM25 at once.
        self.lexicon_inline_below = lexicon_inline_below
        # Matches in flight at once; more wait their turn. Past one per core plus one, threads
        # only fight over the GIL and the caches (full set, 2 cores: 61 matches/s with 3 in
        # flight, 43/s with 8).
        self._slots = threading.BoundedSemaphore(concurrency or (os.cpu_count() or 1) + 1)

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
        with self._lock.write_lock():
            self.seq = max(self.seq, seq)

    def _commit(self, profiles: list[ProfilePublic], deletes: list[int], seq: int | None) -> None:
        latest = {p.id: p.model_copy(update={"contact": None}) for p in profiles}
        passages = dict(zip(latest, self.encoder.passages_many(list(latest.values())), strict=True))
        # Unchanged text (e.g. only partners changed) keeps its vectors.
        encode = [pid for pid in latest if self._passages.get(pid) != passages[pid]]
        texts = [p.text for pid in encode for p in passages[pid]]
        vectors = self.encoder.encode(texts)
        words = tokenize([profile_text(p) for p in latest.values()])
        with self._lock.write_lock():
            for pid, tokens in zip(latest, words, strict=True):
                self._tokens[pid] = self._vocabulary.encode(tokens)
            for pid in deletes:
                self._tokens.pop(pid, None)
            stale = [pid for pid in [*encode, *deletes] if pid in self._passages]
            self.index.remove(self._ids_of(stale))
            self.index.add(
                np.concatenate(
                    [_passage_ids(pid, len(passages[pid])) for pid in encode]
                    + [np.zeros(0, dtype=np.int64)]
                ),
                vectors,
            )
            fresh = dict(
                zip(
                    encode,
                    np.split(vectors, np.cumsum([len(passages[pid]) for pid in encode])[:-1])
                    if encode
                    else [],
                    strict=True,
                )
            )
            for pid in deletes:
                self._forget(pid)
            for pid, profile in latest.items():
                texts = [p.text for p in passages[pid]]
                if pid in fresh:
                    rows = self._store.add(texts, fresh[pid])
                else:  # same texts: the same rows, one more reference before _forget's release
                    rows = self._store.retain(self._store_rows[pid])
                self._forget(pid)
                self._remember(profile, passages[pid], rows)
            if seq is not None:
                self.seq = max(self.seq, seq)
            self._corpus = None
            self._lexicon_stale = True
            self.changed = True

    def _ids_of(self, profile_ids: list[int]) -> np.ndarray:
        return np.concatenate(
            [_passage_ids(pid, len(self._passages[pid])) for pid in profile_ids]
            + [np.zeros(0, dtype=np.int64)]
        )

    def _touch(self, profile: ProfilePublic) -> None:
        """Drop the cached neighbours of this profile and of every profile linked to it (the
        only ones whose partner sets a write of this profile changes)."""
        self._neighbours.pop(profile.id, None)
        for partner in profile.partners:
            if (other := self._by_external.get(partner)) is not None:
                self._neighbours.pop(other, None)
        if profile.external_id:
            for other in self._partners_of.get(profile.external_id, ()):
                self._neighbours.pop(other, None)

    def _remember(self, profile: ProfilePublic, passages: list[Passage], rows: np.ndarray) -> None:
        self._profiles[profile.id] = profile
        self._passages[profile.id] = passages
        self._store_rows[profile.id] = rows
        self._fields[profile.id] = np.array([FIELD_CODES[p.field] for p in passages], dtype=np.int8)
        self._columns[profile.id] = columns_of(profile)
        if profile.external_id:
            self._by_external[profile.external_id] = profile.id
        for partner in profile.partners:
            self._partners_of.setdefault(partner, set()).add(profile.id)
        self._touch(profile)

    def _forget(self, profile_id: int) -> None:
        old = self._profiles.pop(profile_id, None)
        self._passages.pop(profile_id, None)
        self._fields.pop(profile_id, None)
        self._columns.pop(profile_id, None)
        rows = self._store_rows.pop(profile_id, None)
        if rows is not None:
            self._store.release(rows)
        if old is None:
            return
        self._touch(old)
        if old.external_id and self._by_external.get(old.external_id) == profile_id:
            del self._by_external[old.external_id]
        for partner in old.partners:
            self._partners_of.get(partner, set()).discard(profile_id)

    def passage_vectors(self, profile_id: int) -> np.ndarray:
        """A profile's passage vectors (float32, one row per passage)."""
        return self._store.vectors(self._store_rows[profile_id])

    def neighbour_ids(self, profile: ProfilePublic) -> np.ndarray:
        """Known partners, in either direction, that are in the index, as sorted int64 ids;
        cached per indexed profile until a write touches it or one of its partners (active
        organisations list thousands of partners)."""
        indexed = self._profiles.get(profile.id) is profile
        if indexed and (cached := self._neighbours.get(profile.id)) is not None:
            return cached
        ids = {self._by_external[e] for e in profile.partners if e in self._by_external}
        if profile.external_id:
            ids |= self._partners_of.get(profile.external_id, set())
        ids.discard(profile.id)
        found = np.array(sorted(ids), dtype=np.int64)
        if indexed:
            self._neighbours[profile.id] = found
        return found

    # --- snapshots ----------------------------------------------------------------------------

    def save(self, directory: Path) -> snapshot.Manifest:
        """Write a snapshot of the index, the profiles, the derived state (passages, their
        vectors, BM25 token ids) and the applied seq. The state is copied under the read lock
        and written outside it, so matching goes on while the files are written."""
        empty = np.zeros(0, dtype=np.int64)
        with self._lock.read_lock():
            index = self.index.frozen() if isinstance(self.index, FaissIndex) else self.index
            profiles = list(self._profiles.values())
            seq = self.seq
            passages = [self._passages[p.id] for p in profiles]
            rows = np.concatenate([*(self._store_rows[p.id] for p in profiles), empty])
            tokens = [self._tokens.get(p.id, empty.astype(np.int32)) for p in profiles]
            vocabulary = list(self._vocabulary.ids)
            distinct, inverse = np.unique(rows, return_inverse=True)
            vectors = np.array(self._store.vectors(distinct), dtype=np.float32)
            self.changed = False
        try:
            flat = [p for found in passages for p in found]
            texts = [""] * len(distinct)
            for passage, at in zip(flat, inverse.tolist(), strict=True):
                texts[at] = passage.text
            state = snapshot.EngineState(
                passage_counts=np.array([len(x) for x in passages], dtype=np.int64),
                passage_fields=np.array([FIELD_CODES[p.field] for p in flat], dtype=np.int8),
                passage_indexes=np.array(
                    [-1 if p.index is None else p.index for p in flat], dtype=np.int32
                ),
                passage_texts=inverse.astype(np.int64),
                texts=texts,
                vectors=vectors,
                token_counts=np.array([len(t) for t in tokens], dtype=np.int64),
                token_ids=np.concatenate([*tokens, np.zeros(0, dtype=np.int32)]).astype(np.int32),
                vocabulary=vocabulary,
            )
            return snapshot.write(
                directory,
                index=index,
                profiles=profiles,
                seq=seq,
                model=self.encoder.name,
                passages=PASSAGE_SCHEME,
                state=state,
            )
        except BaseException:
            self.changed = True
            raise

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
        if manifest.passages != PASSAGE_SCHEME:
            log.warning(
                "snapshot cut profiles into passages by %r, now %r: rebuilding from seq 0",
                manifest.passages,
                PASSAGE_SCHEME,
            )
            return False
        profiles = snapshot.read_profiles(directory, manifest)
        state = snapshot.read_state(directory, manifest)
        if state is not None and not _fits(state, len(profiles)):
            log.warning("snapshot engine state does not fit its profiles: deriving it again")
            state = None
        if state is not None:
            passages, tokens, vocabulary, vectors = _restore(state, profiles)
        else:  # an older snapshot: split, tokenise, and read the vectors back from the index
            passages = {
                p.id: found
                for p, found in zip(profiles, self.encoder.passages_many(profiles), strict=True)
            }
            tokens, vocabulary, vectors = None, None, None
        words = tokenize([profile_text(p) for p in profiles]) if tokens is None else None
        with self._lock.write_lock():
            self.index.load(snapshot.index_path(directory, manifest))
            if self.index.count() != sum(len(v) for v in passages.values()):
                log.warning("snapshot index and profiles disagree: rebuilding from seq 0")
                self.index = FaissIndex(self.encoder.dimension)
                return False
            if vectors is None:
                ids = np.concatenate(
                    [_passage_ids(p.id, len(passages[p.id])) for p in profiles]
                    + [np.zeros(0, dtype=np.int64)]
                )
                vectors = np.split(
                    self.index.vectors(ids),
                    np.cumsum([len(passages[p.id]) for p in profiles])[:-1],
                )
            if vocabulary is not None:
                self._vocabulary.ids = vocabulary
            for i, profile in enumerate(profiles):
                texts = [p.text for p in passages[profile.id]]
                self._remember(profile, passages[profile.id], self._store.add(texts, vectors[i]))
                self._tokens[profile.id] = (
                    tokens[i] if tokens is not None else self._vocabulary.encode(words[i])  # type: ignore[index]
                )
            self.seq = manifest.seq
            self._neighbours.clear()
            self._corpus = None
            self._lexicon_stale = True
            self.changed = False
        log.info(
            "loaded snapshot %s: %d profiles at seq %d%s",
            manifest.snapshot,
            len(profiles),
            manifest.seq,
            "" if state is not None else " (engine state derived again)",
        )
        return True

    # --- matching -----------------------------------------------------------------------------

    def match(self, request: MatchRequest) -> MatchesPublic:
        """Rank partners for a free-text need, optionally on behalf of a seeker profile."""
        with self._slots:
            return self._match(request)

    def _match(self, request: MatchRequest) -> MatchesPublic:
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
        with self._slots:
            return self._profile_query(
                profile_id,
                filters or MatchFilters(),
                limit,
                offset,
                include_own_region,
                include_known_partners,
            )

    def _profile_query(
        self,
        profile_id: int,
        filters: MatchFilters,
        limit: int,
        offset: int,
        include_own_region: bool,
        include_known_partners: bool,
    ) -> MatchesPublic:
        with self._lock.read_lock():
            seeker = self._profiles.get(profile_id)
            if seeker is None:
                raise NotFound(f"profile {profile_id} not found; it may not be synced yet")
            passages = self._passages[profile_id]
            chosen = [i for i, p in enumerate(passages) if p.field in ("description", "need")]
            vectors = self.passage_vectors(profile_id)[chosen]
        query = Query(
            parts=[passages[i].text for i in chosen],
            is_need=np.array([passages[i].field == "need" for i in chosen], dtype=bool),
            vectors=vectors,
            text="\n".join([seeker.description, *seeker.needs]),
        )
        return self._rank(
            query,
            seeker,
            filters,
            limit,
            offset,
            include_own_region,
            include_known_partners,
        )

    def warm(self) -> None:
        """Build what the first query needs (the follower calls this before reporting ready):
        the columns, BM25 and every profile's partner set (~1 s for the full CORDIS set; a
        cold set cost the first matches after a restart ~10 ms each)."""
        with self._lock.read_lock():
            self._current_corpus()
            for profile in self._profiles.values():
                self.neighbour_ids(profile)

    def reading(self) -> contextlib.AbstractContextManager[object]:
        """A read lock: the profiles, passages and index do not change while it is held."""
        return self._lock.read_lock()

    def _current_corpus(self) -> Corpus:
        """The columns, rebuilt if profiles changed; BM25 as fresh as the lexicon is (call with
        the read lock held)."""
        corpus = self._corpus
        if (
            corpus is not None
            and corpus.lexicon is self._lexicon
            and not (self._lexicon_stale and len(self._tokens) < self.lexicon_inline_below)
            and not (self._lexicon_stale and not self._rebuilding())
        ):
            return corpus
        with self._build_lock:
            return self._rebuild_corpus()

    def _rebuilding(self) -> bool:
        return self._lexicon_thread is not None and self._lexicon_thread.is_alive()

    def _rebuild_corpus(self) -> Corpus:
        if self._lexicon is None or (
            self._lexicon_stale and len(self._tokens) < self.lexicon_inline_below
        ):
            self._lexicon = Lexicon.build(self._tokens, len(self._vocabulary))
            self._lexicon_stale = False
        elif self._lexicon_stale:
            self._refresh_lexicon()
        if self._corpus is None:
            self._corpus = Corpus.build(
                self._columns, self._fields, self._store_rows, self._lexicon
            )
        elif self._corpus.lexicon is not self._lexicon:
            self._corpus = self._corpus.with_lexicon(self._lexicon)
        return self._corpus

    def settle(self, timeout: float | None = None) -> None:
        """Wait until a BM25 rebuild in the background (if any) has landed."""
        thread = self._lexicon_thread
        if thread is not None:
            thread.join(timeout)

    def _refresh_lexicon(self) -> None:
        """Rebuild BM25 off the query path (one at a time; it repeats while writes keep coming):
        a thread hands the token ids to a helper process (`build_elsewhere`), so the ~7 s of
        mostly-Python indexing on the full set does not share the interpreter with the
        matches. Queries meanwhile use the previous lexicon. Call with `_build_lock` held."""
        if self._rebuilding():
            return

        def rebuild() -> None:
            while True:
                with self._lock.read_lock(), self._build_lock:
                    if not self._lexicon_stale:
                        return
                    tokens, size = dict(self._tokens), len(self._vocabulary)
                    self._lexicon_stale = False
                started = time.perf_counter()
                try:
                    lexicon = build_elsewhere(tokens, size)
                except Exception as exc:
                    if isinstance(exc, ShuttingDown):
                        log.info("BM25 rebuild skipped: the matcher is shutting down")
                    else:
                        log.exception("BM25 rebuild failed; the next query retries it")
                    with self._build_lock:
                        self._lexicon_stale = True
                    return
                with self._build_lock:
                    self._lexicon = lexicon
                log.info(
                    "BM25 rebuilt over %d profiles in %.1fs",
                    len(tokens),
                    time.perf_counter() - started,
                )

        self._lexicon_thread = threading.Thread(target=rebuild, name="bm25-rebuild", daemon=True)
        self._lexicon_thread.start()

    def _spread(
        self, corpus: Corpus, sources: np.ndarray, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per corpus row: the sum, over the `sources` (profile ids) it has worked with, of
        each source's weight / log(2 + the source's partner count) (Adamic-Adar: a source
        that works with few others says more), and the number of such sources."""
        lists = [self.neighbour_ids(self._profiles[int(i)]) for i in sources]
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

    def _closeness(self, profile_ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Each profile's best passage cosine to any query vector (0 without passages)."""
        parts = [self._store_rows[int(i)] for i in profile_ids]
        counts = np.array([len(x) for x in parts], dtype=np.int64)
        best = np.zeros(len(parts), dtype=np.float64)
        has = counts > 0
        if has.any():
            sims = self._store.similarities(np.concatenate(parts), query).max(axis=1)
            starts = (np.cumsum(counts) - counts)[has]
            best[has] = np.maximum.reduceat(sims, starts)
        return best

    def _trust(
        self, corpus: Corpus, known: np.ndarray, query: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Partners of the seeker's partners (`known`, ids), per corpus row, scored Adamic-Adar
        style: a shared partner that works with few others is stronger evidence than a hub
        that works with everyone. With `weights.trust_topical` > 0, a partner close to the
        query (best passage cosine) passes on more: the partners that fit this need bring the
        introductions. Returns the score and how many partners lead to each row."""
        known = np.array([i for i in known.tolist() if i in self._profiles], dtype=np.int64)
        topical = self.weights.trust_topical
        weights = None
        if topical > 0 and query is not None and len(query) and len(known):
            weights = np.maximum(self._closeness(known, query), 0.0) ** topical
        return self._spread(corpus, known, weights)

    def _peers(
        self, query: np.ndarray, corpus: Corpus, hits: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Partners of the `weights.peer_count` profiles closest to the need (the whole index,
        whatever the filters), per corpus row: an organisation that has worked with the ones
        active on this topic is likely to join such a consortium. Each peer counts
        Adamic-Adar style, 1/log(2 + its partners). Returns the score and the number of such
        peers per row. `hits`: an unfiltered passage search of at least 4 x peer_count per
        query vector, when the caller has one."""
        count = self.weights.peer_count
        if count == 0 or not len(query):
            return np.zeros(len(corpus.ids)), np.zeros(len(corpus.ids), dtype=np.int64)
        if hits is None:
            hits = self._search(query, corpus, np.ones(len(corpus.ids), dtype=bool), count * 4)
        peers = self._best_profiles(hits[0][:, : count * 4], hits[1][:, : count * 4], count)
        return self._spread(corpus, peers[[int(i) in self._profiles for i in peers]])

    @staticmethod
    def _best_reached(corpus: Corpus, score: np.ndarray, reached: np.ndarray, n: int) -> np.ndarray:
        """Rows of the n best-scored profiles among those reached (ties by id)."""
        rows = np.flatnonzero(reached)
        return rows[order(score[rows], corpus.ids[rows])[:n]]

    @staticmethod
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

    def _search(
        self, vectors: np.ndarray, corpus: Corpus, mask: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top-k passages (scores, ids; one row per query vector) of the profiles in the
        mask."""
        if not len(vectors) or not self.index.count():
            empty = np.zeros((len(vectors), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        passes = mask[corpus.passage_rows]
        if passes.all():
            return self.index.search(vectors, k)
        if passes.sum() * 2 <= len(passes):
            return self.index.search(vectors, k, corpus.passage_ids[passes])
        # a few excluded (the seeker's region, its partners): name those instead
        return self.index.search(vectors, k, excluded=corpus.passage_ids[~passes])

    @staticmethod
    def _best_profiles(scores: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
        """The n profiles with the best passages among these hits (ties by id)."""
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
        with self._lock.read_lock():
            corpus = self._current_corpus()
            query_ids = self._vocabulary.known(tokens)
            known_ids = np.zeros(0, dtype=np.int64)
            excluded_regions: list[str] = []
            if seeker is not None:
                known_ids = self.neighbour_ids(seeker)
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
            lexical_all = corpus.bm25_scores(list(query_ids.values()))
            lexical_rows = top_rows(lexical_all, corpus.ids, mask, n)
            # Without filters the dense candidates and the peers come from one search: the
            # first k hits of a search are the hits of a search for k.
            unfiltered = bool(mask.all())
            k = n * 4
            if unfiltered:
                k = max(k, w.peer_count * 4)
            hits = self._search(query.vectors, corpus, mask, k)
            dense_ids = self._best_profiles(hits[0][:, : n * 4], hits[1][:, : n * 4], n)
            trust_all, trusted_by = self._trust(corpus, known_ids, query.vectors)
            peer_all, peers_all = self._peers(query.vectors, corpus, hits if unfiltered else None)
            graph = self._best_reached(corpus, trust_all, trusted_by > 0, n)
            if w.peer_candidates:
                graph = np.union1d(graph, self._best_reached(corpus, peer_all, peers_all > 0, n))
            graph = graph[mask[graph]]
            if include_known_partners:
                graph = np.union1d(graph, self._rows_of(corpus, known, mask))
            rows = np.union1d(lexical_rows, np.searchsorted(corpus.ids, dense_ids))
            rows = np.union1d(rows, graph)
            # The corpus was built after the last write and writes wait for this read lock,
            # so every row is a live profile.
            if not len(rows):
                return None
            ids = corpus.ids[rows]
            id_list = ids.tolist()  # plain ints: ~700 dict lookups x 3 without numpy scalars
            candidates = list(map(self._profiles.__getitem__, id_list))
            passages = list(map(self._passages.__getitem__, id_list))
            counts = corpus.passage_counts[rows]
            at = corpus.passages_of(rows)
            fields = corpus.passage_fields[at]
            starts = np.cumsum(counts) - counts
            store_rows = corpus.passage_store_rows[at]
            sims = self._store.similarities(store_rows, query.vectors)
            offers = np.zeros((0, self.encoder.dimension), dtype=np.float32)
            if seeker is not None and seeker.id in self._passages:
                mine = np.flatnonzero(self._fields[seeker.id] == FIELD_CODES["offer"])
                offers = self.passage_vectors(seeker.id)[mine]
            offer_sims = (
                self._store.similarities(store_rows, offers).max(axis=1) if len(offers) else None
            )
            common: np.ndarray = np.zeros(len(ids), dtype=np.float64)
            if len(known_ids):
                is_partner = np.zeros(len(corpus.ids), dtype=bool)
                is_partner[np.searchsorted(corpus.ids, known_ids)] = True
                lists = [self.neighbour_ids(c) for c in candidates]
                sizes = np.array([len(x) for x in lists], dtype=np.int64)
                targets = np.concatenate([*lists, np.zeros(0, dtype=np.int64)])
                common = np.bincount(
                    np.repeat(np.arange(len(ids)), sizes),
                    weights=is_partner[np.searchsorted(corpus.ids, targets)],
                    minlength=len(ids),
                )
            trust = trust_all[rows]
            peers = peer_all[rows]
            topical_partners = peers_all[rows].astype(np.int64)
            is_known = np.isin(ids, known_ids).astype(np.float64)
            activity = log_scaled(corpus.activity[rows], float(corpus.activity.max(initial=0)))
            lexical = scaled(lexical_all[rows].astype(np.float64))
            candidate_tokens = list(map(self._tokens.__getitem__, id_list))
            kinds, kind_at = np.unique(corpus.kinds[rows], return_inverse=True)
            kind_prior = np.array([w.kind_prior.get(str(k), 0.0) for k in kinds])[kind_at]
            proximity = np.zeros(len(ids))
            if seeker is not None:
                proximity = (corpus.countries[rows] == seeker.country).astype(np.float64)

        sims = sims * passage_weights(fields, query.is_need, w)
        best_part = sims.argmax(axis=1)
        best_sim = sims.max(axis=1)
        semantic = np.clip(np.maximum.reduceat(best_sim, starts), 0.0, None).astype(np.float64)
        reciprocal = np.zeros(len(ids), dtype=np.float64)
        if offer_sims is not None:
            need_sim = np.where(fields == FIELD_CODES["need"], offer_sims, 0.0)
            reciprocal = np.clip(np.maximum.reduceat(need_sim, starts), 0.0, None)
        components = {
            "semantic": semantic,
            "lexical": lexical,
            "reciprocal": reciprocal,
            "activity": activity,
            "kind": kind_prior,
            "trust": log_scaled(trust, float(trust.max(initial=0))),
            "peers": np.log1p(peers),
            "known": is_known if include_known_partners else np.zeros(len(ids)),
            "proximity": proximity,
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
            query_ids=query_ids,
            candidate_tokens=candidate_tokens,
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
                            lambda t: scored.corpus.lexicon.idf(scored.query_ids.get(t)),
                            shared_tokens(scored.query_ids, scored.candidate_tokens[j]),
                        ),
                        sectors=explain.shared_sectors(candidate, wanted),
                        common_partners=int(scored.common[j]),
                        seeker=seeker,
                        topical_partners=int(scored.topical_partners[j]),
                    ),
                )
            )
        return MatchesPublic(data=results, count=len(results))
