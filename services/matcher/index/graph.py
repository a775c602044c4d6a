"""The partner graph: who has worked with whom, in either direction, among indexed profiles.

Profiles name partners by external id; each indexed profile's partner set (sorted ids) is built
on first use and dropped only for the profiles a write touches (active organisations list
thousands of partners). Not thread-safe: the profile index calls it with its lock held.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from models.profiles import ProfilePublic

__all__ = ["PartnerGraph"]


class PartnerGraph:
    """External ids -> profile ids, and the cached partner sets built from them."""

    def __init__(self, profiles: Mapping[int, ProfilePublic]) -> None:
        self._profiles = profiles  # the indexed profiles (read only)
        self._by_external: dict[str, int] = {}
        self._partners_of: dict[str, set[int]] = {}
        self._neighbours: dict[int, np.ndarray] = {}

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

    def add(self, profile: ProfilePublic) -> None:
        if profile.external_id:
            self._by_external[profile.external_id] = profile.id
        for partner in profile.partners:
            self._partners_of.setdefault(partner, set()).add(profile.id)
        self._touch(profile)

    def remove(self, old: ProfilePublic) -> None:
        self._touch(old)
        if old.external_id and self._by_external.get(old.external_id) == old.id:
            del self._by_external[old.external_id]
        for partner in old.partners:
            self._partners_of.get(partner, set()).discard(old.id)

    def clear_cache(self) -> None:
        self._neighbours.clear()

    def neighbour_ids(self, profile: ProfilePublic) -> np.ndarray:
        """Known partners, in either direction, that are in the index, as sorted int64 ids;
        cached per indexed profile until a write touches it or one of its partners."""
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
