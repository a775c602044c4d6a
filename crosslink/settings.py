"""The one settings base: every service reads `CROSSLINK_*` environment variables through a
subclass of `CrosslinkSettings`, so each variable has one name, one default and one meaning
(docs/CONFIGURATION.md is the table of them all)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ENV_PREFIX", "CrosslinkSettings", "ProfilesClientSettings"]

ENV_PREFIX = "CROSSLINK_"


class CrosslinkSettings(BaseSettings):
    """Fields every service shares. Unknown `CROSSLINK_*` variables belong to other services."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default=Path("var"), description="Where each service keeps its files (database, index)"
    )


class ProfilesClientSettings(CrosslinkSettings):
    """A service that calls the profiles service (the matcher and the gateway)."""

    profiles_url: str = Field(default="http://127.0.0.1:8001", description="The profiles service")
