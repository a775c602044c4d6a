"""A read-only columnar view of the live profiles: BM25 over their texts and the arrays that
filters are evaluated on with numpy (no per-profile Python work per query).

Rebuilt lazily by the engine when profiles changed since the last build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

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
    vocab: dict[str, int]
    doc_freq: np.ndarray
    # Each row's distinct token ids (sorted), so explanations need no re-tokenising.
    row_tokens: list[np.ndarray]
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, profiles: Sequence[ProfilePublic], passage_counts: dict[int, int]) -> Corpus:
        ordered = sorted(profiles, key=lambda p: p.id)
        ids = np.array([p.id for p in ordered], dtype=np.int64)
        counts = np.array([passage_counts.get(p.id, 0) for p in ordered], dtype=np.int64)
        passage_rows = np.repeat(np.arange(len(ordered), dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        passage_nos = np.arange(len(passage_rows), dtype=np.int64) - np.repeat(starts, counts)
        passage_ids = (ids[passage_rows] << 8) | passage_nos
        vocab: dict[str, int] = {}
        doc_freq = np.zeros(0, dtype=np.int64)
        row_tokens: list[np.ndarray] = []
        retriever = None
        if ordered:
            tokenized = bm25s.tokenize(
                [profile_text(p) for p in ordered], stopwords="en", show_progress=False
            )
            vocab = dict(tokenized.vocab)
            row_tokens = [np.unique(np.asarray(d, dtype=np.int64)) for d in tokenized.ids]
            doc_freq = np.bincount(
                np.concatenate([*row_tokens, np.zeros(0, dtype=np.int64)]),
                minlength=len(vocab),
            )
            retriever = bm25s.BM25()
            retriever.index(tokenized, show_progress=False)
        return cls(
            ids=ids,
            kinds=np.array([p.kind.value for p in ordered], dtype=str),
            countries=np.array([p.country for p in ordered], dtype=str),
            regions=np.array([p.region or "" for p in ordered], dtype=str),
            sectors=np.array(["|" + "|".join(p.sectors) + "|" for p in ordered], dtype=str),
            activity=np.array([len(p.partners) for p in ordered], dtype=np.float64),
            passage_ids=passage_ids,
            passage_rows=passage_rows,
            vocab=vocab,
            doc_freq=doc_freq,
            row_tokens=row_tokens,
            bm25=retriever,
        )

    def __len__(self) -> int:
        return len(self.ids)

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

    def token_ids(self, tokens: Sequence[str]) -> list[int]:
        return [self.vocab[t] for t in tokens if t in self.vocab]

    def shared_tokens(self, tokens: Sequence[str], row: int) -> set[str]:
        """The query tokens that also occur in the profile at `row`."""
        known = {t: i for t in tokens if (i := self.vocab.get(t)) is not None}
        if not known:
            return set()
        ids = np.fromiter(known.values(), dtype=np.int64, count=len(known))
        hit = np.isin(ids, self.row_tokens[row], assume_unique=True)
        return {t for t, found in zip(known, hit, strict=True) if found}

    def bm25_scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query's words (zeros when none is known)."""
        ids = self.token_ids(query_tokens)
        if self.bm25 is None or not ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, token: str) -> float:
        token_id = self.vocab.get(token)
        df = int(self.doc_freq[token_id]) if token_id is not None else 0
        return float(np.log((len(self.ids) + 1) / (df + 0.5)))
