"""The filter columns: a read-only columnar view of the live profiles, the arrays filters are
evaluated on with numpy (no per-profile Python work per query), with the BM25 lexicon they are
scored by. Cheap (tens of ms for 30k profiles): rebuilt on the first query after any change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from models.matching import MatchFilters
from models.profiles import ProfilePublic
from services.matcher.index.ids import passage_ids_of
from services.matcher.index.lexicon import Lexicon
from services.matcher.text import UNKNOWN

__all__ = ["Columns", "Corpus", "columns_of"]


Columns = tuple[str, str, str, str, str]


def columns_of(profile: ProfilePublic, language: str = UNKNOWN) -> Columns:
    """A profile's values in the corpus columns (kept per profile, so a rebuild after a write
    only assembles arrays), with its detected `language`."""
    sectors = "|" + "|".join(profile.sectors) + "|"
    return (profile.kind.value, profile.country, profile.region or "", sectors, language)


@dataclass
class Corpus:
    ids: np.ndarray  # int64 profile ids, ascending; row i of every array below
    kinds: np.ndarray
    countries: np.ndarray
    regions: np.ndarray  # "" when unknown
    sectors: np.ndarray  # "|C25.11|M72|": prefix tests become substring tests
    languages: np.ndarray  # detected language code (text.language), "" when unknown
    activity: np.ndarray  # corroborated partnerships (the partner graph's `corroborated_ids`)
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
        activity: Callable[[int], int] = lambda _: 0,
    ) -> Corpus:
        """`columns`: each profile's `columns_of`; `passage_fields` and `store_rows`: per
        profile id, one entry per passage; `activity`: a profile id's corroborated partnerships
        (they change with other profiles' writes, so they are read at build time)."""
        ordered = sorted(columns)
        ids = np.array(ordered, dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        fields = [passage_fields.get(i, empty) for i in ordered]
        counts = np.array([len(f) for f in fields], dtype=np.int64)
        passage_rows = np.repeat(np.arange(len(ordered), dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        passage_nos = np.arange(len(passage_rows), dtype=np.int64) - np.repeat(starts, counts)
        passage_ids = passage_ids_of(ids[passage_rows], passage_nos)
        kinds, countries, regions, sectors, languages = (
            zip(*(columns[i] for i in ordered), strict=True) if ordered else ((),) * 5
        )
        return cls(
            ids=ids,
            kinds=np.array(kinds, dtype=str),
            countries=np.array(countries, dtype=str),
            regions=np.array(regions, dtype=str),
            sectors=np.array(sectors, dtype=str),
            languages=np.array(languages, dtype=str),
            activity=np.array([activity(i) for i in ordered], dtype=np.float64),
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

    def bm25_scores(self, token_ids: Sequence[int], language: str = UNKNOWN) -> np.ndarray:
        """BM25 score of every row (0 for a profile the lexicon does not hold yet). With the
        query's `language` known, only where languages meet: a profile written in another
        (known) language scores 0, as its words are not the query's words."""
        scores = self.lexicon.scores(token_ids)
        out = np.zeros(len(self.ids), dtype=np.float32)
        inside = self.lexicon_rows >= 0
        if language != UNKNOWN:
            inside &= (self.languages == language) | (self.languages == UNKNOWN)
        out[inside] = scores[self.lexicon_rows[inside]]
        return out


def _rows_in(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Position of each needle in the sorted `haystack`, -1 where absent."""
    if not len(haystack):
        return np.full(len(needles), -1, dtype=np.int64)
    rows = np.searchsorted(haystack, needles)
    rows[rows >= len(haystack)] = 0
    return np.where(haystack[rows] == needles, rows, -1).astype(np.int64)
