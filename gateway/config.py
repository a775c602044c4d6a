"""Gateway settings: one BaseSettings, env prefix CROSSLINK_."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSLINK_", extra="ignore")

    data_dir: Path = Path("var")
    profiles_url: str = "http://127.0.0.1:8001"
    matcher_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8002"],
        description="Comma-separated; requests spread round-robin across the healthy ones",
    )
    dispatcher_url: str = Field(
        default="http://127.0.0.1:8003", description="The dispatcher (webhooks, alerts)"
    )
    keys_database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the API-key store; default <data_dir>/keys.db"
    )
    rate_limit_anonymous: str = "60/minute"
    rate_limit_key: str = "600/minute"
    upstream_connect_timeout: float = Field(default=0.5, gt=0)
    upstream_timeout: float = Field(default=15.0, gt=0, description="Read/write timeout, seconds")
    upstream_retries: int = Field(
        default=2, ge=1, le=5, description="Attempts for idempotent calls"
    )
    matcher_cooldown: float = Field(
        default=5.0, ge=0, description="Seconds an unreachable matcher is skipped"
    )
    visit_plan_ttl: float = Field(
        default=24 * 3600, gt=0, description="Seconds plans stay GET-able"
    )

    @field_validator("matcher_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("matcher_urls")
    @classmethod
    def _at_least_one(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("matcher_urls needs at least one URL, e.g. 'http://127.0.0.1:8002'")
        return value

    @field_validator("rate_limit_anonymous", "rate_limit_key")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(
                f"rate limit '{value}' is not valid; expected e.g. '60/minute'"
            ) from exc
        return value

    def keys_url(self) -> str:
        if self.keys_database_url:
            return self.keys_database_url
        return f"sqlite:///{self.data_dir / 'keys.db'}"
