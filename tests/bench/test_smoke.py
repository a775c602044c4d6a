"""The benchmark harness runs (smoke mode, scale section) and writes its figures in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report
from bench.__main__ import main


def test_smoke_scale_section_prints_the_side_by_side_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--smoke", "--sections", "scale"]) == 0
    out = capsys.readouterr().out
    assert "| measure | naive | crosslink | ratio | target |" in out
    assert "recall@10 against exact search" in out
    assert "cores (nproc)" in out


def test_report_replaces_only_the_results_block(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(f"# Benchmarks\nintro\n{report.BEGIN}\nold\n{report.END}\nnotes\n")
    report.write(report.table([("a", "1", "2", "2×", "")]), doc)
    text = doc.read_text()
    assert "old" not in text
    assert text.startswith("# Benchmarks\nintro\n")
    assert text.endswith("notes\n")
    assert "| a | 1 | 2 | 2× |  |" in text


def test_encoders_bench_measures_each_encoder_in_its_own_process(
    cordis_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench.encoders` (= `make bench-encoders`): load, query times on one thread,
    bulk passages/s and peak memory per encoder, written between its markers."""
    from bench import encoders

    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(f"# Benchmarks\n{encoders.BEGIN}\nold\n{encoders.END}\n")
    monkeypatch.setattr(report, "BENCHMARKS", doc)
    monkeypatch.setattr(encoders, "write", lambda text, markers: report.write(text, doc, markers))
    monkeypatch.setenv("CROSSLINK_BENCH_DIR", str(tmp_path / "bench"))
    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    args = ["--models", "default", "--backend", "torch", "--profiles", "3", "--queries", "12"]
    assert encoders.main(args) == 0
    text = doc.read_text()
    assert "old" not in text
    row = next(line for line in text.splitlines() if line.startswith("| default ("))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "384"
    query_en, query_all = (tuple(map(float, cells[i].split(" / "))) for i in (3, 4))
    assert 0 < query_en[0] <= query_en[1] and 0 < query_all[0] <= query_all[1]
    assert float(cells[5].split(" ")[0]) > 0 and cells[5].endswith("(1.00×)")
    assert float(cells[6]) > 100  # MB: a process holding a model


def test_rerank_bench_times_the_learned_reranking_and_a_linear_match(
    cordis_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m bench.rerank` (= `make bench-rerank`) over every profile the CORDIS builder
    makes of the tables, with the packaged model."""
    from bench import rerank
    from services.profiles.cordis import build_profiles

    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    monkeypatch.setenv("CROSSLINK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CROSSLINK_ENCODER_BACKEND", "torch")
    assert rerank.main(["--needs", "3", "--passes", "2", "--candidates", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    index = next(line for line in lines if line.startswith("- index:"))
    assert index.startswith(f"- index: {len(list(build_profiles(cordis_dir)))} profiles")
    learned = next(line for line in lines if line.startswith("- learned re-ranking of 2 "))
    assert "with the packaged model" in learned
    passes = learned.split("(ms): ")[1].split(" (target")[0].split(" / ")
    assert len(passes) == 2 and all(float(p) > 0 for p in passes)
    linear = next(line for line in lines if line.startswith("- a whole linear match"))
    p50, p95 = map(float, linear.split(": ")[1].split(" / "))
    assert 0 < p50 <= p95
