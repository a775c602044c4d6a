"""The dispatcher killed with SIGKILL mid-delivery: after a restart no event is lost, and the
one that was in flight arrives again with the same id. Profiles and the dispatcher run as
separate processes (`python -m crosslink serve ...`), the receiver on loopback in a thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dispatcher.receiver import Receiver, free_port
from tests.factories import profile_payload

DEADLINE = 60.0


def _wait(check: object, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


class Procs:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, service: str, port: int) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        cmd = [sys.executable, "-m", "crosslink", "serve", service, "--port", str(port)]
        self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        url = f"http://127.0.0.1:{port}/health"
        _wait(lambda: httpx.get(url, timeout=1).status_code == 200, f"{name} to start")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def procs(tmp_path: Path, database_url: str) -> Iterator[Procs]:
    env = {
        **os.environ,
        "CROSSLINK_DATABASE_URL": database_url,
        "CROSSLINK_DEMO_DATA": "0",
        "CROSSLINK_DATA_DIR": str(tmp_path / "data"),
        "CROSSLINK_LOG_LEVEL": "WARNING",
        "CROSSLINK_WEBHOOK_ALLOW": "127.0.0.1",
        "CROSSLINK_DISPATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'dispatcher.db'}",
        "CROSSLINK_DISPATCHER_POLL_INTERVAL": "0.02",
        "CROSSLINK_DISPATCHER_RETRY_BASE": "0.05",
        "CROSSLINK_DISPATCHER_RETRY_MAX": "0.2",
    }
    running = Procs(tmp_path, env)
    try:
        yield running
    finally:
        running.stop_all()


def test_sigkill_mid_delivery_loses_nothing_and_repeats_keep_their_id(procs: Procs) -> None:
    receiver = Receiver().start()
    receiver.delay = 0.4  # every delivery is in flight for a while
    try:
        profiles_port, dispatcher_port = free_port(), free_port()
        procs.env["CROSSLINK_PROFILES_URL"] = f"http://127.0.0.1:{profiles_port}"
        procs.start("profiles", "profiles", profiles_port)
        procs.start("dispatcher", "dispatcher", dispatcher_port)
        dispatcher = f"http://127.0.0.1:{dispatcher_port}"
        sub = httpx.post(
            f"{dispatcher}/webhooks",
            json={"url": receiver.url, "events": ["profile.created"]},
            headers={"X-Crosslink-Hub": "hub-a"},
        )
        assert sub.status_code == 201, sub.text
        written = []
        for _ in range(6):
            response = httpx.post(
                f"http://127.0.0.1:{profiles_port}/profiles",
                json=profile_payload(),
                headers={"X-Crosslink-Owner": "hub-a"},
            )
            assert response.status_code == 201
            written.append(response.json()["id"])

        _wait(lambda: receiver.arrived >= 3, "the third delivery to be in flight")
        procs.kill("dispatcher")  # while the receiver still holds the third request
        in_flight = receiver.arrived
        procs.start("dispatcher", "dispatcher", dispatcher_port)
        _wait(
            lambda: {r.event["data"]["profile_id"] for r in receiver.events()} == set(written),
            "every event after the restart",
        )
    finally:
        receiver.stop()

    received = receiver.events()
    for r in received:
        assert r.verify(sub.json()["secret"])["id"] == r.id
    ids_per_profile: dict[int, set[str]] = {}
    for r in received:
        ids_per_profile.setdefault(r.event["data"]["profile_id"], set()).add(r.id)
    assert all(len(ids) == 1 for ids in ids_per_profile.values()), ids_per_profile
    first_seen = list(dict.fromkeys(r.event["data"]["profile_id"] for r in received))
    assert first_seen == written
    # The delivery in flight at the kill was never acknowledged: it came again, same id.
    assert len(received) > len(written), (in_flight, [r.id for r in received])
