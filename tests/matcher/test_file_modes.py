"""The matcher's snapshots (profiles with their contacts) are owner-only on disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.matcher.config import MatcherSettings
from tests.matcher.conftest import FakeFeed, wait_ready


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_snapshot_directory_and_files_are_owner_only(
    feed: FakeFeed, start_matcher, settings: MatcherSettings, open_umask: None
) -> None:
    feed.create()
    index_dir = settings.resolved_index_dir
    index_dir.mkdir(mode=0o755)  # made before snapshots were owner-only
    os.chmod(index_dir, 0o755)
    with start_matcher(feed.transport) as client:
        wait_ready(client)
    modes = _modes(index_dir)
    files = {name for name in modes if (index_dir / name).is_file()}
    assert {"manifest.json"} < files and any(name.endswith("profiles.jsonl") for name in files)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o600 if name in files else 0o700)
    }
    assert wrong == {}, wrong
