"""Settings of the quality evaluation (env prefix `CROSSLINK_`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class EvalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSLINK_", extra="ignore")

    cordis_dir: Path = Field(
        default=ROOT.parent / "shared" / "data" / "raw" / "cordis-horizon-europe",
        description="The raw CORDIS tables (not part of the product)",
    )
    model: str | None = Field(default=None, description="Model name or path; default MiniLM")
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx-int8",
        description="The matcher's setting (CROSSLINK_ENCODER_BACKEND): eval embeds as it serves",
    )
    eval_cutoff: date = Field(
        default=date(2024, 1, 1), description="One split's cutoff (eval.fit, bench quality)"
    )
    eval_cutoffs: list[date] = Field(
        default_factory=lambda: [date(2024, 1, 1), date(2024, 7, 1)],
        description="The matrix's test cutoffs; each has a training split a year before it",
    )
    eval_queries_before: date | None = Field(
        default=None, description="Queries only from projects signed before this date"
    )
    eval_queries: int = Field(default=400, ge=1, description="Later projects sampled as queries")
    eval_train_queries: int = Field(
        default=400, ge=1, description="Training queries per training split (fusion, LTR)"
    )
    eval_pool: int = Field(
        default=0, ge=0, description="Organisations sampled into the index; 0 = all"
    )
    eval_formats: list[str] = Field(
        default_factory=lambda: ["cordis", "description"],
        description="Profile formats: cordis (the builder's) and description (only)",
    )
    eval_description_chars: int = Field(default=600, ge=100)
    eval_offers: int = Field(default=3, ge=0)
    eval_keywords: int = Field(default=15, ge=0)
    eval_seed: int = 7
    cache_dir: Path = ROOT / "eval" / ".cache"


def training_cutoff(cutoff: date) -> date:
    """A year before the test cutoff (the training split's profiles end there)."""
    return cutoff.replace(year=cutoff.year - 1)
