"""Match latency over HTTP with wrk (a C load generator: on 2 cores a Python one would take a
core from the servers it measures), and freshness: acknowledged write to first match."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stack import Stack, poll

LUA = Path(__file__).with_name("match.lua")


@dataclass
class Load:
    clients: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float
    requests: int
    failed: int


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(url: str, path: str, token: str, texts: list[str], clients: int, seconds: float) -> Load:
    """Closed loop: `clients` connections each send the next need as soon as one is answered."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        for text in texts:
            fh.write(json.dumps({"text": text, "limit": 10}) + "\n")
        bodies = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "10s"]
            + ["-s", str(LUA), url],
            env={"BENCH_BODIES": bodies, "BENCH_TOKEN": token, "BENCH_PATH": path},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(bodies).unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    stats = json.loads(line.removeprefix("BENCH "))
    return Load(
        clients=clients,
        p50_ms=stats["p50"] / 1000,
        p95_ms=stats["p95"] / 1000,
        p99_ms=stats["p99"] / 1000,
        per_second=stats["requests"] / stats["seconds"],
        requests=stats["requests"],
        failed=stats["non2xx"] + stats["errors"],
    )


def freshness(stack: Stack, samples: int, timeout: float = 30.0) -> list[float]:
    """Seconds from a 201 on `POST /v1/profiles` until `POST /v1/match` returns the profile."""
    headers = {"X-API-Key": stack.token}
    delays: list[float] = []
    with httpx.Client(base_url=stack.gateway, headers=headers, timeout=30) as client:
        for i in range(samples):
            word = f"fresh{time.time_ns():x}"
            text = f"Cryogenic {word} storage of vaccines with {word} freezers, sample {i}."
            response = client.post(
                "/v1/profiles",
                json={
                    "name": f"Bench {word}",
                    "kind": "research",
                    "country": "MT",
                    "description": text,
                },
            )
            response.raise_for_status()
            acked = time.perf_counter()
            profile_id = response.json()["id"]

            # Filtered to its country and kind (a few dozen organisations), so the poll sees the
            # profile as soon as it is indexed, whatever the priors make of a newcomer.
            def found(pid: int = profile_id, query: str = text) -> bool:
                r = client.post(
                    "/v1/match",
                    json={
                        "text": query,
                        "limit": 100,
                        "filters": {"countries": ["MT"], "kinds": ["research"]},
                    },
                )
                return r.status_code == 200 and any(
                    m["profile"]["id"] == pid for m in r.json()["data"]
                )

            poll(found, timeout, f"profile {profile_id} matched", interval=0.01)
            delays.append(time.perf_counter() - acked)
            client.delete(f"/v1/profiles/{profile_id}")
    return delays


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
