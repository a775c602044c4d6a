"""eval.ltr: the LambdaMART trainer learns a clear signal, stops early on held-out queries,
and `python -m eval.ltr` writes a model the evaluation can load and a manifest whose features
are the matcher's own (tests/eval/test_ltr_serving.py: the matcher loads it)."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from eval import ltr
from eval.engine import FEATURES
from services.matcher.config import default_model
from services.matcher.ranking import FEATURE_NAMES, encoder_label


def _groups(n_queries: int, seed: int = 0) -> list[ltr.Group]:
    """Synthetic candidate sets: relevance is decided by the `peers` feature alone."""
    rng = np.random.default_rng(seed)
    out = []
    column = FEATURES.index("peers")
    for q in range(n_queries):
        features = rng.random((40, len(FEATURES)))
        labels = np.zeros(40)
        labels[rng.choice(40, 3, replace=False)] = 1.0
        features[:, column] = labels + 0.1 * rng.random(40)
        ids = np.arange(1, 41, dtype=np.int64)
        out.append(
            ltr.Group(
                query=f"cordis:{q}",
                setting=("new", "all", "anon")[q % 3],
                features=features,
                ids=ids,
                labels=labels,
                wanted={int(i) for i in ids[labels > 0]},
                linear=features[:, FEATURES.index("semantic")],  # an uninformative ranker
            )
        )
    return out


def test_the_model_learns_the_signal_and_beats_an_uninformative_ranker() -> None:
    booster, report = ltr.train(_groups(60), seed=7)
    assert report["queries"] == 60 and report["held_out_queries"] == 12
    assert report["ndcg10_held_out"]["mean"] == 1.0
    assert report["ndcg10_held_out_linear"]["mean"] < 0.6
    assert booster.feature_name() == list(FEATURES)
    assert report["trees"] <= ltr.ROUNDS


def test_training_is_deterministic() -> None:
    first, _ = ltr.train(_groups(30), seed=7)
    second, _ = ltr.train(_groups(30), seed=7)
    x = _groups(1, seed=3)[0].features
    np.testing.assert_array_equal(ltr.predict(first, x), ltr.predict(second, x))


def test_no_relevant_candidate_is_an_error() -> None:
    data = _groups(3)
    for g in data:
        g.labels[:] = 0.0
    with pytest.raises(ValueError, match="no training query"):
        ltr.train(data)


def test_ltr_command_writes_model_and_manifest(
    cordis_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    monkeypatch.setenv("CROSSLINK_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "model"
    # Test cutoff 2025: training profiles before 2024, training queries from 2024 (project 4).
    assert ltr.main(["--cutoff", "2025-01-01", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["queries"] == 1
    assert set(printed["fusion"]) == {"cordis", "description"}
    manifest = json.loads((out / ltr.MANIFEST_FILE).read_text())
    assert manifest["features"] == list(FEATURES)
    assert manifest["training"] == [
        {
            "profiles_before": "2024-01-01",
            "queries_from": "2024-01-01",
            "queries_before": "2025-01-01",
        }
    ]
    # What the matcher checks: its own feature names and the label of the encoder it runs.
    assert manifest["features"] == list(FEATURE_NAMES)
    assert manifest["encoder"] == encoder_label(default_model())
    assert not Path(manifest["encoder"]).is_absolute()  # a label, not a machine path
    assert "before 2024-01-01" in manifest["trained_on"]
    booster = lgb.Booster(model_file=str(out / ltr.MODEL_FILE))
    assert booster.feature_name() == list(FEATURES)
    assert len(ltr.predict(booster, np.zeros((5, len(FEATURES))))) == 5
    # A second run reads the trained model from the cache: the same model text.
    before = (out / ltr.MODEL_FILE).read_text()
    assert ltr.main(["--cutoff", "2025-01-01", "--out", str(out)]) == 0
    assert (out / ltr.MODEL_FILE).read_text() == before
