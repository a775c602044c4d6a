"""The side-by-side table and docs/BENCHMARKS.md (figures between the RESULTS markers)."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.config import ROOT

BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- RESULTS BEGIN -->", "<!-- RESULTS END -->"

Row = tuple[str, str, str, str, str]


def table(rows: list[Row]) -> str:
    head: Row = ("measure", "naive", "crosslink", "ratio", "target")
    lines = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def write(text: str, path: Path = BENCHMARKS, markers: tuple[str, str] = (BEGIN, END)) -> None:
    """Replace the block between the markers (appended when there is none)."""
    begin, end = markers
    doc = path.read_text(encoding="utf-8") if path.exists() else f"{begin}\n{end}\n"
    if begin not in doc:
        doc += f"\n{begin}\n{end}\n"
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1] if end in rest else ""
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


def run_header(
    command: str, load_before: tuple[float, float, float], seconds: float | None = None
) -> list[str]:
    """The command (with its duration), date, machine and load lines a written block starts
    with."""
    took = f" ({seconds:.0f} s)" if seconds is not None else ""
    return [
        f"- command: `{command.strip()}`{took}",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores (nproc), "
        f"{platform.processor() or platform.machine()}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
        f"- load average (1/5/15 min) before / after: {fmt_load(load_before)} / "
        f"{fmt_load(os.getloadavg())} (the machine is shared: above 2, others used cores too)",
    ]


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.1f}" for x in load)
