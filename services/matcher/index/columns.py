"""A read-only columnar view of the live profiles (the arrays filters are evaluated on with
numpy, no per-profile Python work per query) and BM25 over their texts.

The two are rebuilt on different clocks. The columns are cheap (tens of ms for 30k profiles)
and rebuilt on the first query after any change. The BM25 index (`Lexicon`) is built from
token ids the engine keeps per profile (each text is tokenised once, when it is written); on a
large set that still takes seconds, so the engine rebuilds it off the query path and, until it
lands, answers with the previous one: a new profile is found by its vectors at once and by its
words a few seconds later (near-real-time, as in Lucene's refresh).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from models.matching import MatchFilters
from models.profiles import ProfilePublic


def profile_text(profile: ProfilePublic) -> str:
    """All of a profile's searchable words in one string."""
    return "\n".join(
        [
            profile.name,
            profile.description,
            *profile.offers,
            *profile.needs,
            ", ".join(profile.keywords),
        ]
    )


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased words, English stop words removed (bm25s' tokenizer)."""
    if not texts:
        return []
    return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)


class Vocabulary:
    """Token → id, growing as texts arrive (ids are never reused, so token arrays stay valid)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        ids = self.ids
        return np.fromiter(
            (ids.setdefault(t, len(ids)) for t in tokens), dtype=np.int32, count=len(tokens)
        )

    def known(self, tokens: Sequence[str]) -> dict[str, int]:
        """The tokens that have an id (in query order, without repeats)."""
        return {t: i for t in tokens if (i := self.ids.get(t)) is not None}


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


Columns = tuple[str, str, str, str, int]


def columns_of(profile: ProfilePublic) -> Columns:
    """A profile's values in the corpus columns (kept per profile, so a rebuild after a write
    only assembles arrays)."""
    sectors = "|" + "|".join(profile.sectors) + "|"
    return (
        profile.kind.value,
        profile.country,
        profile.region or "",
        sectors,
        len(profile.partners),
    )


@dataclass
class Corpus:
    ids: np.ndarray  # int64 profile ids, ascending; row i of every array below
    kinds: np.ndarray
    countries: np.ndarray
    regions: np.ndarray  # "" when unknown
    sectors: np.ndarray  # "|C25.11|M72|": prefix tests become substring tests
    activity: np.ndarray  # number of known partners
    passage_ids: np.ndarray  # every indexed passage id ...
    passage_rows: np.ndarray  # ... and the row of the profile it belongs to
    passage_fields: np.ndarray  # ... its FIELD_CODES value
    passage_store_rows: np.ndarray  # ... and its row in the engine's PassageStore
    passage_starts: np.ndarray  # first passage of each profile row in the arrays above
    passage_counts: np.ndarray  # passages of each profile row
    lexicon: Lexicon
    lexicon_rows: np.ndarray  # row of each profile in `lexicon`, -1 when not in it (yet)

    @classmethod
    def build(
        cls,
        columns: dict[int, Columns],
        passage_fields: dict[int, np.ndarray],
        store_rows: dict[int, np.ndarray],
        lexicon: Lexicon,
    ) -> Corpus:
        """`columns`: each profile's `columns_of`; `passage_fields` and `store_rows`: per
        profile id, one entry per passage."""
        ordered = sorted(columns)
        ids = np.array(ordered, dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        fields = [passage_fields.get(i, empty) for i in ordered]
        counts = np.array([len(f) for f in fields], dtype=np.int64)
        passage_rows = np.repeat(np.arange(len(ordered), dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        passage_nos = np.arange(len(passage_rows), dtype=np.int64) - np.repeat(starts, counts)
        passage_ids = (ids[passage_rows] << 8) | passage_nos
        kinds, countries, regions, sectors, activity = (
            zip(*(columns[i] for i in ordered), strict=True) if ordered else ((),) * 5
        )
        return cls(
            ids=ids,
            kinds=np.array(kinds, dtype=str),
            countries=np.array(countries, dtype=str),
            regions=np.array(regions, dtype=str),
            sectors=np.array(sectors, dtype=str),
            activity=np.array(activity, dtype=np.float64),
            passage_ids=passage_ids,
            passage_rows=passage_rows,
            passage_fields=np.concatenate([*fields, np.zeros(0, dtype=np.int8)]).astype(np.int8),
            passage_store_rows=np.concatenate(
                [*(store_rows.get(i, empty) for i in ordered), empty]
            ).astype(np.int64),
            passage_starts=starts,
            passage_counts=counts,
            lexicon=lexicon,
            lexicon_rows=_rows_in(lexicon.ids, ids),
        )

    def with_lexicon(self, lexicon: Lexicon) -> Corpus:
        """The same columns scored by a newer lexicon."""
        return replace(self, lexicon=lexicon, lexicon_rows=_rows_in(lexicon.ids, self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def passages_of(self, rows: np.ndarray) -> np.ndarray:
        """Indexes into the passage arrays of these profile rows' passages, row by row."""
        counts = self.passage_counts[rows]
        total = int(counts.sum())
        offsets = np.cumsum(counts) - counts
        return np.repeat(self.passage_starts[rows] - offsets, counts) + np.arange(total)

    def mask(
        self,
        filters: MatchFilters,
        *,
        exclude_ids: Iterable[int] = (),
        exclude_region_prefixes: Iterable[str] = (),
    ) -> np.ndarray:
        """Rows that pass every filter."""
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.kinds:
            keep &= np.isin(self.kinds, [k.value for k in filters.kinds])
        if filters.countries:
            keep &= np.isin(self.countries, filters.countries)
        if filters.exclude_countries:
            keep &= ~np.isin(self.countries, filters.exclude_countries)
        if filters.regions:
            keep &= self._region_prefixed(filters.regions)
        excluded = [*filters.exclude_regions, *exclude_region_prefixes]
        if excluded:
            keep &= ~self._region_prefixed(excluded)
        if filters.sectors:
            hit = np.zeros(len(self.ids), dtype=bool)
            for sector in filters.sectors:
                hit |= np.strings.find(self.sectors, "|" + sector) >= 0
            keep &= hit
        drop = np.fromiter(exclude_ids, dtype=np.int64)
        if len(drop):
            keep &= ~np.isin(self.ids, drop)
        return keep

    def _region_prefixed(self, prefixes: Sequence[str]) -> np.ndarray:
        hit = np.zeros(len(self.ids), dtype=bool)
        for prefix in prefixes:
            # A country prefix ('DE') also matches profiles that only state their country.
            hit |= np.strings.startswith(self.regions, prefix)
            if len(prefix) == 2:
                hit |= self.countries == prefix
        return hit

    def bm25_scores(self, token_ids: Sequence[int]) -> np.ndarray:
        """BM25 score of every row (0 for a profile the lexicon does not hold yet)."""
        scores = self.lexicon.scores(token_ids)
        out = np.zeros(len(self.ids), dtype=np.float32)
        inside = self.lexicon_rows >= 0
        out[inside] = scores[self.lexicon_rows[inside]]
        return out


def _rows_in(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Position of each needle in the sorted `haystack`, -1 where absent."""
    if not len(haystack):
        return np.full(len(needles), -1, dtype=np.int64)
    rows = np.searchsorted(haystack, needles)
    rows[rows >= len(haystack)] = 0
    return np.where(haystack[rows] == needles, rows, -1).astype(np.int64)


def shared_tokens(query: dict[str, int], profile_tokens: np.ndarray) -> set[str]:
    """The query tokens (token → id, from `Vocabulary.known`) that occur in a profile."""
    if not query or not len(profile_tokens):
        return set()
    ids = np.fromiter(query.values(), dtype=np.int32, count=len(query))
    # a lookup table over the profile's token ids: a few dozen query ids against ~1,200
    # profile tokens, 3x faster than isin's sorting
    hit = np.isin(ids, profile_tokens, kind="table")
    return {t for t, found in zip(query, hit, strict=True) if found}
