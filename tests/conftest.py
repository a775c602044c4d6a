"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when
CROSSLINK_TEST_DATABASE_URL is set) and a running profiles app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from tests.databases import POSTGRES_URL, fresh_database


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="browser tests save desktop and phone screenshots of each page to docs/screenshots/",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="needs CROSSLINK_TEST_DATABASE_URL (a PostgreSQL server)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test.

    On PostgreSQL each test gets its own schema (selected through the URL's search_path), so
    suites running at the same time on the same server never see each other's tables.
    """
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def profiles_settings(database_url: str, tmp_path: Path) -> ProfilesSettings:
    return ProfilesSettings(database_url=database_url, data_dir=tmp_path, demo_data=False)


@pytest.fixture
def profiles_client(profiles_settings: ProfilesSettings) -> Iterator[TestClient]:
    """The profiles service, lifespan run, on the test database."""
    with TestClient(create_app(profiles_settings)) as client:
        yield client


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """One asyncio runner for the whole session: session-scoped async stacks stay usable from
    every suite (a narrower override elsewhere would start a second runner inside the first)."""
    return "asyncio"
