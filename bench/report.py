"""The side-by-side table and docs/BENCHMARKS.md (figures between the RESULTS markers)."""

from __future__ import annotations

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


def write(text: str, path: Path = BENCHMARKS) -> None:
    doc = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in doc:
        doc += f"\n{BEGIN}\n{END}\n"
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.1f}" for x in load)
