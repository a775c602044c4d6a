"""The learned ranker, serving side: features from `MatchEngine.candidate_features`, a tiny
LightGBM lambdarank model trained on them here, loaded through the settings
(`CROSSLINK_RANKER_MODEL`) and re-ranking matches; a model that does not fit falls back to the
linear weights with one warning."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pytest

from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from services.matcher.ranking import FEATURE_NAMES, MatchEngine, encoder_label
from services.matcher.ranking.learned import PACKAGED
from services.matcher.wiring import build_engine
from tests.factories import RANKER_ORGS as ORGS
from tests.matcher.conftest import FakeFeed, StartMatcher, match_ids, wait_for, wait_ready

NEEDS = [
    "laser welding of aluminium parts",
    "process monitoring for welding lines",
    "aluminium die casting supplier",
    "metal joining and riveting",
]


def _profile(profile_id: int, kind: str, description: str) -> ProfilePublic:
    now = datetime.now(UTC)
    return ProfilePublic.model_validate(
        {
            "id": profile_id,
            "external_id": f"org-{profile_id}",
            "name": f"Org {profile_id}",
            "kind": kind,
            "country": "DE",
            "description": description,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
    )


PROFILES = [_profile(i, kind, text) for i, (kind, text) in enumerate(ORGS, start=1)]


def _train(engine: MatchEngine, directory: Path, **manifest: Any) -> Path:
    """A lambdarank model that learned to put SMEs first (labels: 2 for an SME, 0 otherwise),
    trained on the engine's own candidate features for NEEDS."""
    rows, labels, groups = [], [], []
    for need in NEEDS:
        ids, matrix, names = engine.candidate_features(MatchRequest(text=need))
        assert names == FEATURE_NAMES and matrix.shape == (len(ids), len(FEATURE_NAMES))
        assert matrix.dtype == np.float32
        kinds = {p.id: p.kind.value for p in PROFILES}
        rows.append(matrix)
        labels.append([2 if kinds[int(i)] == "sme" else 0 for i in ids])
        groups.append(len(ids))
    model = lightgbm.LGBMRanker(
        objective="lambdarank",
        n_estimators=20,
        num_leaves=4,
        min_child_samples=1,
        learning_rate=0.3,
        verbose=-1,
    )
    model.fit(np.vstack(rows), np.concatenate(labels), group=groups)
    directory.mkdir(parents=True, exist_ok=True)
    model.booster_.save_model(str(directory / "model.txt"))
    (directory / "manifest.json").write_text(
        json.dumps(
            {
                "features": list(FEATURE_NAMES),
                "encoder": encoder_label(engine.encoder.name),
                "trained_on": "test",
            }
            | manifest
        )
    )
    return directory


@pytest.fixture
def linear(encoder: Encoder) -> MatchEngine:
    engine = MatchEngine(encoder)
    engine.upsert(PROFILES)
    return engine


def _engine(encoder: Encoder, tmp_path: Path) -> MatchEngine:
    """An engine built by the wiring from the environment's settings."""
    engine = build_engine(MatcherSettings(model=default_model(), data_dir=tmp_path), encoder)
    engine.upsert(PROFILES)
    return engine


def test_features_are_one_row_per_candidate(linear: MatchEngine) -> None:
    ids, matrix, names = linear.candidate_features(MatchRequest(text=NEEDS[0]))
    assert sorted(ids.tolist()) == [p.id for p in PROFILES]
    column = dict(zip(names, matrix.T, strict=True))
    by_id = dict(zip(ids.tolist(), range(len(ids)), strict=True))
    # The laser welding institute's description is its best field for this need.
    first = by_id[1]
    assert column["cos_max_description"][first] == column["cos_max_description"].max() > 0.5
    assert column["cos_max_offer"].max() == 0  # no profile here has offers
    assert column["kind_research"][first] == 1 and column["kind_sme"][first] == 0
    assert (column["seeker_none"] == 1).all() and (column["language_match"] == 1).all()
    explained = {
        r.profile.id: r.explanation.components
        for r in linear.match(MatchRequest(text=NEEDS[0], limit=100)).data
    }
    for pid, row in by_id.items():
        assert column["semantic"][row] == pytest.approx(explained[pid]["semantic"], abs=1e-5)


def test_a_learned_model_reranks_as_it_learned(
    encoder: Encoder, linear: MatchEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _train(linear, tmp_path / "model")
    monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(model))
    monkeypatch.setenv("CROSSLINK_RANKER", "auto")  # the learned model is opt-in
    learned = _engine(encoder, tmp_path)
    assert learned.ranker is not None
    sme = {p.id for p in PROFILES if p.kind.value == "sme"}
    request = MatchRequest(text="laser welding research on aluminium", limit=100)
    before = [r.profile.id for r in linear.match(request).data]
    after = learned.match(request).data
    assert before[0] == 1  # the linear weights put the institute first
    assert {r.profile.id for r in after[:3]} == sme  # the model puts the SMEs first
    scores = [r.explanation.components["learned"] for r in after]
    assert scores == sorted(scores, reverse=True) and [r.score for r in after] == scores
    # The linear components stay in the explanation.
    assert {"semantic", "lexical", "activity"} <= set(after[0].explanation.components)


