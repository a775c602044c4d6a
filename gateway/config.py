"""Gateway settings (env prefix `CROSSLINK_`, on the shared settings base)."""

from __future__ import annotations

from typing import Annotated

from limits import parse
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode

from crosslink.settings import ProfilesClientSettings


class GatewaySettings(ProfilesClientSettings):
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
    # CROSSLINK_UPSTREAM_TIMEOUT, its old name, still works.
    upstream_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Read/write timeout of a call to profiles or a matcher, seconds",
        validation_alias=AliasChoices(
            "upstream_timeout", "CROSSLINK_GATEWAY_UPSTREAM_TIMEOUT", "CROSSLINK_UPSTREAM_TIMEOUT"
        ),
    )
    upstream_retries: int = Field(
        default=2, ge=1, le=5, description="Attempts for idempotent calls"
    )
    matcher_cooldown: float = Field(
        default=5.0, ge=0, description="Seconds an unreachable matcher is skipped"
    )
    visit_plan_ttl: float = Field(
        default=24 * 3600, gt=0, description="Seconds plans stay GET-able"
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, description="Largest request body, bytes (413 beyond)"
    )
    max_bulk_body_bytes: int = Field(
        default=20_000_000, ge=1_000, description="Largest body of POST /v1/profiles/bulk, bytes"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses/networks whose X-Forwarded-For is believed; "
        "default none (the peer address is the caller)",
    )
    plan_quota: str = Field(
        default="20/hour", description="Visit plans one caller may store per window"
    )
    max_plan_bytes: int = Field(
        default=64_000, ge=1_000, description="Largest stored visit plan, bytes of JSON"
    )
    idempotency_ttl: float = Field(
        default=24 * 3600, gt=0, description="Seconds an Idempotency-Key's answer is kept"
    )
    visit_radius_km: float = Field(
        default=60.0, ge=5, le=1000, description="Each visit day's hosts lie this close together"
    )

    @field_validator("matcher_urls", "trusted_proxies", mode="before")
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

    @field_validator("rate_limit_anonymous", "rate_limit_key", "plan_quota")
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
