"""The three services as separate processes on loopback ports, as `crosslink serve` runs them,
with their data in the bench folder (reused between runs: the import and the matcher's index
snapshot are kept)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

log = logging.getLogger("bench.stack")
HOST = "127.0.0.1"


def poll(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2.0).status_code
    except httpx.HTTPError:
        return 0


class Stack:
    """profiles, matcher and gateway; `with Stack(...) as stack:` stops them on exit."""

    def __init__(self, data_dir: Path, port_base: int, extra_env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.gateway = f"http://{HOST}:{port_base}"
        self.profiles = f"http://{HOST}:{port_base + 1}"
        self.matcher = f"http://{HOST}:{port_base + 2}"
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "CROSSLINK_DATA_DIR": str(data_dir),
            "CROSSLINK_HOST": HOST,
            "CROSSLINK_GATEWAY_PORT": str(port_base),
            "CROSSLINK_PROFILES_PORT": str(port_base + 1),
            "CROSSLINK_MATCHER_PORT": str(port_base + 2),
            "CROSSLINK_PROFILES_URL": self.profiles,
            "CROSSLINK_MATCHER_URLS": self.matcher,
            "CROSSLINK_DEMO_DATA": "false",
            "CROSSLINK_LOG_LEVEL": "WARNING",
            # The benchmark measures the engine, not the quota.
            "CROSSLINK_RATE_LIMIT_KEY": "100000000/minute",
            "CROSSLINK_RATE_LIMIT_ANONYMOUS": "100000000/minute",
            **(extra_env or {}),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self.token = ""
        self.matcher_ready_seconds = 0.0

    def __enter__(self) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, service: str) -> subprocess.Popen[bytes]:
        logfile = open(self.data_dir / f"{service}.log", "ab")  # noqa: SIM115 - closed in stop
        self._logs.append(logfile)
        proc = subprocess.Popen(
            [sys.executable, "-m", "crosslink", "serve", service],
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[service] = proc
        return proc

    def wait_healthy(self, service: str, timeout: float) -> None:
        url = getattr(self, service) + "/health"
        proc = self.procs[service]

        def healthy() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{service} exited; see {self.data_dir / service}.log")
            return _status(url) == 200

        poll(healthy, timeout, f"{service} healthy", interval=0.5)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        for fh in self._logs:
            fh.close()
        self._logs.clear()

    def import_profiles(self, records: list[dict[str, Any]], chunk: int = 500) -> None:
        """Upsert by external_id straight into the profiles service (unchanged ones stay)."""
        with httpx.Client(base_url=self.profiles, timeout=600) as client:
            for start in range(0, len(records), chunk):
                body = "\n".join(json.dumps(r) for r in records[start : start + chunk])
                response = client.post(
                    "/profiles/bulk",
                    content=body.encode(),
                    headers={"content-type": "application/x-ndjson", "x-crosslink-owner": "bench"},
                )
                response.raise_for_status()

    def create_key(self) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "crosslink", "keys", "create", "--hub", "bench"]
            + ["--scopes", "read,write"],
            env=self.env,
            capture_output=True,
            check=True,
            text=True,
        )
        self.token = out.stdout.strip().splitlines()[-1]
        return self.token

    def up(self, records: list[dict[str, Any]], timeout: float) -> None:
        """Start everything and import `records`; returns once the gateway can match."""
        self.start("profiles")
        poll(lambda: _status(self.profiles + "/health") in (200, 503), 120, "profiles up")
        self.import_profiles(records)
        started = time.perf_counter()
        self.start("matcher")
        self.wait_healthy("matcher", timeout)
        self.matcher_ready_seconds = time.perf_counter() - started
        self.create_key()
        self.start("gateway")
        self.wait_healthy("gateway", 120)

    def rss_mb(self, service: str) -> float:
        """Resident memory of a service process."""
        return float(psutil.Process(self.procs[service].pid).memory_info().rss) / 2**20

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each service has used so far, with its live children (the
        matcher's BM25 helper)."""
        out = {}
        for service, proc in self.procs.items():
            process = psutil.Process(proc.pid)
            out[service] = sum(
                sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)]
            )
        return out
