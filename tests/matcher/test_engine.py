"""The in-process engine and its parts: passages cover long texts, the FAISS index honours
filters and removals."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

import numpy as np
import pytest

from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher.embedding import Encoder
from services.matcher.index import FaissIndex, Lexicon, ProfileIndex, lexicon
from services.matcher.ranking import MatchEngine, RankingWeights

LONG = " ".join(f"Topic{i} research on sensor number {i}." for i in range(200))


def _profile(profile_id: int, **fields: object) -> ProfilePublic:
    now = datetime.now(UTC)
    base = {
        "id": profile_id,
        "name": f"Org {profile_id}",
        "kind": "research",
        "country": "DE",
        "description": "Research institute.",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    return ProfilePublic.model_validate({**base, **fields})


def test_long_description_is_split_not_truncated(encoder: Encoder) -> None:
    passages = encoder.passages(_profile(1, description=LONG, offers=["a", "b"]))
    descriptions = [p.text for p in passages if p.field == "description"]
    assert len(descriptions) > 1
    covered = " ".join(descriptions)
    assert all(f"Topic{i}" in covered for i in range(200))
    assert [(p.field, p.index) for p in passages if p.field == "offer"] == [
        ("offer", 0),
        ("offer", 1),
    ]
    assert len(encoder.split(LONG)) == len(descriptions)


def test_engine_finds_a_topic_deep_inside_a_long_description(encoder: Encoder) -> None:
    engine = MatchEngine(encoder)
    engine.upsert(
        [
            _profile(1, description=LONG + " We also build cryogenic vaccine freezers."),
            _profile(2, description="Bakery making sourdough bread."),
        ]
    )
    result = engine.match(MatchRequest(text="cryogenic vaccine freezers"))
    top = result.data[0]
    assert top.profile.id == 1
    assert "cryogenic vaccine freezers" in top.explanation.passage.text
    engine.delete(1)
    assert [r.profile.id for r in engine.match(MatchRequest(text="vaccine freezers")).data] == [2]


def test_faiss_index_filters_before_the_cut_and_removes() -> None:
    index = FaissIndex(4)
    vectors = np.eye(4, dtype=np.float32)
    ids = np.array([1 << 8, 1 << 8 | 1, 2 << 8, 3 << 8], dtype=np.int64)
    index.add(ids, vectors)
    _, found = index.search(vectors[:1], 1, allowed=np.array([3 << 8]))
    assert found.tolist() == [[3 << 8]]
    _, found = index.search(vectors[:1], 4, excluded=ids[:2])
    assert set(found.ravel().tolist()) - {-1} == {2 << 8, 3 << 8}
    assert index.remove(ids[:2]) == 2
    assert index.count() == 2
    _, found = index.search(vectors[:1], 4)
    assert set(found.ravel().tolist()) - {-1} == {2 << 8, 3 << 8}
    assert np.allclose(index.vectors(np.array([3 << 8])), vectors[3:])


def test_description_paragraphs_are_passages_of_their_own(encoder: Encoder) -> None:
    description = (
        "Sourdough bread bakery with organic regional flour.\n\n"
        "Cryogenic freezers for vaccine storage and cold-chain logistics.\n" + LONG
    )
    passages = [p.text for p in encoder.passages(_profile(1, description=description))]
    assert passages[:2] == [
        "Sourdough bread bakery with organic regional flour.",
        "Cryogenic freezers for vaccine storage and cold-chain logistics.",
    ]
    assert passages[2:] == encoder.split(LONG)  # a long paragraph is still cut into windows
    engine = MatchEngine(encoder)
    engine.upsert([_profile(1, description=description), _profile(2, description="Steel mill.")])
    top = engine.match(MatchRequest(text="vaccine cold chain freezers")).data[0]
    assert top.profile.id == 1
    assert top.explanation.passage.text == passages[1]


def test_bm25_catches_up_off_the_query_path_and_deletes_are_final(encoder: Encoder) -> None:
    """Above `lexicon_inline_below` profiles BM25 is rebuilt in the background: a query right
    after a write is answered at once (the new profile by its vectors), its words count once
    the rebuild lands, and a deleted profile is never returned, even from a stale lexicon."""
    engine = MatchEngine(encoder, profiles=ProfileIndex(encoder, lexicon_inline_below=0))
    engine.upsert([_profile(i, description=f"Bakery number {i} for bread.") for i in (1, 2, 3)])
    engine.match(MatchRequest(text="bread"))  # the first lexicon is built inline
    engine.upsert([_profile(4, description="Zyxquartz resonator crystals for clocks.")])
    first = engine.match(MatchRequest(text="zyxquartz resonator crystals"))
    assert first.data[0].profile.id == 4  # found by its vectors before BM25 knows the word
    engine.settle()
    again = engine.match(MatchRequest(text="zyxquartz resonator crystals")).data[0]
    assert again.profile.id == 4
    assert again.explanation.components["lexical"] > 0
    assert "zyxquartz" in again.explanation.shared_terms
    engine.delete(4)
    after = engine.match(MatchRequest(text="zyxquartz resonator crystals"))
    assert 4 not in [r.profile.id for r in after.data]
    engine.settle()


def test_a_failed_background_bm25_rebuild_is_retried_by_the_next_query(
    encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If building BM25 in the background fails (e.g. out of memory), queries keep the
    previous lexicon and the next one starts the rebuild again: no word is lost for good."""
    engine = MatchEngine(encoder, profiles=ProfileIndex(encoder, lexicon_inline_below=0))
    engine.upsert([_profile(i, description=f"Bakery number {i} for bread.") for i in (1, 2, 3)])
    engine.match(MatchRequest(text="bread"))  # the first lexicon is built inline
    real = lexicon.build_elsewhere
    failures = [MemoryError("no memory for BM25")]

    def flaky(*args: object, **kwargs: object) -> Lexicon:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lexicon, "build_elsewhere", flaky)
    engine.upsert([_profile(4, description="Zyxquartz resonator crystals for clocks.")])
    engine.match(MatchRequest(text="zyxquartz"))  # starts the rebuild, which fails
    engine.settle()
    assert failures == []
    stale = engine.match(MatchRequest(text="zyxquartz resonator crystals")).data[0]
    assert stale.explanation.components["lexical"] == 0  # still the old lexicon; retry started
    engine.settle()
    fresh = engine.match(MatchRequest(text="zyxquartz resonator crystals")).data[0]
    assert fresh.profile.id == 4 and fresh.explanation.components["lexical"] > 0


