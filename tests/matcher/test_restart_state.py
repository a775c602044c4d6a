"""A restart restores the engine from its snapshot's arrays (profiles as columns, the passage
store, BM25, the partner links): it answers every match exactly as before the restart, with
either ranker. An older snapshot (profiles only as JSONL, no BM25 or links) is read as before
and rewritten in the current format; saved links computed for other trusted hubs are not used."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from models.profiles import ProfilePublic
from services.matcher.config import MatcherSettings
from services.matcher.index import snapshot, snapshot_profiles
from tests.factories import ORGANISATIONS
from tests.matcher.conftest import FakeFeed, StartMatcher, wait_ready

NEEDS = [
    "laser welding process monitoring for aluminium parts",
    "compostable film for bioplastic food packaging",
    "software for hospitals and digital health records",
]
# What a snapshot holds since the restart work; older snapshots hold none of it.
NEWER_FILES = ("profiles.npz", "bm25", "lexicon.npz", "links.npz")


def _fill(feed: FakeFeed) -> None:
    """Every factory organisation, each naming the next two as partners (so some links are
    stated by both sides, some by one), every third one owned by hub `hub-a`."""
    keys = sorted(ORGANISATIONS)
    for i, key in enumerate(keys):
        feed.create(
            **{k: v for k, v in ORGANISATIONS[key].items()},
            external_id=f"r-{key}",
            partners=[f"r-{keys[(i + d) % len(keys)]}" for d in (1, 2)],
            owner="hub-a" if i % 3 == 0 else None,
        )


def _answers(client: TestClient, feed: FakeFeed) -> dict[str, Any]:
    """Every answer a restart could change: matches for needs (with and without a seeker,
    filters, known partners) and every profile's own matches, as the JSON served."""
    out: dict[str, Any] = {}
    first = min(feed.profiles)
    for text in NEEDS:
        for body in (
            {"text": text, "limit": 50},
            {"text": text, "limit": 50, "seeker_id": first, "include_known_partners": True},
            {"text": text, "limit": 50, "filters": {"kinds": ["research", "sme"]}},
        ):
            response = client.post("/match", json=body)
            assert response.status_code == 200, response.text
            out[json.dumps(body)] = response.json()
    for pid in sorted(feed.profiles):
        response = client.get(f"/profiles/{pid}/matches", params={"limit": 50})
        assert response.status_code == 200, response.text
        out[str(pid)] = response.json()
    health = client.get("/health").json()["details"]
    out["health"] = {k: health[k] for k in ("seq", "profiles", "passages")}
    return out


def _snapshot_folder(settings: MatcherSettings) -> Path:
    index_dir = settings.resolved_index_dir
    manifest = snapshot.read_manifest(index_dir)
    assert manifest is not None
    return snapshot.folder(index_dir, manifest)


@pytest.mark.parametrize("ranker", ["linear", "auto"])
def test_a_restart_answers_every_match_as_before_it(
    feed: FakeFeed,
    start_matcher: StartMatcher,
    settings: MatcherSettings,
    ranker: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _fill(feed)
    with start_matcher(feed.transport, ranker=ranker) as client:
        wait_ready(client)
        before = _answers(client, feed)
    assert all((_snapshot_folder(settings) / name).exists() for name in NEWER_FILES)
    ranked = before[json.dumps({"text": NEEDS[0], "limit": 50})]["data"]
    # auto: the packaged learned model ranked these (and the same after the restart)
    assert all(("learned" in r["explanation"]["components"]) == (ranker == "auto") for r in ranked)
    feed.requests.clear()
    caplog.set_level(logging.INFO, logger="crosslink.matcher.index")
    with start_matcher(feed.transport, ranker=ranker) as client:
        wait_ready(client)
        assert feed.requests[0] == len(feed.changes)  # from the snapshot: nothing replayed
        after = _answers(client, feed)
    assert after == before
    loaded = [r.getMessage() for r in caplog.records if "loaded snapshot" in r.getMessage()]
    assert loaded and "derived again" not in loaded[0]


def test_an_older_snapshot_is_read_and_rewritten_in_the_current_format(
    feed: FakeFeed, start_matcher: StartMatcher, settings: MatcherSettings
) -> None:
    _fill(feed)
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        before = _answers(client, feed)
    folder = _snapshot_folder(settings)
    for name in NEWER_FILES:  # what the format before held: manifest, index, JSONL, engine.npz
        path = folder / name
        if path.is_dir():
            for inner in path.iterdir():
                inner.unlink()
            path.rmdir()
        else:
            path.unlink()
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        assert _answers(client, feed) == before
    rewritten = _snapshot_folder(settings)
    assert rewritten != folder  # the shutdown wrote the current format
    assert all((rewritten / name).exists() for name in NEWER_FILES)
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        assert _answers(client, feed) == before


def test_links_saved_for_other_trusted_hubs_are_computed_again(
    feed: FakeFeed, start_matcher: StartMatcher, settings: MatcherSettings, tmp_path: Path
) -> None:
    _fill(feed)
    with start_matcher(feed.transport) as client:  # no trusted hubs
        wait_ready(client)
        untrusted = _answers(client, feed)
    with start_matcher(feed.transport, trusted_hubs=["hub-a"]) as client:  # restarted
        wait_ready(client)
        restarted = _answers(client, feed)
    fresh_dir = tmp_path / "fresh"
    with start_matcher(feed.transport, trusted_hubs=["hub-a"], data_dir=fresh_dir) as client:
        wait_ready(client)
        fresh = _answers(client, feed)
    assert restarted == fresh
    assert restarted != untrusted  # hub-a's one-sided claims count now: the test can fail


def test_profile_columns_are_validated_again_when_written_for_another_schema(
    feed: FakeFeed, tmp_path: Path
) -> None:
    _fill(feed)
    profiles = [p.model_copy(update={"contact": None}) for p in feed.profiles.values()]
    path = tmp_path / snapshot_profiles.PROFILES_COLUMNS
    snapshot_profiles.write_columns(path, profiles)
    restored = snapshot_profiles.read_columns(path)
    assert restored == profiles
    assert all(type(a.kind) is type(b.kind) for a, b in zip(restored, profiles, strict=True))
    assert [p.model_dump_json() for p in restored] == [p.model_dump_json() for p in profiles]

    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["schema"] = np.frombuffer(b"another-schema", dtype=np.uint8)
    arrays["s:region"][0] = arrays["s:name"][0]  # a value only validation rejects
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match="region"):
        snapshot_profiles.read_columns(path)

    del arrays["s:region"]  # columns that do not fit ProfilePublic: not read (JSONL is)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    assert snapshot_profiles.read_columns(path) is None
    assert isinstance(profiles[0], ProfilePublic)
