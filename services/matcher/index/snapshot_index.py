"""The profile index's snapshots (`ProfileIndex.save` / `ProfileIndex.load`), a part of
`ProfileIndex` kept in its own module: what is written (`snapshot`, `snapshot_profiles`,
`snapshot_derived`) and how a restart restores it.

A snapshot with the engine's state restores into an empty index from arrays: the passage
store takes the saved distinct texts and vectors as its rows, each profile its slices of the
saved passage, field and token arrays, BM25 and the partner graph's links are read back. What
a snapshot lacks (an older one) is derived again as before, and the next snapshot writes it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.profiles import ProfilePublic
from services.matcher.index import snapshot, snapshot_derived
from services.matcher.index.columns import Columns, Corpus, columns_of
from services.matcher.index.vectors import FaissIndex, VectorIndex
from services.matcher.text import FIELD_CODES, Passage, Vocabulary, profile_text, tokenize
from services.matcher.text.language import UNKNOWN, profile_language

if TYPE_CHECKING:
    import fasteners

    from services.matcher.embedding import Encoder
    from services.matcher.index.graph import PartnerGraph
    from services.matcher.index.lexicon import LexiconKeeper
    from services.matcher.index.store import PassageStore

__all__ = ["Snapshots", "passages_of"]

log = logging.getLogger("crosslink.matcher.index")


def passages_of(
    state: snapshot.EngineState, profiles: list[ProfilePublic]
) -> dict[int, list[Passage]]:
    """Each profile's passages from the saved state; equal passages (partners share their
    projects' texts) are one object."""
    names = {code: name for name, code in FIELD_CODES.items()}
    keys = zip(
        state.passage_fields.tolist(),
        state.passage_indexes.tolist(),
        state.passage_texts.tolist(),
        strict=True,
    )
    made: dict[tuple[int, int, int], Passage] = {}
    flat = []
    for key in keys:
        passage = made.get(key)
        if passage is None:
            field, index, text = key
            passage = made[key] = Passage(
                field=names[field],  # type: ignore[arg-type]
                index=None if index < 0 else index,
                text=state.texts[text],
            )
        flat.append(passage)
    bounds = np.cumsum(state.passage_counts).tolist()
    starts = [0, *bounds[:-1]]
    return {p.id: flat[a:b] for p, a, b in zip(profiles, starts, bounds, strict=True)}


