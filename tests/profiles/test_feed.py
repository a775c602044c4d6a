"""The change feed: order, snapshots, tombstones, and followers under concurrent writers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import profile_payload

Create = Callable[..., dict[str, Any]]


def test_order_snapshots_and_tombstones(profiles_client: TestClient, create: Create) -> None:
    """The feed keeps the latest entry per profile, in seq order: a's create is replaced by its
    update, b's create by its tombstone."""
    a = create()
    b = create()
    profiles_client.patch(f"/profiles/{a['id']}", json={"city": "Leipzig"})
    profiles_client.delete(f"/profiles/{b['id']}")
    c = create()

    feed = profiles_client.get("/changes").json()
    changes = feed["changes"]
    assert [(c["op"], c["profile_id"]) for c in changes] == [
        ("update", a["id"]),
        ("delete", b["id"]),
        ("create", c["id"]),
    ]
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert seqs[0] > 2  # the two creates before it were compacted away: seqs have gaps
    assert feed["last_seq"] == seqs[-1]
    assert changes[2]["profile"]["city"] == c["city"]  # the snapshot at that time
    assert changes[0]["profile"]["city"] == "Leipzig"
    assert changes[0]["profile"]["version"] == 2
    assert changes[1]["profile"] is None  # tombstone
    assert changes[0]["profile"]["region_name"] == a["region_name"]

    page = profiles_client.get("/changes", params={"after": seqs[0], "limit": 1}).json()
    assert [c["seq"] for c in page["changes"]] == seqs[1:2]
    assert page["last_seq"] == seqs[-1]
    assert profiles_client.get("/changes", params={"after": seqs[-1]}).json()["changes"] == []


def test_empty_feed(profiles_client: TestClient) -> None:
    assert profiles_client.get("/changes").json() == {"changes": [], "last_seq": 0}


def test_failed_writes_leave_no_entry(profiles_client: TestClient, create: Create) -> None:
    profile = create(external_id="once")
    profiles_client.post("/profiles", json=profile_payload(external_id="once"))  # 409
    profiles_client.patch(f"/profiles/{profile['id']}", json={"region": "XX9"})  # 422
    profiles_client.patch(f"/profiles/{profile['id']}", json={"city": "Y", "version": 9})  # 412
    assert len(profiles_client.get("/changes").json()["changes"]) == 1


def test_follower_sees_every_change_while_writers_write(profiles_client: TestClient) -> None:
    """Concurrent writers; a follower polling `after=last` must end at every profile's current
    version (on PostgreSQL a seq that commits late would be skipped without the writers' lock;
    a compacted entry always has a later one for the same profile)."""
    writers, per_writer = 4, 12
    done = threading.Event()
    followed: list[int] = []
    versions: dict[int, int] = {}

    def write(worker: int) -> None:
        for i in range(per_writer):
            created = profiles_client.post("/profiles", json=profile_payload())
            assert created.status_code == 201
            if i % 3 == 0:
                url = f"/profiles/{created.json()['id']}"
                assert profiles_client.patch(url, json={"city": f"w{worker}"}).is_success

    def follow() -> None:
        last = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            finished = done.is_set()
            page = profiles_client.get("/changes", params={"after": last, "limit": 7}).json()
            for change in page["changes"]:
                followed.append(change["seq"])
                versions[change["profile_id"]] = change["profile"]["version"]
                last = change["seq"]
            if finished and not page["changes"]:
                return

    follower = threading.Thread(target=follow)
    follower.start()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    done.set()
    follower.join()

    everything = profiles_client.get("/changes", params={"limit": 1000}).json()["changes"]
    assert len(everything) == writers * per_writer  # one entry per profile
    assert followed == sorted(set(followed))  # in order, none twice
    assert set(c["seq"] for c in everything) <= set(followed)
    current = profiles_client.get("/profiles", params={"limit": 500}).json()["data"]
    assert versions == {p["id"]: p["version"] for p in current}
    assert sum(v == 2 for v in versions.values()) == writers * len(range(0, per_writer, 3))


def test_pages_have_no_gaps_or_repeats_while_others_insert(
    profiles_client: TestClient, create: Create
) -> None:
    before = [create()["id"] for _ in range(20)]
    stop = threading.Event()
    inserted: list[int] = []

    def insert() -> None:
        while not stop.is_set() and len(inserted) < 60:
            inserted.append(create()["id"])

    inserter = threading.Thread(target=insert)
    inserter.start()
    seen: list[int] = []
    cursor = None
    try:
        while True:
            params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            page = profiles_client.get("/profiles", params=params).json()
            seen += [p["id"] for p in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        inserter.join()
    assert len(seen) == len(set(seen))  # no repeats
    assert seen == sorted(seen)
    assert set(before) <= set(seen)  # no gaps among what existed when paging began
