"""Results as Markdown: the matrix written into docs/QUALITY.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from eval.config import EvalSettings
from eval.runner import SETTINGS, TITLES, Results

MEASURES = ("nDCG@10", "R@10", "R@50", "MRR")
FORMAT_TITLES = {"cordis": "CORDIS-builder profiles", "description": "description-only profiles"}


@dataclass
class Cell:
    """One profile format at one test cutoff: every setting's results."""

    cutoff: date
    fmt: str
    results: Results
    recall: dict[str, float]  # setting -> candidate recall of crosslink's engine
    real_top1: dict[str, float]  # setting -> share of the real partners among the top 1%
    profiles: int
    train: dict[str, Any] = field(default_factory=dict)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores (nproc), {cpu}"


def _ndcg(cell: Cell, method: str, setting: str) -> float | None:
    row = cell.results.get((method, setting, "all"))
    return row["nDCG@10"] if row else None


def summary(cells: list[Cell], methods: list[str], baselines: list[str]) -> dict[str, Any]:
    """Mean nDCG@10 over cells per setting and over every cell (`mean`), per method."""
    out: dict[str, dict[str, float]] = {}
    for m in methods:
        per = {s: [v for c in cells if (v := _ndcg(c, m, s)) is not None] for s in SETTINGS}
        row = {s: float(np.mean(v)) for s, v in per.items() if v}
        every = [v for vs in per.values() for v in vs]
        row["mean"] = float(np.mean(every)) if every else float("nan")
        out[m] = row
    best = {
        col: max((out[b].get(col, 0.0) for b in baselines), default=0.0)
        for col in (*SETTINGS, "mean")
    }
    return {"methods": out, "best": best}


def summary_table(cells: list[Cell], methods: list[str], baselines: list[str]) -> str:
    figures = summary(cells, methods, baselines)
    cols = [s for s in (*SETTINGS, "mean") if figures["best"].get(s)]
    titles = [TITLES.get(c, "mean over all cells") for c in cols]
    lines = [
        "### Mean nDCG@10 over cells (÷ the best baseline's mean, fusion included)",
        "",
        "| method | " + " | ".join(titles) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for m in methods:
        row = figures["methods"][m]
        lines.append(
            f"| {m} | "
            + " | ".join(
                f"{row[c]:.4f} ({row[c] / figures['best'][c]:.2f}×)" if c in row else "–"
                for c in cols
            )
            + " |"
        )
    return "\n".join([*lines, ""])


def cell_tables(cell: Cell, methods: list[str], baselines: list[str]) -> str:
    lines = []
    for setting in SETTINGS:
        if (methods[0], setting, "all") not in cell.results:
            continue
        best = max(cell.results[(b, setting, "all")]["nDCG@10"] for b in baselines)
        n = int(cell.results[(methods[0], setting, "all")]["queries"])
        lines += [
            f"#### {TITLES[setting]} · {FORMAT_TITLES.get(cell.fmt, cell.fmt)} · cutoff "
            f"{cell.cutoff} ({n} queries)",
            "",
            f"Candidate recall (relevant partners in crosslink's candidate set): "
            f"{cell.recall.get(setting, float('nan')):.3f}. Share of the top 10 taken by the 1% "
            f"most active organisations; among the real partners: "
            f"{cell.real_top1.get(setting, float('nan')):.3f}.",
            "",
            "| method | " + " | ".join(MEASURES) + " | ÷ best baseline | top-10 share of top 1% |",
            "|---" * (len(MEASURES) + 3) + "|",
        ]
        for m in methods:
            row = cell.results[(m, setting, "all")]
            ratio = row["nDCG@10"] / best if best else float("nan")
            lines.append(
                f"| {m} | "
                + " | ".join(f"{row[k]:.4f}" for k in MEASURES)
                + f" | {ratio:.2f}× | {row.get('top1%', float('nan')):.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def training_lines(cells: list[Cell]) -> str:
    lines = ["### Training splits (fusion weights and the learned ranker, fitted there only)", ""]
    seen: set[date] = set()
    for cell in cells:
        if cell.cutoff in seen or not cell.train:
            continue
        seen.add(cell.cutoff)
        t = cell.train
        fusion = "; ".join(
            f"{fmt}: bm25 {w['weights'][0]}, dense {w['weights'][1]}, "
            f"log(1+activity) {w['weights'][2]} (training nDCG@10 {w['ndcg']:.4f})"
            for fmt, w in t["fusion"].items()
        )
        r = t["report"]
        learned = (
            f"crosslink-ltr: {r['trees']} trees; training nDCG@10 (mean over settings) fitted "
            f"part {_mean(r, 'fitted')}, held out {_mean(r, 'held_out')} (linear weights: "
            f"{_mean(r, 'fitted_linear')}, {_mean(r, 'held_out_linear')})."
            if "trees" in r
            else "no learned ranker (no training query had a relevant candidate)."
        )
        lines.append(
            f"- Test cutoff {cell.cutoff}: training profiles before {t['train_cutoff']} "
            f"({r.get('profiles', '?')} organisations), {r['queries']} training queries from "
            f"{t['train_cutoff']} to {cell.cutoff} ({r.get('held_out_queries', 0)} held out for "
            f"early stopping). Fusion weights — {fusion}. {learned}"
        )
    return "\n".join([*lines, ""])


def _mean(report: dict[str, Any], part: str) -> str:
    figures = report.get(f"ndcg10_{part}")
    return f"{figures['mean']:.4f}" if figures else "–"


def header(settings: EvalSettings, cells: list[Cell], seconds: float, command: str) -> str:
    cutoffs = sorted({c.cutoff for c in cells})
    sizes = ", ".join(
        f"{c.cutoff}: {c.profiles}" for c in cells if c.fmt == settings.eval_formats[0]
    )
    pool = (
        f"a seeded sample of {settings.eval_pool} organisations"
        if settings.eval_pool
        else "every organisation"
    )
    return "\n".join(
        [
            f"- Run: `{command}`, {date.today().isoformat()}, {machine()}, {seconds / 60:.1f} min "
            "(embeddings cached under `eval/.cache/`).",
            f"- Cells: {len(SETTINGS)} settings × {len(settings.eval_formats)} profile formats "
            f"({', '.join(settings.eval_formats)}) × {len(cutoffs)} test cutoffs "
            f"({', '.join(map(str, cutoffs))}).",
            f"- Index per cutoff = {pool} "
            f"profiled before it ({sizes}); up to {settings.eval_queries} later multi-partner "
            f"projects sampled per cutoff (seed {settings.eval_seed}).",
            "- Profile text (CORDIS format): description ≤ "
            f"{settings.eval_description_chars} chars, ≤ {settings.eval_offers} offers, "
            f"≤ {settings.eval_keywords} keywords; description-only: the same description, "
            "nothing else.",
            "",
        ]
    )
