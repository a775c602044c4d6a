from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import profile_payload


@pytest.fixture
def create(profiles_client: TestClient) -> Callable[..., dict[str, Any]]:
    """POST a factory profile (overrides as keywords) and return the created profile."""

    def _create(owner: str | None = None, **overrides: Any) -> dict[str, Any]:
        headers = {"X-Crosslink-Owner": owner} if owner else {}
        response = profiles_client.post(
            "/profiles", json=profile_payload(**overrides), headers=headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return _create