def test_a_rebuild_asked_for_while_the_process_exits_is_skipped_without_an_error(
    encoder: Encoder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A write that lands while the server shuts down asks for a BM25 rebuild the exiting
    interpreter refuses to start: that is logged as a skip, not as an error with a traceback,
    and the lexicon stays marked stale."""
    engine = MatchEngine(encoder, profiles=ProfileIndex(encoder, lexicon_inline_below=0))
    engine.upsert([_profile(i, description=f"Bakery number {i} for bread.") for i in (1, 2, 3)])
    engine.match(MatchRequest(text="bread"))  # the first lexicon is built inline
    exited = ProcessPoolExecutor(1)
    exited.shutdown()  # refuses new work, as every executor does once the interpreter exits
    monkeypatch.setattr(lexicon, "_helper", exited)
    engine.upsert([_profile(4, description="Zyxquartz resonator crystals for clocks.")])
    with caplog.at_level(logging.INFO, logger="crosslink.matcher.lexicon"):
        first = engine.match(MatchRequest(text="zyxquartz resonator crystals"))
        engine.settle()
    assert first.data[0].profile.id == 4  # still found by its vectors
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("skipped" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()  # the real helper again: the next query catches up
    engine.match(MatchRequest(text="zyxquartz"))
    engine.settle()
    fresh = engine.match(MatchRequest(text="zyxquartz resonator crystals")).data[0]
    assert fresh.explanation.components["lexical"] > 0


def test_a_dead_bm25_helper_process_is_replaced_on_the_next_rebuild(
    encoder: Encoder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If the helper process that builds BM25 dies (e.g. killed for memory), that rebuild
    fails and is logged; the dead helper is dropped, so the retry starts a new one and the
    new words count again."""
    engine = MatchEngine(encoder, profiles=ProfileIndex(encoder, lexicon_inline_below=0))
    engine.upsert([_profile(i, description=f"Bakery number {i} for bread.") for i in (1, 2, 3)])
    engine.match(MatchRequest(text="bread"))  # the first lexicon is built inline
    dead = ProcessPoolExecutor(1)
    with pytest.raises(BrokenProcessPool):
        dead.submit(os._exit, 1).result()  # its worker process dies: the pool is broken
    monkeypatch.setattr(lexicon, "_helper", dead)
    engine.upsert([_profile(4, description="Zyxquartz resonator crystals for clocks.")])
    with caplog.at_level(logging.INFO, logger="crosslink.matcher.lexicon"):
        engine.match(MatchRequest(text="zyxquartz"))  # starts the rebuild, which fails
        engine.settle()
    assert any(r.levelno == logging.ERROR and "BM25" in r.getMessage() for r in caplog.records)
    assert lexicon._helper is None  # dropped: the next rebuild spawns a new helper
    engine.match(MatchRequest(text="zyxquartz"))  # the retry
    engine.settle()
    assert lexicon._helper is not None and lexicon._helper is not dead
    fresh = engine.match(MatchRequest(text="zyxquartz resonator crystals")).data[0]
    assert fresh.profile.id == 4 and fresh.explanation.components["lexical"] > 0
    lexicon._helper.shutdown()


def test_partners_of_the_organisations_closest_to_the_need_rank_up(encoder: Encoder) -> None:
    # 1 is the one organisation close to the need; 3 has worked with it, 4 (same text) with the
    # unrelated 2. Only the peers component tells 3 and 4 apart.
    profiles = [
        _profile(1, external_id="a", description="Cryogenic freezers for vaccine storage."),
        _profile(2, external_id="b", description="Bakery making sourdough bread."),
        _profile(3, external_id="c", description="Logistics services.", partners=["a"]),
        _profile(4, external_id="d", description="Logistics services.", partners=["b"]),
    ]
    engine = MatchEngine(encoder, weights=RankingWeights(peers=0.5, peer_count=1))
    engine.upsert(profiles)
    data = engine.match(MatchRequest(text="cryogenic vaccine freezers", limit=10)).data
    peers = {r.profile.id: r.explanation.components["peers"] for r in data}
    assert peers[3] > 0
    assert peers[4] == peers[2] == 0  # 2's partner 4 is not counted: 2 is not close to the need
    ids = [r.profile.id for r in data]
    assert ids.index(3) < ids.index(4)
    reasons = next(r.explanation.reasons for r in data if r.profile.id == 3)
    assert "It has worked with 1 organisation close to your need." in reasons
    without = MatchEngine(encoder, weights=RankingWeights(peers=0.5, peer_count=0))
    without.upsert(profiles)
    data = without.match(MatchRequest(text="cryogenic vaccine freezers", limit=10)).data
    assert all(r.explanation.components["peers"] == 0 for r in data)


def test_matches_run_side_by_side_with_writes(encoder: Encoder) -> None:
    """Matches share the engine (a read lock) while writes land one at a time: none fails,
    and once `delete` has returned no match started afterwards returns that profile."""
    engine = MatchEngine(encoder)
    engine.upsert(
        [_profile(i, description=f"Laser welding lab {i} for metal parts.") for i in range(1, 41)]
    )
    deleted: set[int] = set()
    errors: list[BaseException] = []
    leaked: list[set[int]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                gone = set(deleted)
                result = engine.match(MatchRequest(text="laser welding of metal parts", limit=100))
                found = {r.profile.id for r in result.data}
                if found & gone:
                    leaked.append(found & gone)
                assert all(r.explanation.passage.text for r in result.data)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for thread in readers:
        thread.start()
    for i in range(1, 21):
        engine.upsert([_profile(100 + i, description=f"Laser welding start-up {i}.")])
        engine.delete(i)
        deleted.add(i)
    stop.set()
    for thread in readers:
        thread.join()
    assert errors == [] and leaked == []
    final = engine.match(MatchRequest(text="laser welding of metal parts", limit=100))
    assert {r.profile.id for r in final.data} == set(range(21, 41)) | set(range(101, 121))
