"""Settings of the benchmark harness (env prefix `CROSSLINK_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSLINK_", extra="ignore")

    cordis_dir: Path = Field(
        default=ROOT.parent / "shared" / "data" / "raw" / "cordis-horizon-europe",
        description="The raw CORDIS tables (bench input only, never read by the product)",
    )
    bench_dir: Path = Field(default=ROOT / "var" / "bench", description="Work folder, reused")
    bench_port_base: int = Field(default=18000, description="gateway, +1 profiles, +2 matcher")
