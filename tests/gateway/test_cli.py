"""`crosslink keys ...` and the admin key created on first start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crosslink.cli import app
from gateway.access.cli import ensure_admin_key
from gateway.access.keys import Scope, find_active_key, make_engine
from gateway.config import GatewaySettings


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {"CROSSLINK_DATA_DIR": str(tmp_path), "CROSSLINK_KEYS_DATABASE_URL": database_url}


def test_keys_create_list_revoke(env: dict[str, str], database_url: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["keys", "create", "--hub", "saxony-hub", "--scopes", "read,write"], env=env
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("clk_") and len(token) > 40
    engine = make_engine(database_url)
    key = find_active_key(engine=engine, token=token)
    assert key is not None and key.hub == "saxony-hub"
    assert key.scope_set() == {Scope.read, Scope.write}
    assert token not in key.token_hash  # stored hashed

    listing = runner.invoke(app, ["keys", "list"], env=env)
    assert "saxony-hub\tread,write" in listing.stdout and token not in listing.stdout

    revoked = runner.invoke(app, ["keys", "revoke", str(key.id)], env=env)
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert find_active_key(engine=engine, token=token) is None
    assert runner.invoke(app, ["keys", "revoke", "999999"], env=env).exit_code == 1
    engine.dispose()


def test_keys_create_rejects_unknown_scopes(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["keys", "create", "--hub", "x", "--scopes", "read,root"], env=env
    )
    assert result.exit_code != 0
    assert "unknown scope(s) root" in result.output and "contacts" in result.output


def test_admin_key_is_created_once_with_owner_only_permissions(
    tmp_path: Path, database_url: str
) -> None:
    settings = GatewaySettings(data_dir=tmp_path / "data", keys_database_url=database_url)
    path = ensure_admin_key(settings)
    assert path == tmp_path / "data" / "admin.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine = make_engine(database_url)
    key = find_active_key(engine=engine, token=path.read_text().strip())
    assert key is not None and key.scope_set() == {Scope.admin}
    assert ensure_admin_key(settings) is None  # second start: nothing new
    engine.dispose()