def _languages(state: snapshot.EngineState | None, profiles: list[ProfilePublic]) -> list[str]:
    """Each profile's language from the saved state, or detected again (a snapshot from before
    languages were kept; the next snapshot saves them)."""
    saved = None if state is None else state.languages
    if saved is not None:
        return [str(language) for language in saved.tolist()]
    return [profile_language(p) for p in profiles]


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a snapshot's objects are made: they all live on, and
    the collector's passes over the growing heap were ~0.3 s of a restart (demo data)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Snapshots:
    """`save` and `load` of `ProfileIndex` (its state, declared here for the type checker)."""

    if TYPE_CHECKING:
        encoder: Encoder
        index: VectorIndex
        seq: int
        changed: bool
        writes: int
        _lock: fasteners.ReaderWriterLock
        _profiles: dict[int, ProfilePublic]
        _passages: dict[int, list[Passage]]
        _fields: dict[int, np.ndarray]
        _columns: dict[int, Columns]
        _store: PassageStore
        _store_rows: dict[int, np.ndarray]
        _graph: PartnerGraph
        _corpus: Corpus | None
        _vocabulary: Vocabulary
        _tokens: dict[int, np.ndarray]
        _languages: dict[int, str]
        _lexicon: LexiconKeeper
        _build_lock: threading.Lock
        _ids_of: Callable[..., np.ndarray]
        _remember: Callable[[ProfilePublic, list[Passage], np.ndarray], None]

        def reading(self) -> contextlib.AbstractContextManager[object]: ...

    def save(self, directory: Path) -> snapshot.Manifest:
        """Write a snapshot of the index, the profiles, the derived state (passages, their
        vectors, BM25 token ids, BM25 when it is current, the partner links) and the applied
        seq. The state is copied under the read lock and written outside it, so matching goes
        on while the files are written."""
        empty = np.zeros(0, dtype=np.int64)
        with self.reading():
            index = self.index.frozen() if isinstance(self.index, FaissIndex) else self.index
            profiles = list(self._profiles.values())
            seq = self.seq
            passages = [self._passages[p.id] for p in profiles]
            rows = np.concatenate([*(self._store_rows[p.id] for p in profiles), empty])
            tokens = [self._tokens.get(p.id, empty.astype(np.int32)) for p in profiles]
            vocabulary = list(self._vocabulary.ids)
            languages = [self._languages.get(p.id, UNKNOWN) for p in profiles]
            distinct, inverse = np.unique(rows, return_inverse=True)
            vectors = np.array(self._store.vectors(distinct), dtype=np.float32)
            lexicon = self._lexicon.settled()
            ids = np.array(sorted(self._profiles), dtype=np.int64)
            if lexicon is not None and not (
                lexicon.size == len(vocabulary) and np.array_equal(lexicon.ids, ids)
            ):
                lexicon = None
            links = (self._graph.cached(), self._graph.trusted_hubs)
            self.changed = False
        try:
            return snapshot.write(
                directory,
                index=index,
                profiles=profiles,
                seq=seq,
                model=self.encoder.name,
                passages=snapshot.PASSAGE_SCHEME,
                state=snapshot.state_of(passages, inverse, vectors, tokens, vocabulary, languages),
                lexicon=lexicon,
                links=links,
            )
        except BaseException:
            self.changed = True
            raise

    def load(self, directory: Path) -> bool:
        """Restore a snapshot made with the same model; False (and empty) otherwise."""
        with _collection_paused():
            found = snapshot.readable(directory, self.encoder.name, self.encoder.dimension)
        if found is None:
            return False
        manifest, profiles, state = found
        with _collection_paused():
            if state is not None and not self._profiles and not len(self._store):
                restored = self._restore(directory, manifest, profiles, state)
            else:
                restored = self._derive(directory, manifest, profiles, state)
        if restored:
            log.info(
                "loaded snapshot %s: %d profiles at seq %d%s",
                manifest.snapshot,
                len(profiles),
                manifest.seq,
                "" if state is not None else " (engine state derived again)",
            )
        return restored

    def _index_fits(self, directory: Path, manifest: snapshot.Manifest, passages: int) -> bool:
        """Load the vector index; False (and an empty index) when it disagrees with the state."""
        self.index.load(snapshot.index_path(directory, manifest))
        if self.index.count() == passages:
            return True
        log.warning("snapshot index and profiles disagree: rebuilding from seq 0")
        self.index = (
            self.index.emptied()
            if isinstance(self.index, FaissIndex)
            else FaissIndex(self.encoder.dimension)
        )
        return False

    def _restore(
        self,
        directory: Path,
        manifest: snapshot.Manifest,
        profiles: list[ProfilePublic],
        state: snapshot.EngineState,
    ) -> bool:
        """Fill the empty index from the saved arrays."""
        passages = passages_of(state, profiles)
        folder = snapshot.folder(directory, manifest)
        ids = np.array(sorted(p.id for p in profiles), dtype=np.int64)
        lexicon = snapshot_derived.read_lexicon(folder, ids, len(state.vocabulary))
        links = snapshot_derived.read_links(folder, ids, self._graph.trusted_hubs)
        bounds = np.cumsum(state.passage_counts)[:-1]
        rows = np.split(state.passage_texts.astype(np.int64), bounds)
        fields = np.split(state.passage_fields.astype(np.int8), bounds)
        tokens = np.split(state.token_ids, np.cumsum(state.token_counts)[:-1])
        refs = np.bincount(state.passage_texts, minlength=len(state.texts))
        languages = _languages(state, profiles)
        with self._lock.write_lock():
            if not self._index_fits(directory, manifest, len(state.passage_texts)):
                return False
            self._vocabulary.ids = {token: i for i, token in enumerate(state.vocabulary)}
            self._store.restore(state.texts, state.vectors, refs)
            for i, profile in enumerate(profiles):
                pid = profile.id
                self._profiles[pid] = profile
                self._passages[pid] = passages[pid]
                self._store_rows[pid] = rows[i]
                self._fields[pid] = fields[i]
                self._languages[pid] = languages[i]
                self._columns[pid] = columns_of(profile, languages[i])
                self._tokens[pid] = tokens[i]
            self._graph.add_all(profiles)
            self._graph.restore(links)
            if lexicon is not None:
                self._lexicon.restore(lexicon)
            else:
                self._lexicon.stale = True
            self.seq = manifest.seq
            self._corpus = None
            # What this snapshot lacked is derived at warm-up; the next snapshot keeps it.
            self.changed = (
                lexicon is None
                or (bool(profiles) and not links)
                or (bool(profiles) and state.languages is None)
            )
            self.writes += 1
        return True

    def _derive(
        self,
        directory: Path,
        manifest: snapshot.Manifest,
        profiles: list[ProfilePublic],
        state: snapshot.EngineState | None,
    ) -> bool:
        """Add the snapshot's profiles through the store and graph one by one (an index that
        holds profiles already, or a snapshot without the engine state: split, tokenise, and
        read the vectors back from the index)."""
        if state is not None:
            passages, tokens, vocabulary, vectors = snapshot.unpack(state, profiles)
        else:
            passages = {
                p.id: found
                for p, found in zip(profiles, self.encoder.passages_many(profiles), strict=True)
            }
            tokens, vocabulary, vectors = None, None, None
        words = tokenize([profile_text(p) for p in profiles]) if tokens is None else None
        languages = _languages(state, profiles)
        with self._lock.write_lock():
            if not self._index_fits(directory, manifest, sum(len(v) for v in passages.values())):
                return False
            if vectors is None:
                vectors = np.split(
                    self.index.vectors(self._ids_of([p.id for p in profiles], passages)),
                    np.cumsum([len(passages[p.id]) for p in profiles])[:-1],
                )
            if vocabulary is not None:
                self._vocabulary.ids = vocabulary
            for i, profile in enumerate(profiles):
                texts = [p.text for p in passages[profile.id]]
                self._languages[profile.id] = languages[i]
                self._remember(profile, passages[profile.id], self._store.add(texts, vectors[i]))
                self._tokens[profile.id] = (
                    tokens[i] if tokens is not None else self._vocabulary.encode(words[i])  # type: ignore[index]
                )
            self.seq = manifest.seq
            self._graph.clear_cache()
            self._corpus = None
            self._lexicon.stale = True
            # the next snapshot holds the state (and the languages) again
            self.changed = state is None or (bool(profiles) and state.languages is None)
            self.writes += 1
        return True
