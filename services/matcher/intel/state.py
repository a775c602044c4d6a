"""Cluster intelligence off the request path: the landscape is recomputed in the background
once writes have settled, and requests are served from the last computed one (their results
carry its `computed_at`). Before the first computation there is nothing to serve: 503
`not_ready`.

After each computation the expensive derived results (every need's closest offers for the
bridges, the competence tables) are computed too, so no request pays for them.
"""

from __future__ import annotations

import logging
import threading
import time

from crosslink.errors import NotReady
from models.intel import Level
from services.matcher.index import ProfileIndex
from services.matcher.intel.bridges import all_links, places
from services.matcher.intel.competence import table
from services.matcher.intel.fields import RECLUSTER_DRIFT
from services.matcher.intel.landscape import Landscape, build_landscape, drift, versions_of

__all__ = ["IntelState"]

log = logging.getLogger("crosslink.matcher.intel")

LEVELS: tuple[Level, ...] = ("country", "nuts1", "nuts2")


class IntelState:
    """The last computed landscape of one profile index.

    Args:
        profiles: the profile index the fields are computed over.
        settle: seconds without writes before a changed index is recomputed.
    """

    def __init__(self, profiles: ProfileIndex, *, settle: float = 1.0) -> None:
        self.profiles = profiles
        self.settle = settle
        self._lock = threading.Lock()  # one computation at a time
        self._current: Landscape | None = None
        self._seen_writes = -1  # the index's write count the current landscape was built at
        self._pending = -1  # the write count last seen, and since when it has not moved
        self._quiet_since = time.monotonic()

    @property
    def ready(self) -> bool:
        return self._current is not None

    def current(self) -> Landscape:
        """The last computed landscape (503 `not_ready` before the first computation)."""
        landscape = self._current
        if landscape is None:
            raise NotReady(
                "the cluster intelligence is being computed for the first time; retry shortly",
                details={"profiles": self.profiles.count()},
                headers={"Retry-After": "2"},
            )
        return landscape

    def recompute(self, *, refit: bool = False) -> Landscape:
        """Compute now: re-cluster when asked, when first computed or when more than
        RECLUSTER_DRIFT of the profiles changed; otherwise keep the centroids."""
        with self._lock:
            old = self._current
            writes = self.profiles.writes
            if not refit and old is not None:
                refit = drift(old.versions, versions_of(self.profiles)) > RECLUSTER_DRIFT
            landscape = build_landscape(self.profiles, old.model if old else None, refit=refit)
            self._warm(landscape)
            self._current = landscape
            self._seen_writes = writes
            return landscape

    def refresh(self) -> bool:
        """Recompute if the index changed since the last computation and has been quiet for
        `settle` seconds (or nothing was computed yet); True when it recomputed."""
        writes = self.profiles.writes
        if self._current is not None:
            if writes == self._seen_writes:
                return False
            now = time.monotonic()
            if writes != self._pending:
                self._pending, self._quiet_since = writes, now
                return False
            if now - self._quiet_since < self.settle:
                return False
            if self._current.versions == versions_of(self.profiles):
                self._seen_writes = writes  # written again, but to the same versions
                return False
        self.recompute()
        return True

    @staticmethod
    def _warm(landscape: Landscape) -> None:
        started = time.perf_counter()
        places(landscape)
        all_links(landscape)
        for level in LEVELS:
            table(landscape, level)
        log.debug("intelligence views prepared in %.2f s", time.perf_counter() - started)
