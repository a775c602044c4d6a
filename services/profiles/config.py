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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'profiles.db'}"
