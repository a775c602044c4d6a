"""The real stack behind real sockets for the page tests, and a headless Chromium driving it.

profiles, matcher and gateway each run in a uvicorn server on a free loopback port in a thread
of this process (`tests.stack.served_stack`); the browser only talks to the gateway.
`--screenshots` saves each page at desktop and phone width to docs/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_database
from tests.factories import LASER_NEED, WEB_SET, dataset
from tests.stack import STARTUP_DEADLINE, served_stack, wait_for

PROFILES = dataset(WEB_SET, prefix="web")

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
    data_dir = tmp_path_factory.mktemp("web-stack")
    with served_stack(database_url=web_database_url, data_dir=data_dir) as served:
        created = {}
        with httpx.Client(base_url=served.profiles_url, timeout=10) as client:
            for payload in PROFILES:
                response = client.post("/profiles", json=payload)
                assert response.status_code == 201, response.text
                created[payload["external_id"]] = response.json()
        wait_for(
            lambda: _indexed(served.url, len(PROFILES)),
            deadline=STARTUP_DEADLINE,
            what="the matcher to index the web dataset",
        )
        yield Stack(url=served.url, profiles=created)


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
