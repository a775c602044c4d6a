"""A matcher restart as separate processes (profiles, matcher, gateway started with `python -m
crosslink serve`): the restarted matcher reuses its exported model and its snapshot, the gateway
answers again as soon as the matcher is back, and an idle stack's log stays quiet."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import SAMPLES

STARTUP_DEADLINE = 180.0
QUERY = {"text": "laser welding process monitoring for aluminium parts", "limit": 5}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _poll(check: Callable[[], Any], *, deadline: float, what: str, every: float = 0.05) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
        except httpx.HTTPError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}; last: {last!r}")


class Services:
    """profiles, one matcher and the gateway, each a `crosslink serve` process on a fixed port."""

    def __init__(self, tmp: Path, database_url: str):
        self.tmp = tmp
        self.ports = {name: _free_port() for name in ("profiles", "matcher", "gateway")}
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "CROSSLINK_DATABASE_URL": database_url,
            "CROSSLINK_KEYS_DATABASE_URL": database_url,
            "CROSSLINK_DEMO_DATA": "0",
            "CROSSLINK_DATA_DIR": str(tmp / "data"),
            "CROSSLINK_LOG_LEVEL": "INFO",
            "CROSSLINK_PROFILES_URL": self.url("profiles"),
            "CROSSLINK_MATCHER_URLS": self.url("matcher"),
            "CROSSLINK_MATCHER_INDEX_DIR": str(tmp / "matcher-index"),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def start(self, name: str) -> None:
        with open(self.log(name), "ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "crosslink", "serve", name, "--port", str(self.ports[name])],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self, name: str) -> bool:
        proc = self.procs[name]
        if proc.poll() is not None:
            tail = self.log(name).read_text(errors="replace")[-3000:]
            raise AssertionError(f"{name} exited with {proc.returncode}:\n{tail}")
        return httpx.get(f"{self.url(name)}/health", timeout=2).status_code == 200

    def wait_ready(self, name: str) -> None:
        _poll(lambda: self.ready(name), deadline=STARTUP_DEADLINE, what=f"{name} to be ready")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    running = Services(tmp_path, database_url)
    try:
        running.start("profiles")
        running.wait_ready("profiles")
        for sample in SAMPLES:
            created = httpx.post(f"{running.url('profiles')}/profiles", json=sample, timeout=10)
            assert created.status_code == 201, created.text
        running.start("matcher")
        running.start("gateway")
        running.wait_ready("matcher")
        running.wait_ready("gateway")
        yield running
    finally:
        running.stop_all()


def _matches(services: Services) -> bool:
    response = httpx.post(f"{services.url('gateway')}/v1/match", json=QUERY, timeout=10)
    return response.status_code == 200 and len(response.json()["data"]) == 5


def _info_lines(path: Path, since: int) -> list[dict[str, Any]]:
    lines = path.read_text(errors="replace").splitlines()[since:]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("level") not in ("DEBUG",)]


def test_gateway_answers_promptly_after_a_matcher_restart(services: Services) -> None:
    assert _poll(lambda: _matches(services), deadline=30, what="a first match")
    models = services.tmp / "data" / "models"
    (built,) = models.glob("*/model-int8.onnx")
    stamp = built.stat().st_mtime_ns

    services.stop("matcher")  # writes its snapshot on the way out
    manifest = json.loads((services.tmp / "matcher-index" / "manifest.json").read_text())
    assert manifest["profiles"] == len(SAMPLES)
    down = httpx.post(f"{services.url('gateway')}/v1/match", json=QUERY, timeout=10)
    assert down.status_code == 503

    started = time.monotonic()
    services.start("matcher")
    services.wait_ready("matcher")
    ready = time.monotonic()
    _poll(lambda: _matches(services), deadline=10, what="the gateway to match again")
    answered = time.monotonic()
    # The gateway does not hold a restarted matcher back: it answers as soon as it is ready.
    assert answered - ready < 1.0, (ready - started, answered - ready)
    # The export and the quantisation are reused, not redone.
    assert built.stat().st_mtime_ns == stamp
    assert list(models.glob("*/model-int8.onnx")) == [built]

    # Idle, the stack's log stays quiet: the matcher holds one long poll, polls are DEBUG.
    marks = {n: len(services.log(n).read_text().splitlines()) for n in services.procs}
    window = time.monotonic() + 3.0
    while time.monotonic() < window:
        assert httpx.get(f"{services.url('gateway')}/health", timeout=5).status_code == 200
        time.sleep(0.5)
    noise = {n: _info_lines(services.log(n), since) for n, since in marks.items()}
    assert noise == {n: [] for n in marks}, noise
