"""The profiles database on disk: ids never reused, owner-only files, old databases upgraded."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from fastapi.testclient import TestClient

from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from tests.factories import profile_payload


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ids_are_not_reused_after_a_delete(profiles_client: TestClient) -> None:
    first = profiles_client.post("/profiles", json=profile_payload()).json()
    second = profiles_client.post("/profiles", json=profile_payload()).json()
    assert profiles_client.delete(f"/profiles/{second['id']}").status_code == 204
    third = profiles_client.post("/profiles", json=profile_payload()).json()
    assert third["id"] > second["id"] > first["id"]
    assert profiles_client.get(f"/profiles/{second['id']}").status_code == 404
    bulk = profiles_client.post("/profiles/bulk", json=[profile_payload()]).json()
    profiles_client.delete(f"/profiles/{third['id']}")
    profiles_client.delete(f"/profiles/{bulk['items'][0]['id']}")
    again = profiles_client.post("/profiles/bulk", json=[profile_payload()]).json()
    assert again["items"][0]["id"] > bulk["items"][0]["id"]


def test_database_and_wal_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    settings = ProfilesSettings(data_dir=data, demo_data=False)
    with TestClient(create_app(settings)) as client:
        client.post("/profiles", json=profile_payload())
        database = data / "profiles.db"
        files = [database, data / "profiles.db-wal", data / "profiles.db-shm"]
        assert all(path.is_file() for path in files)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
        assert mode(data) == 0o700 and mode(data.parent) == 0o700


def test_an_existing_world_readable_database_is_restricted(tmp_path: Path) -> None:
    database = tmp_path / "profiles.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    settings = ProfilesSettings(database_url=f"sqlite:///{database}", demo_data=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
    assert mode(database) == 0o600


def test_a_database_without_autoincrement_is_upgraded(tmp_path: Path) -> None:
    """Tables made by an earlier version (plain INTEGER PRIMARY KEY) are rebuilt with
    AUTOINCREMENT at startup; the profiles and their feed entries are kept."""
    database = tmp_path / "old.db"
    settings = ProfilesSettings(database_url=f"sqlite:///{database}", demo_data=False)
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/profiles", json=profile_payload()).json()["id"] for _ in range(3)]
    with sqlite3.connect(database) as conn:  # turn the tables into what the old version made
        for table in ("profile", "profile_change"):
            sql = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()[0]
            conn.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
            for (index,) in conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                (f"old_{table}",),
            ).fetchall():
                conn.execute(f"DROP INDEX {index}")
            conn.execute(sql.replace("AUTOINCREMENT", ""))
            conn.execute(f"INSERT INTO {table} SELECT * FROM old_{table}")
            conn.execute(f"DROP TABLE old_{table}")
        conn.execute("DROP TABLE feedback")  # the old version had no feedback table
        conn.execute("DELETE FROM sqlite_sequence")
        tables = conn.execute("SELECT sql FROM sqlite_master WHERE type='table'").fetchall()
        assert not any("AUTOINCREMENT" in (sql or "") for (sql,) in tables)

    with TestClient(create_app(settings)) as client:
        listed = client.get("/profiles").json()["data"]
        assert [p["id"] for p in listed] == ids
        assert len(client.get("/changes").json()["changes"]) == 3
        assert client.get("/profiles", params={"external_id": "x"}).status_code == 200
        client.delete(f"/profiles/{ids[-1]}")
        new = client.post("/profiles", json=profile_payload()).json()
        assert new["id"] > ids[-1]
    with sqlite3.connect(database) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name='profile'").fetchone()[0]
        indexes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='profile'"
        ).fetchall()
    assert "AUTOINCREMENT" in sql
    assert ("ix_profile_external_id",) in indexes
