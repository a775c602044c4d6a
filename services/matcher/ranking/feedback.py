"""The `feedback` component and the caller's exclusions.

`FeedbackBoard` holds how many distinct callers endorsed each candidate (synced from the
profiles service by `services.matcher.feedback`). The aggregate counts only from a `quorum` of
distinct endorsers on, and then counts the endorsers from the quorum-th one:

    counted  = clip(endorsers - quorum + 1, 0, saturation - quorum + 1)
    feedback = 0.5 * log(1 + counted) / log(1 + saturation - quorum + 1)
             + 0.5 * (1 if this caller endorsed the candidate for this seeker)

in [0, 1], added with `weight` to the combined score. Below the quorum the aggregate half is 0,
so a burst of marks from one caller (one endorser: the profiles service counts each caller
once per candidate, capped per day) lifts the candidate for nobody else; it still moves it up
for that caller through the own half.

Why `endorsers - quorum + 1` and not `endorsers` from the quorum on: the curve stays
continuous at the quorum (0 below it, log 2 / log(1 + saturation - quorum + 1) at it) and is
concave above it, so whichever caller it is, one more endorser adds at most that first step;
`quorum` colluders add at most log(1 + quorum) / log(1 + saturation - quorum + 1) (when
`quorum - 1` others endorse it already). Counting `endorsers` instead would make the quorum-th
caller's mark jump the aggregate from 0 to log(1 + quorum) / log(1 + saturation) at once. The
aggregate is full at `saturation` distinct endorsers, as without a quorum; `quorum` 1 is the
plain log count. `saturation` must be at least `quorum`.
Excluded candidates (the caller's hide / not_relevant) never reach the page.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["FeedbackBoard", "visible"]


class FeedbackBoard:
    """Endorsement counts per candidate, replaced whole on each sync (thread-safe reads)."""

    def __init__(self, *, weight: float = 0.3, saturation: int = 20, quorum: int = 3) -> None:
        if quorum < 1 or saturation < quorum:
            raise ValueError(
                f"feedback quorum must be at least 1 and at most the saturation "
                f"(quorum {quorum}, saturation {saturation})"
            )
        self.weight = weight
        self.saturation = saturation
        self.quorum = quorum
        self._ids = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.float64)
        self._lock = threading.Lock()

    def replace(self, counts: Mapping[int, int]) -> None:
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        order = np.argsort(ids)
        with self._lock:
            self._ids, self._counts = ids[order], values[order]

    def endorsers(self, ids: np.ndarray) -> np.ndarray:
        """Distinct endorsers per id (0 for ids without any)."""
        with self._lock:
            known, counts = self._ids, self._counts
        if not len(known):
            return np.zeros(len(ids), dtype=np.float64)
        at = np.minimum(np.searchsorted(known, ids), len(known) - 1)
        return np.where(known[at] == ids, counts[at], 0.0)

    def aggregate(self, endorsers: np.ndarray) -> np.ndarray:
        """The aggregate half's value in [0, 1] for these counts of distinct endorsers."""
        span = self.saturation - self.quorum + 1
        counted = np.clip(np.asarray(endorsers, dtype=np.float64) - self.quorum + 1, 0, span)
        result: np.ndarray = np.log1p(counted) / np.log1p(span)
        return result

    def component(self, ids: np.ndarray, boost_ids: Sequence[int]) -> np.ndarray:
        """The `feedback` component per candidate, in [0, 1]."""
        aggregate = self.aggregate(self.endorsers(ids))
        own = np.isin(ids, np.asarray(boost_ids, dtype=np.int64)).astype(np.float64)
        result: np.ndarray = 0.5 * aggregate + 0.5 * own
        return result


def visible(ranked: np.ndarray, ids: np.ndarray, exclude_ids: Sequence[int]) -> np.ndarray:
    """`ranked` (row indices, best first) without the rows of excluded candidates."""
    if not exclude_ids:
        return ranked
    return ranked[~np.isin(ids[ranked], np.asarray(exclude_ids, dtype=np.int64))]
