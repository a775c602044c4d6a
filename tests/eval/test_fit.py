"""eval.fit: the training split ends where asked, and the fit never lowers its objective."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from eval.config import EvalSettings
from eval.dataset import build_split
from eval.fit import FITTED, main
from services.profiles.cordis import load_cordis


def test_queries_stop_at_queries_before(cordis_dir: Path) -> None:
    data = load_cordis(cordis_dir)
    settings = EvalSettings(cordis_dir=cordis_dir, eval_cutoff=date(2024, 1, 1), eval_pool=0)
    assert [q.project_id for q in build_split(data, settings).queries] == ["4"]  # 2024-06-01
    ended = settings.model_copy(update={"eval_queries_before": date(2024, 6, 1)})
    assert build_split(data, ended).queries == []


def test_fit_reports_weights_that_do_not_lower_the_training_ndcg(
    cordis_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    monkeypatch.setenv("CROSSLINK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CROSSLINK_EVAL_POOL", "0")
    assert main(["--cutoff", "2024-01-01", "--queries-before", "2025-01-01"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"]["queries"] == 1
    assert set(report["fitted"]["weights"]) == {"semantic", *FITTED}
    assert report["fitted"]["weights"]["semantic"] == 1.0
    assert report["fitted"]["mean"] >= report["start"]["mean"]
    assert 0.0 <= report["fitted"]["new"] <= 1.0
