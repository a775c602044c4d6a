"""The real stack behind real sockets for the page tests, and a headless Chromium driving it.

profiles, matcher and gateway each run in a uvicorn server on a free loopback port in a thread
of this process (lifespans run, the model is loaded once); the browser only talks to the gateway.
`--screenshots` saves each page at desktop and phone width to docs/screenshots/.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.databases import fresh_database
from tests.web.data import LASER_NEED, PROFILES

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
STARTUP_DEADLINE = 120.0


def wait_for(check: Callable[[], Any], *, deadline: float, what: str) -> Any:
    """Poll `check` until it returns something truthy or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise TimeoutError(f"gave up waiting for {what} after {deadline:.0f} s")
        time.sleep(0.05)


class ServerThread:
    """One ASGI app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI):
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_for(
            lambda: self.server.started or not self.thread.is_alive(),
            deadline=STARTUP_DEADLINE,
            what="uvicorn to start",
        )
        if not self.server.started:
            raise RuntimeError("uvicorn did not start; see the log above")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def web_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for the session: SQLite, or a schema of its own on PostgreSQL."""
    with fresh_database(tmp_path_factory.mktemp("web-db"), "web") as url:
        yield url


@dataclass
class Stack:
    url: str
    profiles: dict[str, dict[str, Any]]  # external_id -> ProfilePublic as JSON


@pytest.fixture(scope="session")
def stack(web_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """profiles + matcher + gateway with the web dataset, indexed and searchable."""
    from gateway.app import create_app as create_gateway
    from gateway.config import GatewaySettings
    from services.matcher.app import create_app as create_matcher
    from services.matcher.config import MatcherSettings
    from services.profiles.app import create_app as create_profiles
    from services.profiles.config import ProfilesSettings

    data_dir = tmp_path_factory.mktemp("web-stack")
    profiles_app = create_profiles(
        ProfilesSettings(database_url=web_database_url, data_dir=data_dir, demo_data=False)
    )
    with ServerThread(profiles_app) as profiles_url:
        created = {}
        with httpx.Client(base_url=profiles_url, timeout=10) as client:
            for payload in PROFILES:
                response = client.post("/profiles", json=payload)
                assert response.status_code == 201, response.text
                created[payload["external_id"]] = response.json()
        matcher_app = create_matcher(
            MatcherSettings(profiles_url=profiles_url, data_dir=data_dir, poll_interval=0.05)
        )
        with ServerThread(matcher_app) as matcher_url:
            settings = GatewaySettings(
                profiles_url=profiles_url,
                matcher_urls=[matcher_url],
                data_dir=data_dir,
                rate_limit_anonymous="100000/minute",
            )
            gateway_app = create_gateway(settings)
            with ServerThread(gateway_app) as gateway_url:
                wait_for(
                    lambda: _indexed(gateway_url, len(PROFILES)),
                    deadline=STARTUP_DEADLINE,
                    what="the matcher to index the web dataset",
                )
                yield Stack(url=gateway_url, profiles=created)


def _indexed(gateway_url: str, count: int) -> bool:
    """True once a search through the gateway sees every profile of the dataset."""
    body = {"text": LASER_NEED, "limit": 100}
    try:
        response = httpx.post(f"{gateway_url}/v1/match", json=body, timeout=10)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json()["count"] >= count


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):  # CI installs it (.ci/run): missing there is a failure
            pytest.fail(f"Debian's chromium is not at {CHROMIUM}")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A fresh desktop-sized tab on the gateway; fails the test on any script error."""
    context = browser.new_context(viewport=DESKTOP, base_url=stack.url, locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """`screenshot(page, "search")` saves search-desktop.png and search-phone.png if asked to."""
    enabled = request.config.getoption("--screenshots", default=False)

    def take(tab: Any, name: str) -> None:
        if not enabled:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = tab.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            tab.set_viewport_size(viewport)
            tab.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        tab.set_viewport_size(size)

    return take
