"""The services as separate processes, started with `python -m crosslink serve ...` as the
containers start them: one helper for the deploy tests (topology, forwarded headers, crashes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

STARTUP_DEADLINE = 300.0  # a loaded 2-core machine exports the ONNX model slowly


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(check: Callable[[], Any], *, deadline: float, what: str) -> Any:
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
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}; last: {last!r}")


class Stack:
    def __init__(self, tmp: Path, database_url: str):
        self.tmp = tmp
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "CROSSLINK_DATABASE_URL": database_url,
            "CROSSLINK_KEYS_DATABASE_URL": database_url,
            "CROSSLINK_DEMO_DATA": "0",
            "CROSSLINK_DATA_DIR": str(tmp / "data"),
            "CROSSLINK_LOG_LEVEL": "WARNING",
            # fp32 ONNX: replicas embed the same texts in different batches, and the int8
            # backend's per-batch activation scales then move scores by up to ~0.02 (a known
            # limit, docs/BENCHMARKS.md); this test is about the topology, not the quantiser.
            "CROSSLINK_ENCODER_BACKEND": "onnx",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, service: str, *, port: int | None = None, **env: str) -> None:
        self.ports[name] = port or free_port()
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        cmd = [sys.executable, "-m", "crosslink", "serve", service, "--port", str(self.ports[name])]
        self.procs[name] = subprocess.Popen(
            cmd, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def start_matcher(self, name: str, *, port: int | None = None, **env: str) -> None:
        self.start(
            name,
            "matcher",
            port=port,
            CROSSLINK_PROFILES_URL=self.url("profiles"),
            CROSSLINK_MATCHER_INDEX_DIR=str(self.tmp / name),
            **env,
        )

    def start_gateway(self, name: str = "gateway", **env: str) -> None:
        """The gateway in front of `profiles` and `matcher`."""
        self.start(
            name,
            "gateway",
            CROSSLINK_PROFILES_URL=self.url("profiles"),
            CROSSLINK_MATCHER_URLS=self.url("matcher"),
            **env,
        )

    def restart(self, name: str, service: str, **env: str) -> None:
        """Start `name` again on the port it had (the gateway keeps its upstream URLs)."""
        self.start(name, service, port=self.ports[name], **env)

    def create_key(self, hub: str, scopes: str = "read,write") -> str:
        """A key made with the CLI, as an operator makes one."""
        done = subprocess.run(
            [sys.executable, "-m", "crosslink", "keys", "create", "--hub", hub, "--scopes", scopes],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def wait_ready(self, name: str, deadline: float = STARTUP_DEADLINE) -> None:
        def ready() -> bool:
            proc = self.procs[name]
            if proc.poll() is not None:
                log = (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{log}")
            return httpx.get(f"{self.url(name)}/health", timeout=2).status_code == 200

        poll(ready, deadline=deadline, what=f"{name} to be ready")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def kill(self, name: str) -> None:
        """kill -9: no shutdown hook runs."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()
