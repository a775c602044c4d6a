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
