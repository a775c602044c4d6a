"""Following the profiles service's change feed into the match engine."""

from __future__ import annotations

import asyncio
import gc
import logging

import httpx
from starlette.concurrency import run_in_threadpool
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from models.profiles import ChangesPublic
from services.matcher.ranking import MatchEngine

__all__ = ["FeedFollower"]

log = logging.getLogger("crosslink.matcher.sync")


class FeedRequestsAtDebug(logging.Filter):
    """httpx's INFO line for each `GET /changes` (one every long poll, all day) is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not (isinstance(args, tuple) and len(args) >= 2 and "/changes" in str(args[1])):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demote_feed_requests() -> None:
    """Install `FeedRequestsAtDebug` on the httpx logger (once)."""
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, FeedRequestsAtDebug) for f in httpx_log.filters):
        httpx_log.addFilter(FeedRequestsAtDebug())


class FeedFollower:
    """Follows `GET /changes?after=SEQ&wait=S` (long polling) and applies each page in order.

    Ready once the engine has applied everything up to the feed's `last_seq` of the latest poll.
    The first call does not wait (an empty feed is caught up at once); once caught up, each call
    is held by the profiles service for up to `wait` seconds and answers as soon as a change
    exists, so an idle matcher makes one call per `wait` and a write is applied at once. While
    the feed's `last_seq` is beyond the engine's seq (a page cut short by `limit` or by the
    service's byte budget) the next page is fetched at once. Upstream errors are retried with
    exponential backoff (tenacity), forever, while health reports the last error.
    """

    def __init__(
        self,
        engine: MatchEngine,
        client: httpx.AsyncClient,
        *,
        page_size: int = 500,
        poll_interval: float = 0.15,
        wait: float = 25.0,
        timeout: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.engine = engine
        self.client = client
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.wait = wait
        # A held call must not time out before the service answers it: read timeout > wait.
        self.timeout = httpx.Timeout(timeout, read=timeout + wait)
        self.max_backoff = max_backoff
        self.feed_last_seq: int | None = None
        self.last_error: str | None = None
        self.last_page_empty = True
        self._caught_up = False

    @property
    def ready(self) -> bool:
        """Caught up with the feed once. It stays ready while it follows new writes, so a
        steady stream of writes never flaps a serving replica back to 503."""
        return self._caught_up

    @property
    def lag(self) -> int:
        if self.feed_last_seq is None:
            return 0
        return max(0, self.feed_last_seq - self.engine.seq)

    def _failed(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning(
            "change feed unavailable (attempt %d): %s", state.attempt_number, self.last_error
        )

    async def fetch(self, *, wait: float = 0.0) -> ChangesPublic:
        """One page after the engine's seq (held up to `wait` s while there is none), retried
        until the upstream answers."""
        params: dict[str, int | float] = {"after": self.engine.seq, "limit": self.page_size}
        if wait > 0:
            params["wait"] = wait
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((httpx.HTTPError, ValueError)),
            wait=wait_exponential_jitter(initial=0.1, max=self.max_backoff),
            before_sleep=self._failed,
        ):
            with attempt:
                response = await self.client.get("/changes", params=params, timeout=self.timeout)
                response.raise_for_status()
                page = ChangesPublic.model_validate_json(response.content)
        self.last_error = None
        return page

    async def step(self) -> bool:
        """Fetch and apply one page; True when the feed is known to hold more already."""
        after = self.engine.seq
        page = await self.fetch(wait=self.wait if self._caught_up else 0.0)
        self.last_page_empty = not page.changes
        if page.changes:
            await run_in_threadpool(self.engine.apply, page.changes)
        elif page.last_seq > after:
            # Nothing after our seq although the feed is further: the tail holds no changes.
            self.engine.advance(page.last_seq)
        self.feed_last_seq = page.last_seq
        if self.engine.seq >= page.last_seq and not self._caught_up:
            # BM25 and the filter columns are built before the first query, not by it.
            await run_in_threadpool(self.engine.warm)
            # What is indexed now lives as long as the process: keep it out of the cyclic
            # garbage collector's full passes, which walked its ~1.2M objects in 0.7 s on the
            # full set and stalled every match in flight (the p99 of the 8-client bench).
            gc.freeze()
            self._caught_up = True
        return page.last_seq > self.engine.seq

    async def run(self) -> None:
        while True:
            try:
                more = await self.step()
                # After changes the next (long) poll starts at once; after an empty answer (the
                # wait ran out, or a service without long polling) a short pause first.
                pause = not more and self.last_page_empty
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad page must not stop the follower; it is retried
                log.exception("applying the change feed failed; retrying")
                pause = True
            if pause:
                await asyncio.sleep(self.poll_interval)
