"""Settings of the profiles service (env prefix `CROSSLINK_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from crosslink.settings import CrosslinkSettings


class ProfilesSettings(CrosslinkSettings):
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; default: sqlite:///<data_dir>/profiles.db"
    )
    demo_file: Path = Field(
        default=Path(__file__).parent / "demo" / "cordis_demo.jsonl.gz",
        description="JSONL (optionally gzipped) of ProfileCreate records loaded as demo data",
    )
    demo_examples_file: Path | None = Field(
        default=Path(__file__).parent / "demo" / "examples.jsonl",
        description="JSONL of fictional example profiles (with needs) loaded with the demo data; "
        "empty to leave them out",
    )
    demo_data: bool = Field(
        default=True, description="Load the demo profiles into an empty database"
    )
    json_max_depth: int = Field(
        default=32,
        ge=2,
        le=500,  # the standard library's parser recurses: stay well below its limit
        description="Deepest nesting of arrays/objects accepted in one imported or bulk record",
    )
    changes_max_bytes: int = Field(
        default=4_000_000,
        ge=1,
        description="About how many bytes of profiles one /changes page holds (at least one "
        "change per page, however large)",
    )
    changes_max_wait: float = Field(
        default=30.0, ge=0, description="Longest /changes?wait= a request may hold, in seconds"
    )
    changes_poll_interval: float = Field(
        default=1.0,
        gt=0,
        description="While a /changes request waits, how often the database is checked for "
        "changes written by other processes (writes of this process wake it at once)",
    )

    idempotency_ttl: float = Field(
        default=24 * 3600, gt=0, description="Seconds an Idempotency-Key's answer is kept"
    )

    feedback_daily_cap: int = Field(
        default=50,
        ge=0,
        description="Endorsements (relevant/contacted) per caller per 24 hours that count in a "
        "candidate's aggregate; later ones are stored and still move it up for that caller",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'profiles.db'}"
