"""Webhook delivery: lag p50/p95 and events/s for N profile writes fanned out to M subscriptions.

Profiles and the dispatcher run as their own processes (`python -m crosslink serve ...`), the
receivers (one loopback HTTP server per subscription) in threads of this process. Lag is the time
from a write's answer to the event's arrival at a receiver; events/s counts every delivery from
the first write to the last arrival. Self-contained: `run(...)` returns the figures;
`python -m bench.webhooks --writes 200` prints them. Hook for the bench runner:
`results["webhooks"] = bench.webhooks.run(writes=1000, subscriptions=10)`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

PROFILE = {
    "kind": "sme",
    "country": "DE",
    "region": "DED21",
    "description": "Laser welding and process monitoring of aluminium parts.",
    "offers": ["laser welding"],
    "contact": {"email": "bench@example.eu"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"gave up waiting for {what} after {timeout} s")


class _Arrivals:
    """Every receiver's arrivals: (profile id, monotonic time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[tuple[int, float]] = []

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                at = time.monotonic()
                profile_id = json.loads(body)["data"]["profile_id"]
                with arrivals.lock:
                    arrivals.items.append((profile_id, at))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return len(self.items)


def run(*, writes: int = 1000, subscriptions: int = 10, timeout: float = 600.0) -> dict[str, float]:
    """Start profiles and the dispatcher, write `writes` profiles, wait for every delivery."""
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        base = Path(tmp)
        ports = {"profiles": _free_port(), "dispatcher": _free_port()}
        env = {
            **os.environ,
            "CROSSLINK_DATABASE_URL": f"sqlite:///{base / 'profiles.db'}",
            "CROSSLINK_DISPATCHER_DATABASE_URL": f"sqlite:///{base / 'dispatcher.db'}",
            "CROSSLINK_DATA_DIR": str(base),
            "CROSSLINK_DEMO_DATA": "0",
            "CROSSLINK_LOG_LEVEL": "WARNING",
            "CROSSLINK_PROFILES_URL": f"http://127.0.0.1:{ports['profiles']}",
            "CROSSLINK_WEBHOOK_ALLOW": "127.0.0.1",
        }
        procs: list[subprocess.Popen[bytes]] = []
        arrivals = _Arrivals()
        servers: list[ThreadingHTTPServer] = []
        try:
            for service, port in ports.items():
                cmd = [sys.executable, "-m", "crosslink", "serve", service, "--port", str(port)]
                log = open(base / f"{service}.log", "wb")  # noqa: SIM115 (closed below)
                procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
                log.close()
                url = f"http://127.0.0.1:{port}/health"
                _wait(lambda u=url: httpx.get(u, timeout=1).status_code == 200, 120, service)
            dispatcher = f"http://127.0.0.1:{ports['dispatcher']}"
            for _ in range(subscriptions):
                server, url = arrivals.serve()
                servers.append(server)
                response = httpx.post(
                    f"{dispatcher}/webhooks",
                    json={"url": url, "events": ["profile.created"], "scope": "all"},
                    headers={"X-Crosslink-Hub": "bench"},
                )
                response.raise_for_status()
            written: dict[int, float] = {}
            started = time.monotonic()
            with httpx.Client(base_url=env["CROSSLINK_PROFILES_URL"], timeout=30) as profiles:
                for n in range(writes):
                    body = {**PROFILE, "name": f"Bench organisation {n}"}
                    response = profiles.post("/profiles", json=body)
                    response.raise_for_status()
                    written[response.json()["id"]] = time.monotonic()
            write_seconds = time.monotonic() - started
            expected = writes * subscriptions
            _wait(lambda: arrivals.count() >= expected, timeout, "every delivery")
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    lags = sorted(at - written[pid] for pid, at in arrivals.items)
    last = max(at for _, at in arrivals.items)
    cuts = statistics.quantiles(lags, n=100)
    return {
        "writes": writes,
        "subscriptions": subscriptions,
        "deliveries": len(lags),
        "writes_per_s": writes / write_seconds,
        "events_per_s": len(lags) / (last - started),
        "lag_p50_ms": cuts[49] * 1000,
        "lag_p95_ms": cuts[94] * 1000,
        "lag_max_ms": lags[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=10)
    args = parser.parse_args()
    result = run(writes=args.writes, subscriptions=args.subscriptions)
    for name, value in result.items():
        print(f"{name:>14}: {value:,.1f}")


if __name__ == "__main__":
    main()


def section(*, smoke: bool) -> list[tuple[str, str, str, str, str]]:
    """The bench runner's rows: delivery lag and events/s (1,000 writes x 10 subscriptions)."""
    writes = 20 if smoke else 1000
    r = run(writes=writes, subscriptions=10)
    label = f"webhooks: {r['writes']:.0f} writes x {r['subscriptions']:.0f} subscriptions"
    return [
        (
            f"{label}, delivery lag p50 / p95",
            "-",
            f"{r['lag_p50_ms']:.0f} / {r['lag_p95_ms']:.0f} ms",
            "-",
            "measured",
        ),
        (f"{label}, deliveries per second", "-", f"{r['events_per_s']:.1f}/s", "-", "measured"),
    ]
