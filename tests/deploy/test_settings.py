"""Every service reads its CROSSLINK_* variables through the one settings base; each variable
means one thing and is in docs/CONFIGURATION.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from crosslink.run import RunSettings
from crosslink.settings import ENV_PREFIX, CrosslinkSettings
from gateway.config import GatewaySettings
from services.matcher.config import MatcherSettings
from services.profiles.config import ProfilesSettings

SERVICE_SETTINGS: list[type[BaseSettings]] = [
    ProfilesSettings,
    MatcherSettings,
    GatewaySettings,
    RunSettings,
]
CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "CONFIGURATION.md"


def env_names(settings: type[BaseSettings]) -> dict[str, list[str]]:
    """Field -> the environment variables that set it."""
    names = {}
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            found = [c for c in alias.choices if isinstance(c, str) and c.startswith(ENV_PREFIX)]
        else:
            found = [f"{ENV_PREFIX}{name.upper()}"]
        names[name] = found
    return names


@pytest.mark.parametrize("settings", SERVICE_SETTINGS, ids=lambda s: s.__name__)
def test_every_service_uses_the_one_base_and_documents_its_variables(
    settings: type[BaseSettings],
) -> None:
    assert issubclass(settings, CrosslinkSettings)
    documented = CONFIGURATION.read_text(encoding="utf-8")
    for field, names in env_names(settings).items():
        assert names, f"{settings.__name__}.{field} cannot be set from the environment"
        for name in names:
            assert f"`{name}`" in documented, f"{name} is missing from docs/CONFIGURATION.md"


def test_upstream_timeouts_have_a_name_each_and_the_old_one_still_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (GatewaySettings().upstream_timeout, MatcherSettings().upstream_timeout) == (15, 10)
    monkeypatch.setenv("CROSSLINK_GATEWAY_UPSTREAM_TIMEOUT", "3")
    monkeypatch.setenv("CROSSLINK_MATCHER_FEED_TIMEOUT", "4")
    assert (GatewaySettings().upstream_timeout, MatcherSettings().upstream_timeout) == (3, 4)
    monkeypatch.delenv("CROSSLINK_GATEWAY_UPSTREAM_TIMEOUT")
    monkeypatch.delenv("CROSSLINK_MATCHER_FEED_TIMEOUT")
    monkeypatch.setenv("CROSSLINK_UPSTREAM_TIMEOUT", "7")
    assert (GatewaySettings().upstream_timeout, MatcherSettings().upstream_timeout) == (7, 7)


def test_shared_fields_mean_the_same_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSLINK_DATA_DIR", "/srv/crosslink")
    monkeypatch.setenv("CROSSLINK_PROFILES_URL", "http://profiles:8001")
    for settings in SERVICE_SETTINGS:
        assert settings().data_dir == Path("/srv/crosslink")  # type: ignore[attr-defined]
    assert (
        MatcherSettings().profiles_url == GatewaySettings().profiles_url == "http://profiles:8001"
    )
