"""The change feed's bounds: erasure of past versions, bootstrap of a new follower, pages
bounded in bytes, long polling with `wait`, and feed polls logged below INFO."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crosslink.cli import app as cli
from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from tests.factories import profile_payload

Create = Callable[..., dict[str, Any]]


def follow_from_zero(client: TestClient, limit: int = 2) -> dict[int, dict[str, Any]]:
    """What a new replica builds from the feed: apply every page from seq 0 in order."""
    state: dict[int, dict[str, Any]] = {}
    after = 0
    while True:
        page = client.get("/changes", params={"after": after, "limit": limit}).json()
        for change in page["changes"]:
            assert change["seq"] > after
            after = change["seq"]
            if change["op"] == "delete":
                state.pop(change["profile_id"], None)
            else:
                state[change["profile_id"]] = change["profile"]
        if not page["changes"]:
            assert after == page["last_seq"]
            return state


def test_past_versions_and_deleted_data_are_not_served(
    profiles_client: TestClient, create: Create
) -> None:
    kept = create(description="First words of the kept profile.")
    gone = create(description="Words of a profile that is erased.", city="Secretville")
    profiles_client.patch(f"/profiles/{kept['id']}", json={"description": "Second words."})
    profiles_client.patch(f"/profiles/{gone['id']}", json={"city": "Othertown"})
    assert profiles_client.delete(f"/profiles/{gone['id']}").status_code == 204

    body = profiles_client.get("/changes", params={"limit": 1000}).text
    for past in ("First words", "Words of a profile", "Secretville", "Othertown"):
        assert past not in body
    changes = json.loads(body)["changes"]
    assert [(c["op"], c["profile_id"]) for c in changes] == [
        ("update", kept["id"]),
        ("delete", gone["id"]),
    ]
    assert changes[0]["profile"]["description"] == "Second words."
    assert changes[1]["profile"] is None


def test_a_new_follower_from_zero_reaches_exactly_the_current_profiles(
    profiles_client: TestClient, create: Create
) -> None:
    made = [create() for _ in range(6)]
    profiles_client.patch(f"/profiles/{made[0]['id']}", json={"city": "Graz"})
    profiles_client.patch(f"/profiles/{made[3]['id']}", json={"city": "Linz"})
    profiles_client.delete(f"/profiles/{made[1]['id']}")
    profiles_client.delete(f"/profiles/{made[3]['id']}")
    profiles_client.post("/profiles/bulk", json=[profile_payload(external_id="bulk-1")])
    profiles_client.post(
        "/profiles/bulk", json=[profile_payload(external_id="bulk-1", city="Wels")]
    )

    current = profiles_client.get("/profiles", params={"limit": 500}).json()["data"]
    state = follow_from_zero(profiles_client)
    assert state == {p["id"]: p for p in current}
    assert {p["city"] for p in state.values()} >= {"Graz", "Wels"}


def test_an_existing_full_history_feed_is_compacted_at_startup(
    profiles_settings: ProfilesSettings,
) -> None:
    """A database written before compaction (every version kept) is compacted on start."""
    from sqlmodel import Session

    from models.profiles import ChangeOp
    from services.profiles.db import make_engine
    from services.profiles.feed import record_change

    with TestClient(create_app(profiles_settings)) as client:
        created = client.post("/profiles", json=profile_payload(city="Old")).json()
        client.patch(f"/profiles/{created['id']}", json={"city": "New"})
        public = client.get(f"/profiles/{created['id']}").json()
    engine = make_engine(profiles_settings.resolved_database_url)
    with Session(engine) as session:  # re-add a superseded version, as the old feed kept it
        from models.profiles import ProfilePublic

        stale = ProfilePublic.model_validate({**public, "city": "Old", "version": 1})
        record_change(
            session=session,
            op=ChangeOp.update,
            profile_id=created["id"],
            snapshot=stale,
            compact=False,
        )
        session.commit()
    engine.dispose()
    with TestClient(create_app(profiles_settings)) as client:
        changes = client.get("/changes").json()["changes"]
    assert len(changes) == 1 and changes[0]["profile"]["city"] == "Old"  # the latest entry


def test_a_page_is_bounded_in_bytes_and_always_progresses(
    profiles_settings: ProfilesSettings,
) -> None:
    budget = 20_000
    settings = profiles_settings.model_copy(update={"changes_max_bytes": budget})
    offers = [f"offer {i} " + "x" * 950 for i in range(8)]  # ~8 KB a profile
    with TestClient(create_app(settings)) as client:
        items = [profile_payload(external_id=f"big-{i}", offers=offers) for i in range(10)]
        huge = profile_payload(external_id="huge", partners=[f"p-{i:06d}" for i in range(5000)])
        result = client.post("/profiles/bulk", json=[*items, huge]).json()
        assert result["created"] == 11
        after, pages, seen = 0, [], 0
        while True:
            response = client.get("/changes", params={"after": after, "limit": 1000})
            page = response.json()
            if not page["changes"]:
                break
            pages.append((len(page["changes"]), len(response.content)))
            seen += len(page["changes"])
            after = page["changes"][-1]["seq"]
    assert seen == 11
    assert all(size <= budget for count, size in pages if count > 1)
    assert max(count for count, _ in pages) >= 2  # small profiles still share a page
    assert pages[-1][0] == 1 and pages[-1][1] > budget  # one larger than the budget: alone


def test_a_waiting_request_returns_promptly_after_a_write(
    profiles_settings: ProfilesSettings,
) -> None:
    # The internal database poll is slower than the test's bound: only the signal can be fast.
    settings = profiles_settings.model_copy(update={"changes_poll_interval": 20.0})
    with TestClient(create_app(settings)) as client:
        last = client.get("/changes").json()["last_seq"]
        answer: dict[str, Any] = {}

        def waiter() -> None:
            response = client.get("/changes", params={"after": last, "wait": 15})
            answer["at"] = time.monotonic()
            answer["body"] = response.json()

        thread = threading.Thread(target=waiter)
        started = time.monotonic()
        thread.start()
        time.sleep(0.5)  # the scenario: the write comes while the request waits
        created = client.post("/profiles", json=profile_payload()).json()
        written = time.monotonic()
        thread.join(timeout=15)
    assert answer["at"] - written < 1.0, answer["at"] - written
    assert answer["at"] - started >= 0.5  # it was held, not answered at once
    assert [c["profile_id"] for c in answer["body"]["changes"]] == [created["id"]]


def test_a_waiting_request_sees_another_process_write_by_polling(
    profiles_settings: ProfilesSettings, database_url: str, tmp_path: Path
) -> None:
    """`crosslink import` has its own engine: no in-process signal, found by the inner poll."""
    settings = profiles_settings.model_copy(update={"changes_poll_interval": 0.2})
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(profile_payload(external_id="cli-1")) + "\n", encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        answer: dict[str, Any] = {}

        def waiter() -> None:
            answer["body"] = client.get("/changes", params={"wait": 10}).json()
            answer["at"] = time.monotonic()

        thread = threading.Thread(target=waiter)
        thread.start()
        env = {"CROSSLINK_DATABASE_URL": database_url}
        result = CliRunner().invoke(cli, ["import", str(path), "--no-progress"], env=env)
        written = time.monotonic()
        assert result.exit_code == 0, result.output
        thread.join(timeout=10)
    assert answer["at"] - written < 1.0
    assert answer["body"]["changes"][0]["profile"]["external_id"] == "cli-1"


def test_an_idle_wait_returns_empty_after_the_wait_and_is_capped(
    profiles_settings: ProfilesSettings,
) -> None:
    settings = profiles_settings.model_copy(update={"changes_max_wait": 1.0})
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        page = client.get("/changes", params={"wait": 0.6}).json()
        waited = time.monotonic() - started
        assert page == {"changes": [], "last_seq": 0}
        assert 0.6 <= waited < 1.5
        started = time.monotonic()
        assert client.get("/changes", params={"wait": 3600}).json()["changes"] == []
        assert 1.0 <= time.monotonic() - started < 2.0  # capped by CROSSLINK_CHANGES_MAX_WAIT
        bad = client.get("/changes", params={"wait": "nan"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
        assert client.get("/changes", params={"wait": -1}).status_code == 422


def test_feed_polls_are_logged_at_debug(
    profiles_settings: ProfilesSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_app(profiles_settings)  # installs the access-log filter
    access = logging.getLogger("uvicorn.access")
    # Records are caught by a handler of this test's own on the access logger, which does not
    # propagate meanwhile: whatever earlier tests (a served stack, caplog) did to uvicorn's
    # loggers and the root's handlers cannot add or hide a record.
    caught: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = caught.append  # type: ignore[method-assign]
    monkeypatch.setattr(access, "propagate", False)
    monkeypatch.setattr(access, "disabled", False)
    monkeypatch.setattr(access, "handlers", [handler])
    level = access.level
    message = '%s - "%s %s HTTP/%s" %d'  # uvicorn's access line
    try:
        access.setLevel(logging.INFO)
        access.info(message, "127.0.0.1:5", "GET", "/changes?after=3&limit=500", "1.1", 200)
        access.info(message, "127.0.0.1:5", "GET", "/profiles/3", "1.1", 200)
        assert [r.getMessage().split('"')[1] for r in caught] == ["GET /profiles/3 HTTP/1.1"]
        caught.clear()
        access.setLevel(logging.DEBUG)
        access.info(message, "127.0.0.1:5", "GET", "/changes?after=3", "1.1", 200)
        assert [r.levelname for r in caught] == ["DEBUG"]
    finally:
        access.setLevel(level)
