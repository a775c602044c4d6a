"""Results as Markdown: the tables written into docs/QUALITY.md."""

from __future__ import annotations

import os
import platform
from datetime import date

from eval.config import EvalSettings
from eval.runner import SETTINGS

MEASURES = ("nDCG@10", "R@10", "R@50", "MRR")
KINDS = ("research", "sme", "company", "public", "cluster", "other")
Results = dict[tuple[str, str, str], dict[str, float]]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores (nproc), {cpu}"


def main_table(results: Results, methods: list[str], baselines: list[str]) -> str:
    lines = []
    for setting in SETTINGS:
        best = max((results[(b, setting, "all")]["nDCG@10"] for b in baselines), default=0.0)
        n = int(results[(methods[0], setting, "all")]["queries"])
        title = "new partners" if setting == "new" else "all partners"
        lines += [
            f"### {title} ({n} queries)",
            "",
            "| method | " + " | ".join(MEASURES) + " | nDCG@10 ÷ best baseline |",
            "|---" * (len(MEASURES) + 2) + "|",
        ]
        for m in methods:
            row = results[(m, setting, "all")]
            ratio = row["nDCG@10"] / best if best else float("nan")
            lines.append(
                f"| {m} | " + " | ".join(f"{row[k]:.4f}" for k in MEASURES) + f" | {ratio:.2f}× |"
            )
        lines.append("")
    return "\n".join(lines)


def kind_table(results: Results, methods: list[str]) -> str:
    lines = []
    for setting in SETTINGS:
        title = "new partners" if setting == "new" else "all partners"
        kinds = [k for k in KINDS if (methods[0], setting, k) in results]
        lines += [
            f"### nDCG@10 by seeker kind, {title}",
            "",
            "| method | "
            + " | ".join(
                f"{k} ({int(results[(methods[0], setting, k)]['queries'])})" for k in kinds
            )
            + " |",
            "|---" * (len(kinds) + 1) + "|",
        ]
        for m in methods:
            lines.append(
                f"| {m} | "
                + " | ".join(f"{results[(m, setting, k)]['nDCG@10']:.4f}" for k in kinds)
                + " |"
            )
        lines.append("")
    return "\n".join(lines)


def header(settings: EvalSettings, n_profiles: int, n_queries: int, seconds: float) -> str:
    return "\n".join(
        [
            f"- Run: `make eval` (= `.venv/bin/python -m eval`), {date.today().isoformat()}, "
            f"{machine()}, {seconds / 60:.1f} min (embeddings cached under `eval/.cache/`).",
            f"- Split: profiles from projects signed before {settings.eval_cutoff}; index = "
            f"{n_profiles} organisations (a seeded sample of {settings.eval_pool or 'all'}); "
            f"{n_queries} later multi-partner projects sampled (seed {settings.eval_seed}).",
            "- Profile text for every method: description ≤ "
            f"{settings.eval_description_chars} chars, ≤ {settings.eval_offers} offers, "
            f"≤ {settings.eval_keywords} keywords.",
            "",
        ]
    )
