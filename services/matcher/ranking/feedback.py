"""The `feedback` component and the caller's exclusions.

`FeedbackBoard` holds how many distinct callers endorsed each candidate (synced from the
profiles service by `services.matcher.feedback`). For one match the component is

    feedback = 0.5 * log(1 + endorsers) / log(1 + saturation)  (capped at 1)
             + 0.5 * (1 if this caller endorsed the candidate for this seeker)

in [0, 1], added with `weight` to the combined score. A burst of marks from one caller is one
endorser (the profiles service counts each caller once per candidate, capped per day), so it
adds at most 0.5 * log(2) / log(1 + saturation) of the component to everyone's ranking.
Excluded candidates (the caller's hide / not_relevant) never reach the page.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["FeedbackBoard", "visible"]


class FeedbackBoard:
    """Endorsement counts per candidate, replaced whole on each sync (thread-safe reads)."""

    def __init__(self, *, weight: float = 0.3, saturation: int = 20) -> None:
        self.weight = weight
        self.saturation = saturation
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

    def component(self, ids: np.ndarray, boost_ids: Sequence[int]) -> np.ndarray:
        """The `feedback` component per candidate, in [0, 1]."""
        endorsers = np.minimum(self.endorsers(ids), self.saturation)
        aggregate = np.log1p(endorsers) / np.log1p(self.saturation)
        own = np.isin(ids, np.asarray(boost_ids, dtype=np.int64)).astype(np.float64)
        result: np.ndarray = 0.5 * aggregate + 0.5 * own
        return result


def visible(ranked: np.ndarray, ids: np.ndarray, exclude_ids: Sequence[int]) -> np.ndarray:
    """`ranked` (row indices, best first) without the rows of excluded candidates."""
    if not exclude_ids:
        return ranked
    return ranked[~np.isin(ids[ranked], np.asarray(exclude_ids, dtype=np.int64))]
