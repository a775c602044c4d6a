"""The matcher follows the feed by long polling: an idle matcher makes one call per wait, a write
is searchable at once, a page cut short by the feed's byte budget is followed without a pause,
and the poll lines stay below INFO."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from models.profiles import ChangesPublic
from services.profiles.app import create_app as create_profiles
from services.profiles.config import ProfilesSettings
from tests.factories import profile_payload
from tests.matcher.conftest import FakeFeed, match_ids, wait_for, wait_ready
from tests.stack import ServerThread

LASER = "laser welding process monitoring for aluminium parts"


class CountingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP to the profiles service, counting the `/changes` calls and their `wait`."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/changes":
            self.waits.append(float(request.url.params.get("wait", "0")))
        return await super().handle_async_request(request)


@pytest.fixture
def profiles_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real profiles service behind uvicorn (its own event loop, so its commits wake the
    long polls it holds)."""
    settings = ProfilesSettings(
        database_url=database_url, data_dir=tmp_path / "profiles", demo_data=False
    )
    with ServerThread(create_profiles(settings)) as url:
        # One request before the matcher starts: FastAPI builds its routes' schemas on the first
        # request, and building the shared models' schemas in two threads at once (this server's
        # and the matcher's, one process here, never in production) can fail the first call.
        assert httpx.get(f"{url}/changes", params={"after": 0, "limit": 1}).status_code == 200
        yield url


def test_idle_matcher_makes_one_feed_call_per_wait_and_a_write_is_searchable_at_once(
    profiles_url: str, start_matcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    transport = CountingTransport()
    with start_matcher(transport, profiles_url=profiles_url, feed_wait=20) as client:
        wait_ready(client)
        wait_for(lambda: transport.waits and transport.waits[-1] == 20)  # the long poll is on
        calls = len(transport.waits)
        # An observation window, not a wait for luck: idle, the matcher holds one call open.
        window = time.monotonic() + 3.0
        while time.monotonic() < window:
            assert client.get("/health").status_code == 200
            time.sleep(0.25)
        assert len(transport.waits) - calls <= 1, transport.waits

        created = httpx.post(
            f"{profiles_url}/profiles",
            json=profile_payload(description="Laser welding research institute."),
        )
        assert created.status_code == 201, created.text
        started = time.monotonic()
        wait_for(lambda: created.json()["id"] in match_ids(client, LASER), timeout=1.0)
        assert time.monotonic() - started < 1.0
    polls = [r for r in caplog.records if "/changes" in r.getMessage()]
    assert polls == [] or all(r.levelno < logging.INFO for r in polls), polls


def test_feed_call_read_timeout_exceeds_the_wait(profiles_url: str, start_matcher) -> None:
    """A held call that outlives the plain feed timeout still succeeds (it is not retried as a
    timeout): the read timeout is the wait plus the feed timeout."""
    transport = CountingTransport()
    with start_matcher(
        transport, profiles_url=profiles_url, feed_wait=1.5, upstream_timeout=0.5
    ) as client:
        wait_ready(client)
        wait_for(lambda: len([w for w in transport.waits if w == 1.5]) >= 3, timeout=10)
        assert client.get("/health").json()["details"].get("last_error") is None


class ByteBudgetFeed(FakeFeed):
    """A feed whose pages end after one change (as the byte budget cuts a page of big
    profiles), with `last_seq` telling that more is waiting."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        page = ChangesPublic.model_validate_json(response.content)
        page.changes = page.changes[:1]
        return httpx.Response(200, json=page.model_dump(mode="json"))


def test_a_page_cut_short_by_the_byte_budget_is_followed_at_once(start_matcher) -> None:
    feed = ByteBudgetFeed()
    feed.create()
    with start_matcher(feed.transport, poll_interval=2.0) as client:
        wait_ready(client)
        started = time.monotonic()
        created = [feed.create() for _ in range(4)]
        # At most one poll pause (the one the follower was in when the writes came), then four
        # pages of one change each without a pause between them (a pause each: >= 8 s).
        wait_for(lambda: client.get("/health").json()["details"]["profiles"] == 5, timeout=4.0)
        assert time.monotonic() - started < 4.0
        assert {p.id for p in created} <= set(match_ids(client, LASER))
