"""Match quality of the fast encoder backend: the quality evaluation's CORDIS time split (eval/),
ranked by crosslink with the fp32 torch model and with the fast backend, nDCG@10 side by side."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from bench.config import BenchSettings
from eval.cache import CachingEncoder
from eval.config import EvalSettings
from eval.dataset import build_split
from eval.engine import build_engine, engine_ranker, public_profiles
from eval.runner import SETTINGS, evaluate
from services.matcher.embedding.onnx import OnnxEmbedder, ensure_model_file
from services.profiles.cordis import load_cordis


def fast_encoder(model: str, backend: str, embeddings: Path, onnx_dir: Path) -> CachingEncoder:
    """eval's caching encoder (its own cache folder) answering through the ONNX model."""
    encoder = CachingEncoder(model, embeddings)
    path = ensure_model_file(Path(model), onnx_dir, int8=backend == "onnx-int8")
    encoder._onnx = OnnxEmbedder(path)
    encoder.backend = backend  # type: ignore[assignment]
    return encoder


def compare(model: str, backend: str, bench_dir: Path) -> dict[str, tuple[float, float, int]]:
    """setting -> (nDCG@10 fp32, nDCG@10 fast, queries)."""
    settings = EvalSettings()
    split = build_split(load_cordis(settings.cordis_dir), settings)
    profiles = public_profiles(split)
    rankers = {}
    # Own copies of eval's embedding cache: eval's file is read, never written from here.
    fp32_cache = bench_dir / "eval-fp32"
    fp32_cache.mkdir(parents=True, exist_ok=True)
    for stored in settings.cache_dir.glob("embeddings-*.npz"):
        if not (fp32_cache / stored.name).exists():
            shutil.copyfile(stored, fp32_cache / stored.name)
    for name, encoder in (
        ("fp32", CachingEncoder(model, fp32_cache)),
        (
            backend,
            fast_encoder(model, backend, bench_dir / f"eval-{backend}", bench_dir / "models"),
        ),
    ):
        rankers[name] = engine_ranker(split, build_engine(split, encoder, profiles))
        encoder.save()
    results = evaluate(split, rankers)
    return {
        setting: (
            results[("fp32", setting, "all")]["nDCG@10"],
            results[(backend, setting, "all")]["nDCG@10"],
            int(results[("fp32", setting, "all")]["queries"]),
        )
        for setting in SETTINGS
    }


def section(args: argparse.Namespace, model: str, settings: BenchSettings) -> list:  # type: ignore[no-untyped-def]
    rows = []
    for setting, (fp32, fast, queries) in compare(model, args.backend, settings.bench_dir).items():
        change = (fast - fp32) / fp32 * 100 if fp32 else 0.0
        rows.append(
            (
                f"quality: nDCG@10, eval time split, '{setting}' partners ({queries} queries)",
                f"{fp32:.4f} (fp32)",
                f"{fast:.4f}",
                f"{change:+.1f}%",
                "within 2%",
            )
        )
    return rows
