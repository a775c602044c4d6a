"""The profile index: owns every write (upsert, delete, a page of the change feed, snapshot
restore) and the state derived from the profiles — passages and their ids, the vector index,
the passage store, BM25 token ids, the filter columns and the partner graph — and hands out a
read-only `ProfileView` of it.

Writes hold a write lock; readers a read lock, so matches and snapshots run side by side;
encoding runs outside it. Readers that find the columns or BM25 out of date rebuild them one at
a time under a build lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING

import fasteners
import numpy as np

from models.profiles import Change, ChangeOp, ProfilePublic
from services.matcher.index.columns import Columns, Corpus, columns_of
from services.matcher.index.graph import PartnerGraph
from services.matcher.index.ids import passage_ids
from services.matcher.index.lexicon import LexiconKeeper
from services.matcher.index.snapshot_index import Snapshots
from services.matcher.index.store import PassageStore
from services.matcher.index.vectors import FaissIndex, VectorIndex
from services.matcher.index.view import ProfileView
from services.matcher.text import FIELD_CODES, Passage, Vocabulary, profile_text, tokenize
from services.matcher.text.language import UNKNOWN, load_detector, profile_language

if TYPE_CHECKING:
    from services.matcher.embedding import Encoder

__all__ = ["ProfileIndex"]

log = logging.getLogger("crosslink.matcher.index")


class ProfileIndex(Snapshots):
    """Profiles, their passages and vectors, and everything searched or filtered over them.

    Args:
        encoder: cuts profiles into passages and embeds them.
        index: the vector index (a fresh FaissIndex by default).
        lexicon_inline_below: profile count under which BM25 is rebuilt on the query path;
            above it, in a helper process while queries use the previous one.
        compact_above: distinct passage texts past which the passage store turns float16.
        trusted_hubs: owners whose one-sided partner claims the graph signals count.
    """

    def __init__(
        self,
        encoder: Encoder,
        index: VectorIndex | None = None,
        *,
        lexicon_inline_below: int = 2_000,
        compact_above: int = 262_144,
        trusted_hubs: Collection[str] = (),
    ) -> None:
        self.encoder = encoder
        self.index = index if index is not None else FaissIndex(encoder.dimension)
        self.seq = 0
        self.changed = False  # since the last snapshot
        self.writes = 0  # writes applied (what derived views compare to know they are stale)
        self._lock = fasteners.ReaderWriterLock()
        self._build_lock = threading.Lock()
        self._profiles: dict[int, ProfilePublic] = {}
        self._passages: dict[int, list[Passage]] = {}
        self._fields: dict[int, np.ndarray] = {}
        self._columns: dict[int, Columns] = {}  # corpus column values per profile
        # Passage vectors for scoring candidates, each distinct text once (store.py); each
        # profile holds the rows of its passages.
        self._store = PassageStore(encoder.dimension, compact_above=compact_above)
        self._store_rows: dict[int, np.ndarray] = {}
        self._graph = PartnerGraph(self._profiles, trusted_hubs)
        self._corpus: Corpus | None = None
        # BM25: token ids per profile (tokenised once, on write) and the lexicon built from them.
        self._vocabulary = Vocabulary()
        self._tokens: dict[int, np.ndarray] = {}
        # The language each profile is written in (text.language; "" unknown), detected on write.
        self._languages: dict[int, str] = {}
        self._lexicon = LexiconKeeper(
            self._tokens,
            self._vocabulary,
            inline_below=lexicon_inline_below,
            read_lock=self._lock.read_lock,
            build_lock=self._build_lock,
        )
        self.view = ProfileView(
            profiles=self._profiles,
            passages=self._passages,
            fields=self._fields,
            store_rows=self._store_rows,
            tokens=self._tokens,
            languages=self._languages,
            store=self._store,
            graph=self._graph,
            vocabulary=self._vocabulary,
            index=lambda: self.index,
            corpus=self._current_corpus,
            cosine_map=encoder.cosine_map,
        )

    @property
    def lexicon_inline_below(self) -> int:
        return self._lexicon.inline_below

    @lexicon_inline_below.setter
    def lexicon_inline_below(self, value: int) -> None:
        self._lexicon.inline_below = value

    def reading(self) -> contextlib.AbstractContextManager[object]:
        """A read lock: the profiles, passages and index do not change while it is held."""
        return self._lock.read_lock()

    def count(self) -> int:
        return len(self._profiles)

    def get(self, profile_id: int) -> ProfilePublic | None:
        return self._profiles.get(profile_id)

    # --- writes -------------------------------------------------------------------------------

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
        vectors = self.encoder.encode_passages(texts)
        words = tokenize([profile_text(p) for p in latest.values()])
        languages = [profile_language(p) for p in latest.values()]
        with self._lock.write_lock():
            for pid, tokens, language in zip(latest, words, languages, strict=True):
                self._tokens[pid] = self._vocabulary.encode(tokens)
                self._languages[pid] = language
            for pid in deletes:
                self._tokens.pop(pid, None)
                self._languages.pop(pid, None)
            stale = [pid for pid in [*encode, *deletes] if pid in self._passages]
            self.index.remove(self._ids_of(stale))
            self.index.add(self._ids_of(encode, passages), vectors)
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
            self._lexicon.stale = True
            self.changed = True
            self.writes += 1

    def _ids_of(
        self, profile_ids: list[int], passages: dict[int, list[Passage]] | None = None
    ) -> np.ndarray:
        of = self._passages if passages is None else passages
        return np.concatenate(
            [passage_ids(pid, len(of[pid])) for pid in profile_ids] + [np.zeros(0, dtype=np.int64)]
        )

    def _remember(self, profile: ProfilePublic, passages: list[Passage], rows: np.ndarray) -> None:
        self._profiles[profile.id] = profile
        self._passages[profile.id] = passages
        self._store_rows[profile.id] = rows
        self._fields[profile.id] = np.array([FIELD_CODES[p.field] for p in passages], dtype=np.int8)
        self._columns[profile.id] = columns_of(profile, self._languages.get(profile.id, UNKNOWN))
        self._graph.add(profile)

    def _forget(self, profile_id: int) -> None:
        old = self._profiles.pop(profile_id, None)
        self._passages.pop(profile_id, None)
        self._fields.pop(profile_id, None)
        self._columns.pop(profile_id, None)
        rows = self._store_rows.pop(profile_id, None)
        if rows is not None:
            self._store.release(rows)
        if old is not None:
            self._graph.remove(old)

    # --- columns and BM25 ---------------------------------------------------------------------

    def warm(self) -> None:
        """Build what the first query needs (the follower calls this before reporting ready):
        the columns, BM25, every profile's partner set (~1 s for the full CORDIS set; a cold
        set cost the first matches after a restart ~10 ms each) and the language detector."""
        load_detector()
        with self._lock.read_lock():
            self._current_corpus()
            for profile in self._profiles.values():
                self._graph.neighbour_ids(profile)

    def settle(self, timeout: float | None = None) -> None:
        """Wait until a BM25 rebuild in the background (if any) has landed."""
        self._lexicon.settle(timeout)

    def _activity(self, profile_id: int) -> int:
        return len(self._graph.corroborated_ids(self._profiles[profile_id]))

    def _current_corpus(self) -> Corpus:
        """The columns, rebuilt if profiles changed; BM25 as fresh as the lexicon is (call with
        the read lock held)."""
        corpus = self._corpus
        if (
            corpus is not None
            and corpus.lexicon is self._lexicon.lexicon
            and self._lexicon.fresh_enough()
        ):
            return corpus
        with self._build_lock:
            lexicon = self._lexicon.current()
            if self._corpus is None:
                self._corpus = Corpus.build(
                    self._columns, self._fields, self._store_rows, lexicon, self._activity
                )
            elif self._corpus.lexicon is not lexicon:
                self._corpus = self._corpus.with_lexicon(lexicon)
            return self._corpus