def test_a_calibrated_model_scores_on_the_linear_scale_in_its_own_order(
    encoder: Encoder, linear: MatchEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest's calibration maps the raw output piecewise linearly (and linearly past its
    ends) without changing the model's order."""
    raw_dir = _train(linear, tmp_path / "raw")
    knots = {"raw": [-1.0, 0.0, 1.0], "score": [0.2, 0.5, 1.5]}
    calibrated_dir = _train(linear, tmp_path / "calibrated", calibration=knots)
    monkeypatch.setenv("CROSSLINK_RANKER", "learned")
    request = MatchRequest(text="laser welding research on aluminium", limit=100)
    found = {}
    for name, directory in (("raw", raw_dir), ("calibrated", calibrated_dir)):
        monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(directory))
        found[name] = _engine(encoder, tmp_path / name).match(request).data
    assert [r.profile.id for r in found["raw"]] == [r.profile.id for r in found["calibrated"]]
    raw = [r.score for r in found["raw"]]
    assert max(raw) > min(raw)  # the model tells the candidates apart

    def mapped(x: float) -> float:  # the slopes of the end segments carry on past the ends
        if x < -1:
            return 0.2 + (x + 1) * 0.3
        if x > 1:
            return 1.5 + (x - 1) * 1.0
        return float(np.interp(x, knots["raw"], knots["score"]))

    scores = [r.score for r in found["calibrated"]]
    assert scores == pytest.approx([mapped(x) for x in raw], abs=1e-9)


@pytest.mark.parametrize(
    "manifest",
    [
        {"features": [*FEATURE_NAMES[:-1], "something_else"]},
        {"encoder": "another/encoder"},
        {"calibration": {"raw": [1.0, 0.0], "score": [0.0, 1.0]}},
    ],
    ids=["features", "encoder", "calibration"],
)
def test_a_model_that_does_not_fit_falls_back_to_linear(
    encoder: Encoder,
    linear: MatchEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    manifest: dict[str, Any],
) -> None:
    model = _train(linear, tmp_path / "model", **manifest)
    monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(model))
    monkeypatch.setenv("CROSSLINK_RANKER", "auto")  # the learned model is opt-in
    with caplog.at_level(logging.WARNING, logger="crosslink.matcher.ranker"):
        engine = _engine(encoder, tmp_path)
        request = MatchRequest(text=NEEDS[0], limit=100)
        found = engine.match(request).data
        engine.match(request)
    warnings = [r for r in caplog.records if r.name == "crosslink.matcher.ranker"]
    assert len(warnings) == 1 and "linear weights" in warnings[0].getMessage()
    assert engine.ranker is None
    assert [r.profile.id for r in found] == [r.profile.id for r in linear.match(request).data]
    assert "learned" not in found[0].explanation.components


def test_ranker_setting_picks_linear_or_warns_without_a_model(
    encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(tmp_path / "nothing-here"))
    monkeypatch.setenv("CROSSLINK_RANKER", "learned")
    with caplog.at_level(logging.WARNING, logger="crosslink.matcher.ranker"):
        assert _engine(encoder, tmp_path).ranker is None
    assert "no ranker model" in caplog.text
    caplog.clear()
    monkeypatch.setenv("CROSSLINK_RANKER", "linear")
    with caplog.at_level(logging.WARNING, logger="crosslink.matcher.ranker"):
        assert _engine(encoder, tmp_path).ranker is None
    assert not caplog.records


def test_the_packaged_model_loads_at_start_and_ranks_http_matches(
    feed: FakeFeed,
    start_matcher: StartMatcher,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The model `python -m eval.ltr` wrote into the package is loaded by a matcher started with
    `CROSSLINK_RANKER=auto` and no `CROSSLINK_RANKER_MODEL`, and orders its matches."""
    manifest = json.loads((PACKAGED / "manifest.json").read_text())
    assert manifest["features"] == list(FEATURE_NAMES)
    assert len(manifest["calibration"]["raw"]) >= 2  # its scores are on the linear scale
    assert manifest["encoder"] == encoder_label(default_model())
    monkeypatch.delenv("CROSSLINK_RANKER_MODEL", raising=False)
    monkeypatch.setenv("CROSSLINK_RANKER", "auto")
    for _, text in ORGS:
        feed.create(description=text)
    with caplog.at_level(logging.INFO, logger="crosslink.matcher.ranker"):
        with start_matcher(feed.transport, ranker="auto") as client:
            wait_ready(client, timeout=20)
            wait_for(lambda: len(match_ids(client, NEEDS[0])) == len(ORGS), timeout=20)
            response = client.post("/match", json={"text": NEEDS[0], "limit": 100})
    records = [r for r in caplog.records if r.name == "crosslink.matcher.ranker"]
    assert not [r for r in records if r.levelno >= logging.WARNING]
    assert any("learned model" in r.getMessage() for r in records)
    data = response.json()["data"]
    scores = [r["explanation"]["components"]["learned"] for r in data]
    assert scores == sorted(scores, reverse=True)
