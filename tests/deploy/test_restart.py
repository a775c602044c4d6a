"""A matcher restart as separate processes (profiles, matcher, gateway started with `python -m
crosslink serve`): the restarted matcher reuses its exported model and its snapshot, the gateway
answers again as soon as the matcher is back, and an idle stack's log stays quiet."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.processes import Stack, poll
from tests.factories import SAMPLES

RESTART_DEADLINE = 180.0  # the export is reused: a restart loads it and the snapshot
QUERY = {"text": "laser welding process monitoring for aluminium parts", "limit": 5}
# The shipped defaults (int8 ONNX, reused across restarts) and INFO lines, which must stay few.
DEFAULTS = {"CROSSLINK_ENCODER_BACKEND": "onnx-int8", "CROSSLINK_LOG_LEVEL": "INFO"}


def _start_matcher(stack: Stack, port: int | None = None) -> None:
    stack.start_matcher("matcher", port=port, **DEFAULTS)


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Stack]:
    stack = Stack(tmp_path, database_url)
    try:
        stack.start("profiles", "profiles", **DEFAULTS)
        stack.wait_ready("profiles")
        for sample in SAMPLES:
            created = httpx.post(f"{stack.url('profiles')}/profiles", json=sample, timeout=10)
            assert created.status_code == 201, created.text
        _start_matcher(stack)
        stack.start_gateway(**DEFAULTS)
        stack.wait_ready("matcher")  # the first start exports the model: the long deadline
        stack.wait_ready("gateway")
        yield stack
    finally:
        stack.stop_all()


def _matches(services: Stack) -> bool:
    response = httpx.post(f"{services.url('gateway')}/v1/match", json=QUERY, timeout=10)
    return response.status_code == 200 and len(response.json()["data"]) == 5


def _answers(services: Stack) -> list[Any]:
    """What the matcher answers for the query and for each profile, as served."""
    url = services.url("matcher")
    answers = [httpx.post(f"{url}/match", json=QUERY, timeout=10).json()]
    for pid in range(1, len(SAMPLES) + 1):
        answers.append(httpx.get(f"{url}/profiles/{pid}/matches", timeout=10).json())
    return answers


def _info_lines(path: Path, since: int) -> list[dict[str, Any]]:
    lines = path.read_text(errors="replace").splitlines()[since:]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("level") not in ("DEBUG",)]


def test_gateway_answers_promptly_after_a_matcher_restart(services: Stack) -> None:
    assert poll(lambda: _matches(services), deadline=30, what="a first match")
    models = services.tmp / "data" / "models"
    (built,) = models.glob("*/model-int8.onnx")
    stamp = built.stat().st_mtime_ns
    before = _answers(services)

    services.stop("matcher")  # writes its snapshot on the way out
    manifest = json.loads((services.tmp / "matcher" / "manifest.json").read_text())
    assert manifest["profiles"] == len(SAMPLES)
    down = httpx.post(f"{services.url('gateway')}/v1/match", json=QUERY, timeout=10)
    assert down.status_code == 503

    started = time.monotonic()
    _start_matcher(services, port=services.ports["matcher"])
    services.wait_ready("matcher", deadline=RESTART_DEADLINE)
    ready = time.monotonic()
    poll(lambda: _matches(services), deadline=10, what="the gateway to match again")
    answered = time.monotonic()
    # The gateway does not hold a restarted matcher back: it answers as soon as it is ready.
    assert answered - ready < 1.0, (ready - started, answered - ready)
    # The restored engine answers every match as before the restart.
    assert _answers(services) == before
    # The export and the quantisation are reused, not redone.
    assert built.stat().st_mtime_ns == stamp
    assert list(models.glob("*/model-int8.onnx")) == [built]

    # Idle, the stack's log stays quiet: the matcher holds one long poll, polls are DEBUG.
    logs = {n: services.tmp / f"{n}.log" for n in services.procs}
    marks = {n: len(log.read_text().splitlines()) for n, log in logs.items()}
    window = time.monotonic() + 3.0
    while time.monotonic() < window:
        assert httpx.get(f"{services.url('gateway')}/health", timeout=5).status_code == 200
        time.sleep(0.5)
    noise = {n: _info_lines(logs[n], since) for n, since in marks.items()}
    assert noise == {n: [] for n in marks}, noise
