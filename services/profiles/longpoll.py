"""Long polling of the change feed: `GET /changes?after=N&wait=S` answers as soon as a change
after N exists, or with an empty page after S seconds.

A commit of this process wakes the waiting requests at once (`FeedSignal`, signalled from the
committing thread). Writes of other processes (a second replica on PostgreSQL, `crosslink
import`) are found by reading the database every `poll_interval` seconds while waiting; the
client still makes one call. A waiting request holds no thread and no database connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from models.profiles import ChangesPublic

__all__ = ["FeedSignal", "wait_for_changes"]

log = logging.getLogger("crosslink.profiles.feed")


class FeedSignal:
    """An event that is set, and replaced by a fresh one, each time the feed grows."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def current(self) -> asyncio.Event:
        """Take this before reading the feed, so a commit right after the read is not missed."""
        return self._event

    def notify(self) -> None:
        """Wake the waiters; safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop closed in between: nobody is waiting
            pass

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()


async def wait_for_changes(
    *,
    read: Callable[[], ChangesPublic],
    signal: FeedSignal,
    wait: float,
    poll_interval: float,
    disconnected: Callable[[], Awaitable[bool]],
) -> ChangesPublic:
    """`read()` (run in the threadpool) until it returns changes or `wait` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        woken = signal.current()
        page = await run_in_threadpool(read)
        remaining = deadline - loop.time()
        if page.changes or remaining <= 0 or await disconnected():
            return page
        log.debug("no change yet; waiting up to %.1f s", remaining)
        try:
            await asyncio.wait_for(woken.wait(), timeout=min(poll_interval, remaining))
        except TimeoutError:
            pass
