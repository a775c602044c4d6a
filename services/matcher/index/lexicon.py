"""BM25 over the profiles' token ids (bm25s), and its rebuild.

The lexicon is built from the token ids the profile index keeps per profile; on a large set that
still takes seconds, so above `inline_below` profiles it is rebuilt off the query path, in a
helper process, and until it lands queries use the previous one: a new profile is found by its
vectors at once and by its words a few seconds later (near-real-time, as in Lucene's refresh).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from services.matcher.text.tokens import Vocabulary

if TYPE_CHECKING:  # imported where BM25 is built or loaded: bm25s pulls in SciPy (~0.3 s),
    import bm25s  # which a matcher's start imports beside the encoder's (wiring.prefetch)

__all__ = ["Lexicon", "LexiconKeeper", "ShuttingDown", "build_elsewhere", "build_lexicon"]

log = logging.getLogger("crosslink.matcher.lexicon")


@dataclass
class Lexicon:
    """BM25 (bm25s) over the profiles' token ids as they were at one moment."""

    ids: np.ndarray  # profile ids, ascending: row i of the BM25 index
    size: int  # vocabulary size at build time; later token ids are unknown here
    doc_freq: np.ndarray
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, tokens: dict[int, np.ndarray], vocabulary_size: int) -> Lexicon:
        ids = np.array(sorted(tokens), dtype=np.int64)
        docs = [tokens[int(i)] for i in ids]
        doc_freq = np.zeros(vocabulary_size, dtype=np.int64)
        retriever = None
        if docs:
            import bm25s
            from bm25s.tokenization import Tokenized

            distinct = np.concatenate([np.unique(d) for d in docs] + [np.zeros(0, np.int32)])
            doc_freq = np.bincount(distinct, minlength=vocabulary_size)[:vocabulary_size]
            retriever = bm25s.BM25()
            # Every token id needs a vocabulary entry; names are not used for scoring.
            vocab = {str(i): i for i in range(vocabulary_size)}
            corpus = Tokenized(ids=[d.tolist() for d in docs], vocab=vocab)
            retriever.index(corpus, show_progress=False)
        return cls(ids=ids, size=vocabulary_size, doc_freq=doc_freq, bm25=retriever)

    def scores(self, token_ids: Sequence[int]) -> np.ndarray:
        """BM25 of every row for the query's token ids (zeros when none is known here)."""
        known = [i for i in token_ids if i < self.size and self.doc_freq[i] > 0]
        if self.bm25 is None or not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores_from_ids(known), dtype=np.float32)

    def idf(self, token_id: int | None) -> float:
        df = int(self.doc_freq[token_id]) if token_id is not None and token_id < self.size else 0
        return float(np.log((len(self.ids) + 1) / (df + 0.5)))


_helper: ProcessPoolExecutor | None = None
_helper_lock = threading.Lock()


def build_lexicon(tokens: dict[int, np.ndarray], vocabulary_size: int) -> Lexicon:
    """`Lexicon.build` as a module-level function (what the helper process runs)."""
    return Lexicon.build(tokens, vocabulary_size)


class ShuttingDown(RuntimeError):
    """The server is exiting, so no helper work is started (not an error worth a traceback)."""


def build_elsewhere(tokens: dict[int, np.ndarray], vocabulary_size: int) -> Lexicon:
    """`Lexicon.build` in a helper process (one per server process, started on first use).
    bm25s indexes in Python for the most part; in a thread it would hold the interpreter
    lock for seconds while matches wait for it."""
    global _helper
    with _helper_lock:
        if _helper is None:
            _helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        helper = _helper
    try:
        try:
            future = helper.submit(build_lexicon, tokens, vocabulary_size)
        except BrokenProcessPool:
            raise
        except RuntimeError as exc:  # submit refuses new work once the interpreter is exiting
            raise ShuttingDown("the process is exiting: BM25 is not rebuilt") from exc
        return future.result()
    except BrokenProcessPool:
        with _helper_lock:  # the helper died (e.g. killed for memory): start a new one next time
            if _helper is helper:
                _helper = None
        raise


class LexiconKeeper:
    """The current lexicon of a live token map and its rebuilds: inline below `inline_below`
    profiles (well under a second, so small deployments and tests see every write in BM25 at
    once), above it one at a time in a helper process while queries use the previous one.

    `read_lock` is the profile index's read lock (the token map does not change under it);
    `build_lock` serialises the builds and guards `lexicon` and `stale`.
    """

    def __init__(
        self,
        tokens: dict[int, np.ndarray],
        vocabulary: Vocabulary,
        *,
        inline_below: int,
        read_lock: Callable[[], contextlib.AbstractContextManager[object]],
        build_lock: threading.Lock,
    ) -> None:
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.inline_below = inline_below
        self.read_lock = read_lock
        self.build_lock = build_lock
        self.lexicon: Lexicon | None = None
        self.stale = False
        self.thread: threading.Thread | None = None

    def rebuilding(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _inline(self) -> bool:
        return self.stale and len(self.tokens) < self.inline_below

    def fresh_enough(self) -> bool:
        """Nothing to do before a query: not stale, or stale with a rebuild on its way."""
        return not self._inline() and not (self.stale and not self.rebuilding())

    def current(self) -> Lexicon:
        """The lexicon to query now, rebuilt inline or started in the background if stale
        (call with `build_lock` held)."""
        if self.lexicon is None or self._inline():
            self.lexicon = Lexicon.build(self.tokens, len(self.vocabulary))
            self.stale = False
        elif self.stale:
            self._refresh()
        return self.lexicon

    def restore(self, lexicon: Lexicon) -> None:
        """Take a lexicon built over exactly the current token map (a snapshot's)."""
        with self.build_lock:
            self.lexicon, self.stale = lexicon, False

    def settled(self) -> Lexicon | None:
        """The lexicon when it is built over the current token map (not stale, no rebuild
        under way), else None (call with the read lock held)."""
        with self.build_lock:
            fresh = not self.stale and not self.rebuilding()
            return self.lexicon if fresh else None

    def settle(self, timeout: float | None = None) -> None:
        """Wait until a rebuild in the background (if any) has landed."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def _refresh(self) -> None:
        """Rebuild off the query path (one at a time; it repeats while writes keep coming): a
        thread hands the token ids to a helper process (`build_elsewhere`), so the ~7 s of
        mostly-Python indexing on the full set does not share the interpreter with the
        matches. Call with `build_lock` held."""
        if self.rebuilding():
            return

        def rebuild() -> None:
            while True:
                with self.read_lock(), self.build_lock:
                    if not self.stale:
                        return
                    tokens, size = dict(self.tokens), len(self.vocabulary)
                    self.stale = False
                started = time.perf_counter()
                try:
                    lexicon = build_elsewhere(tokens, size)
                except Exception as exc:
                    if isinstance(exc, ShuttingDown):
                        log.info("BM25 rebuild skipped: the matcher is shutting down")
                    else:
                        log.exception("BM25 rebuild failed; the next query retries it")
                    with self.build_lock:
                        self.stale = True
                    return
                with self.build_lock:
                    self.lexicon = lexicon
                log.info(
                    "BM25 rebuilt over %d profiles in %.1fs",
                    len(tokens),
                    time.perf_counter() - started,
                )

        self.thread = threading.Thread(target=rebuild, name="bm25-rebuild", daemon=True)
        self.thread.start()
