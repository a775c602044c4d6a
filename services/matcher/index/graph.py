"""The partner graph: who has worked with whom, in either direction, among indexed profiles.

Profiles name partners by external id. Two views of each profile's links:
- `neighbour_ids`: every link in either direction between indexed profiles, as claimed (the
  seeker's own partners, excluded from its results and marked `known`);
- `corroborated_ids`: the links the system can vouch for, the only ones activity and the
  graph signals count. A link between two indexed profiles is corroborated when both name each
  other, or when the profile that names it comes from a trusted source: imported by the
  operator (no owning hub: `crosslink import`, `crosslink import-cordis`, whose CORDIS
  co-participations are stated by the funder) or owned by a hub listed in
  `CROSSLINK_TRUSTED_HUBS`. A partner id that is not in the index, or a one-sided link from a
  profile a hub created, counts for nothing.
Both are built on first use and dropped only for the profiles a write touches (active
organisations list thousands of partners). Not thread-safe: the profile index calls it with its
lock held.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from models.profiles import ProfilePublic

__all__ = ["PartnerGraph"]

_EMPTY = np.zeros(0, dtype=np.int64)


class PartnerGraph:
    """External ids -> profile ids, and the cached partner sets built from them.

    Args:
        profiles: the indexed profiles (read only).
        trusted_hubs: owners whose profiles' one-sided partner claims count.
    """

    def __init__(
        self, profiles: Mapping[int, ProfilePublic], trusted_hubs: Collection[str] = ()
    ) -> None:
        self._profiles = profiles
        self._trusted_hubs = frozenset(trusted_hubs)
        self._by_external: dict[str, int] = {}
        self._partners_of: dict[str, set[int]] = {}
        self._neighbours: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def trusted(self, profile: ProfilePublic) -> bool:
        """Whether this profile's own partner list is taken at its word."""
        return profile.owner is None or profile.owner in self._trusted_hubs

    def _touch(self, profile: ProfilePublic) -> None:
        """Drop the cached neighbours of this profile and of every profile linked to it (the
        only ones whose partner sets, or whose corroboration, a write of this profile changes)."""
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

    def add_all(self, profiles: list[ProfilePublic]) -> None:
        """`add` for a set of profiles into an empty graph (a snapshot's): nothing to drop."""
        by_external, partners_of = self._by_external, self._partners_of
        for profile in profiles:
            if profile.external_id:
                by_external[profile.external_id] = profile.id
            for partner in profile.partners:
                partners_of.setdefault(partner, set()).add(profile.id)

    def cached(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Every indexed profile's (`neighbour_ids`, `corroborated_ids`), built where missing
        (what a snapshot saves, with `trusted_hubs`)."""
        return {pid: self._links(p) for pid, p in self._profiles.items()}

    @property
    def trusted_hubs(self) -> frozenset[str]:
        return self._trusted_hubs

    def restore(self, links: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        """Take a snapshot's `cached()` links (saved with the same profiles and trusted hubs)."""
        self._neighbours.update(links)

    def _links(self, profile: ProfilePublic) -> tuple[np.ndarray, np.ndarray]:
        indexed = self._profiles.get(profile.id) is profile
        if indexed and (cached := self._neighbours.get(profile.id)) is not None:
            return cached
        named = {self._by_external[e] for e in profile.partners if e in self._by_external}
        naming: set[int] = set()
        if profile.external_id:
            naming = self._partners_of.get(profile.external_id, set())
        both = named | naming
        both.discard(profile.id)
        vouched = named & naming  # stated by both organisations
        if self.trusted(profile):
            vouched |= named
        vouched |= {i for i in naming if (o := self._profiles.get(i)) and self.trusted(o)}
        vouched.discard(profile.id)
        found = (
            np.array(sorted(both), dtype=np.int64) if both else _EMPTY,
            np.array(sorted(vouched), dtype=np.int64) if vouched else _EMPTY,
        )
        if indexed:
            self._neighbours[profile.id] = found
        return found

    def neighbour_ids(self, profile: ProfilePublic) -> np.ndarray:
        """Partners, in either direction, that are in the index, as claimed (sorted int64 ids);
        cached per indexed profile until a write touches it or one of its partners."""
        return self._links(profile)[0]

    def corroborated_ids(self, profile: ProfilePublic) -> np.ndarray:
        """The partners among `neighbour_ids` whose link is corroborated (see the module)."""
        return self._links(profile)[1]
