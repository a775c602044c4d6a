"""A model trained by eval.ltr on eval's candidates (`eval.engine.candidates`, the matcher's own
`candidate_set`) is what serving scores: written by `ltr.write` with `ltr.manifest`, it loads in
the matcher through `CROSSLINK_RANKER=learned` and re-ranks matches as it learned; a manifest
whose feature list differs falls back to the linear weights with one warning."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from eval import ltr
from eval.config import EvalSettings
from eval.dataset import Query
from eval.engine import FEATURES, MatchEngine, candidates
from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher.config import MatcherSettings, default_model
from services.matcher.embedding import Encoder
from services.matcher.ranking import FEATURE_NAMES
from services.matcher.wiring import build_engine
from tests.factories import RANKER_ORGS as ORGS

NEEDS = [
    "laser welding of aluminium parts",
    "process monitoring for welding lines",
    "aluminium die casting supplier",
    "metal joining and riveting",
    "weld seam sensors",
    "casting of light metal components",
    "joining technology for car bodies",
    "welding research partner",
    "quality control of welds",
    "aluminium structures for vehicles",
]


def _profiles() -> list[ProfilePublic]:
    now = datetime.now(UTC)
    return [
        ProfilePublic.model_validate(
            {
                "id": pid,
                "external_id": f"org-{pid}",
                "name": f"Org {pid}",
                "kind": kind,
                "country": "DE",
                "description": text,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        for pid, (kind, text) in enumerate(ORGS, start=1)
    ]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(default_model())


def _engine(encoder: Encoder, tmp_path: Path) -> MatchEngine:
    """A matcher engine built by the wiring from the environment's settings."""
    engine = build_engine(MatcherSettings(model=default_model(), data_dir=tmp_path), encoder)
    engine.upsert(_profiles())
    return engine


@pytest.fixture
def model(encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """eval.ltr trained on eval's candidates of NEEDS (anonymous needs), SMEs labelled relevant,
    written as `python -m eval.ltr` writes the shipped model."""
    monkeypatch.setenv("CROSSLINK_RANKER", "linear")
    engine = _engine(encoder, tmp_path / "train")
    smes = {p.id for p in _profiles() if p.kind.value == "sme"}
    groups = []
    for n, need in enumerate(NEEDS):
        query = Query(project_id=str(n), text=need, seeker=0, seeker_kind="", relevant=smes)
        found = candidates(engine, query, "anon")
        assert found is not None and found.features.shape == (len(ORGS), len(FEATURE_NAMES))
        groups.append(
            ltr.Group(
                query=f"description:{n}",
                setting="anon",
                features=found.features,
                ids=found.ids,
                labels=np.isin(found.ids, list(smes)).astype(np.float64),
                wanted=smes,
                linear=found.linear(engine.weights),
            )
        )
    # A toy training set is far below LightGBM's default leaf and bin sizes.
    monkeypatch.setattr(ltr, "PARAMS", ltr.PARAMS | {"min_data_in_leaf": 1, "min_data_in_bin": 1})
    booster, report = ltr.train(groups, seed=7)
    assert report["ndcg10_held_out"]["mean"] > report["ndcg10_held_out_linear"]["mean"]
    meta = ltr.manifest(
        report, encoder.name, [(date(2023, 1, 1), date(2024, 1, 1))], EvalSettings()
    )
    directory = tmp_path / "model"
    ltr.write(booster, meta, directory)
    monkeypatch.setenv("CROSSLINK_RANKER", "auto")  # the learned model is opt-in
    return directory


def test_eval_features_are_the_matchers() -> None:
    assert FEATURES == FEATURE_NAMES


def test_a_model_trained_by_eval_ltr_loads_in_the_matcher_and_reranks(
    encoder: Encoder,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = MatchRequest(text="laser welding research on aluminium", limit=100)
    monkeypatch.setenv("CROSSLINK_RANKER", "linear")
    before = [r.profile.id for r in _engine(encoder, tmp_path / "linear").match(request).data]
    assert before[0] == 1  # the linear weights put the laser institute first
    monkeypatch.setenv("CROSSLINK_RANKER", "learned")
    monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(model))
    with caplog.at_level(logging.WARNING, logger="crosslink.matcher.ranker"):
        learned = _engine(encoder, tmp_path / "learned")
    assert learned.ranker is not None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    after = learned.match(request).data
    smes = {p.id for p in _profiles() if p.kind.value == "sme"}
    assert {r.profile.id for r in after[:3]} == smes  # the model puts the SMEs first
    scores = [r.explanation.components["learned"] for r in after]
    assert scores == sorted(scores, reverse=True)
    # Serving scores the same rows training saw: the model on candidate_features.
    ids, matrix, _ = learned.candidate_features(request)
    expected = dict(zip(ids.tolist(), learned.ranker.score(matrix).tolist(), strict=True))
    for result in after:
        assert result.explanation.components["learned"] == pytest.approx(
            expected[result.profile.id], abs=1e-6
        )


def test_a_manifest_with_other_features_falls_back_to_linear(
    encoder: Encoder,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    manifest = json.loads((model / ltr.MANIFEST_FILE).read_text())
    manifest["features"] = manifest["features"][:-1]
    (model / ltr.MANIFEST_FILE).write_text(json.dumps(manifest))
    request = MatchRequest(text=NEEDS[0], limit=100)
    monkeypatch.setenv("CROSSLINK_RANKER", "linear")
    linear = [r.profile.id for r in _engine(encoder, tmp_path / "linear").match(request).data]
    monkeypatch.setenv("CROSSLINK_RANKER", "learned")
    monkeypatch.setenv("CROSSLINK_RANKER_MODEL", str(model))
    with caplog.at_level(logging.WARNING, logger="crosslink.matcher.ranker"):
        engine = _engine(encoder, tmp_path / "learned")
        found = engine.match(request).data
    warnings = [r for r in caplog.records if r.name == "crosslink.matcher.ranker"]
    assert len(warnings) == 1 and "other features" in warnings[0].getMessage()
    assert "linear weights" in warnings[0].getMessage()
    assert engine.ranker is None
    assert [r.profile.id for r in found] == linear
    assert "learned" not in found[0].explanation.components
