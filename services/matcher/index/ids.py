"""The passage-id scheme, in one place: passage `n` of profile `p` has the int64 id
`p << PASSAGE_BITS | n`, so a profile's passages are found and removed together and a hit's
profile is its id shifted back."""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_PASSAGES", "PASSAGE_BITS", "passage_ids", "passage_ids_of", "profile_ids"]

PASSAGE_BITS = 8
MAX_PASSAGES = 1 << PASSAGE_BITS  # passages indexed per profile at most


def passage_ids(profile_id: int, count: int) -> np.ndarray:
    """The ids of a profile's first `count` passages."""
    return (np.int64(profile_id) << PASSAGE_BITS) | np.arange(count, dtype=np.int64)


def passage_ids_of(profile_ids: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """Element-wise: passage `numbers[i]` of profile `profile_ids[i]`."""
    return (np.asarray(profile_ids, dtype=np.int64) << PASSAGE_BITS) | numbers


def profile_ids(ids: np.ndarray) -> np.ndarray:
    """The profile each passage id belongs to."""
    return ids >> PASSAGE_BITS
