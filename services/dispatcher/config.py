"""Settings of the dispatcher: its own as `CROSSLINK_DISPATCHER_*`, shared ones as `CROSSLINK_*`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _shared(name: str) -> AliasChoices:
    """A setting the other services read too: `CROSSLINK_<NAME>`."""
    return AliasChoices(name, f"CROSSLINK_{name.upper()}")


class DispatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CROSSLINK_DISPATCHER_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default=Path("./var"), validation_alias=_shared("data_dir"))
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the dispatcher's own tables; "
        "default sqlite:///<data_dir>/dispatcher.db",
    )
    profiles_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias=_shared("profiles_url")
    )
    matcher_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8002"],
        validation_alias=_shared("matcher_urls"),
        description="Comma-separated; alerts ask the first one caught up with the change",
    )
    webhook_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=_shared("webhook_allow"),
        description="Hosts or CIDRs webhook URLs may use although private, e.g. '127.0.0.1/32'",
    )
    poll_interval: float = Field(default=0.1, gt=0)
    feed_wait: float = Field(
        default=25.0,
        ge=0,
        le=300,
        description="Seconds a caught-up call to the change feed is held (long polling); "
        "0 polls every poll_interval",
    )
    feed_page_size: int = Field(default=500, ge=1, le=1000)
    delivery_timeout: float = Field(default=5.0, gt=0, description="Seconds")
    delivery_concurrency: int = Field(default=16, ge=1, le=1000)
    retry_base: float = Field(default=1.0, gt=0)
    retry_max: float = Field(default=600.0, gt=0)
    retry_window: float = Field(
        default=24 * 3600.0,
        gt=0,
        description="Seconds a delivery is retried before its subscription is disabled",
    )
    alert_wait: float = Field(
        default=30.0,
        gt=0,
        description="Seconds to wait for the matcher to index a change before retrying later",
    )
    upstream_timeout: float = Field(default=10.0, gt=0, description="Profiles/matcher calls")

    @field_validator("matcher_urls", "webhook_allow", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'dispatcher.db'}"
