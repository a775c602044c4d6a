"""Rate limits per API key and per anonymous client address (the `limits` library)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from crosslink.errors import RateLimited


class RateLimiter:
    """A moving window per identity; over the limit raises 429 with Retry-After."""

    def __init__(self, *, anonymous: str, per_key: str):
        self.anonymous: RateLimitItem = parse(anonymous)
        self.per_key: RateLimitItem = parse(per_key)
        self._strategy = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, *, identity: str, keyed: bool) -> None:
        item = self.per_key if keyed else self.anonymous
        who = "this API key" if keyed else "anonymous callers from this address"
        self._count(item, identity, f"rate limit of {{limit}} exceeded for {who}")

    def quota(self, *, limit: str, identity: str, what: str) -> None:
        """Count one use of a quota (e.g. stored visit plans) for this identity."""
        self._count(parse(limit), f"quota:{what}:{identity}", f"quota of {{limit}} {what} used up")

    def _count(self, item: RateLimitItem, identity: str, template: str) -> None:
        if self._strategy.hit(item, identity):
            return
        stats = self._strategy.get_window_stats(item, identity)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        limit = f"{item.amount} per {item.multiples} {item.GRANULARITY.name}"
        raise RateLimited(
            template.format(limit=limit) + f"; retry after {retry_after} s",
            details={"limit": str(item), "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
