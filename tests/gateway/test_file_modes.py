"""The gateway's key store (key hashes, visit plans) is owner-only on disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.access.keys import Scope, create_key, make_engine
from gateway.app import create_app
from tests.stack import gateway_settings


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_store_and_its_directory_are_created_owner_only(
    tmp_path: Path, open_umask: None
) -> None:
    data_dir = tmp_path / "var" / "data"
    with TestClient(create_app(gateway_settings(data_dir=data_dir))) as client:
        assert client.get("/v1/visits/" + "0" * 32).status_code == 404
    store = data_dir / "keys.db"
    assert _mode(store) == 0o600
    assert _mode(data_dir) == 0o700 and _mode(data_dir.parent) == 0o700
    engine = make_engine(f"sqlite:///{store}")
    create_key(engine=engine, hub="ops", scopes=[Scope.read])
    journals = [store.with_name(store.name + s) for s in ("-wal", "-shm", "-journal")]
    assert all(_mode(path) == 0o600 for path in journals if path.exists())
    engine.dispose()


def test_an_existing_world_readable_key_store_is_restricted(
    tmp_path: Path, open_umask: None
) -> None:
    store = tmp_path / "keys.db"
    make_engine(f"sqlite:///{store}").dispose()
    wal = store.with_name("keys.db-wal")
    wal.write_bytes(b"")
    os.chmod(store, 0o644)
    os.chmod(wal, 0o644)
    make_engine(f"sqlite:///{store}").dispose()
    assert _mode(store) == 0o600
    assert _mode(wal) == 0o600
