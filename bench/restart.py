"""`python -m bench.restart` (= `make bench-restart`): a matcher restart on the demo data, timed
from the process start (`python -m crosslink serve matcher`) to its first answer (listening:
the encoder and the snapshot are loaded) and to its first 200 from `/health` (ready: caught up
with the feed, BM25 and the filter columns built, the configured ranker loaded).

The profiles service loads the demo data (4,016 profiles) into its own database under the
bench folder; the matcher builds its index once from the change feed and writes its snapshot
on the way out; then it is restarted `--runs` times per configuration (after one untimed start
that warms the page cache) and the medians are reported. `--before DIR` also times the code in
DIR (e.g. a `git worktree add DIR <commit>`), each configuration in turn, on the same machine
state. The CPU time the matcher had used when it was ready is reported too: on a shared machine
the wall time includes waiting for a core. Writes the table with the command, machine and load
between the RESTART markers of docs/BENCHMARKS.md (`--no-write`: print only)."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bench.config import ROOT, BenchSettings
from bench.report import run_header, write
from bench.stack import HOST, poll

BEGIN, END = "<!-- RESTART BEGIN -->", "<!-- RESTART END -->"
DEMO_PROFILES = 4_016


@dataclass
class Timing:
    listening: float  # seconds from the process start to its first answer (any status)
    ready: float  # ... to its first 200 from /health
    cpu: float  # CPU seconds (user + system, all threads) the process had used by then
    load: float  # 1-minute load average when it started


class Demo:
    """The profiles service on the demo data, and matchers started against it."""

    def __init__(self, folder: Path, port_base: int) -> None:
        self.folder = folder
        self.profiles_port, self.matcher_port = port_base + 1, port_base + 2
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "CROSSLINK_DATA_DIR": str(folder),
            "CROSSLINK_HOST": HOST,
            "CROSSLINK_PROFILES_PORT": str(self.profiles_port),
            "CROSSLINK_MATCHER_PORT": str(self.matcher_port),
            "CROSSLINK_PROFILES_URL": f"http://{HOST}:{self.profiles_port}",
            "CROSSLINK_LOG_LEVEL": "INFO",
        }
        self.profiles: subprocess.Popen[bytes] | None = None

    def _spawn(self, service: str, code: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{service}.log", "ab")  # noqa: SIM115 - the child holds it
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "crosslink", "serve", service],
                cwd=code,
                env={**self.env, "PYTHONPATH": str(code), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def __enter__(self) -> Demo:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.profiles = self._spawn("profiles", ROOT, {})
        url = f"http://{HOST}:{self.profiles_port}/health"
        poll(lambda: _status(url) == 200, 600, "the profiles service (loading the demo data)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.profiles is not None:
            _stop(self.profiles)

    def start_matcher(
        self, code: Path, index_dir: Path, ranker: str, timeout: float, interval: float = 0.02
    ) -> Timing:
        """Start a matcher, wait for its first 200 from /health (asked every `interval` s),
        stop it (a snapshot is written on the way out when the index changed)."""
        load = os.getloadavg()[0]
        env = {"CROSSLINK_MATCHER_INDEX_DIR": str(index_dir), "CROSSLINK_RANKER": ranker}
        started = time.perf_counter()
        proc = self._spawn("matcher", code, env)
        url = f"http://{HOST}:{self.matcher_port}/health"
        listening = 0.0
        client = httpx.Client(timeout=5.0)  # one connection, not one per poll: cheap polls
        try:
            deadline = started + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the matcher exited; see {self.folder / 'matcher.log'}")
                status = _status(url, client)
                now = time.perf_counter()
                if status and not listening:
                    listening = now - started
                if status == 200:
                    ready = now - started
                    times = psutil.Process(proc.pid).cpu_times()
                    cpu = times.user + times.system
                    break
                if now > deadline:
                    raise TimeoutError(f"the matcher was not ready within {timeout:.0f}s")
                time.sleep(interval)
            profiles = client.get(url).json()["details"]["profiles"]
            if profiles != DEMO_PROFILES:
                raise RuntimeError(f"the matcher holds {profiles} profiles, not {DEMO_PROFILES}")
        finally:
            client.close()
            _stop(proc)
        return Timing(listening, ready, cpu, load)


def _status(url: str, client: httpx.Client | None = None) -> int:
    try:
        return (client or httpx).get(url, timeout=5.0).status_code
    except httpx.HTTPError:
        return 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.restart", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="Timed restarts per configuration")
    parser.add_argument("--rankers", default="linear,auto", help="CROSSLINK_RANKER values")
    parser.add_argument("--before", type=Path, help="Also time the code in this directory")
    parser.add_argument("--no-write", action="store_true", help="Print only")
    parser.add_argument("--build-timeout", type=float, default=3600)
    args = parser.parse_args(argv)
    settings = BenchSettings()
    folder = settings.bench_dir / "restart-demo"
    codes = {"after": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    rankers = args.rankers.split(",")
    load_before = os.getloadavg()
    results: dict[tuple[str, str], list[Timing]] = {(c, r): [] for c in codes for r in rankers}
    with Demo(folder, settings.bench_port_base + 30) as demo:
        for label, code in codes.items():  # the first start builds (and snapshots) the index
            index_dir = folder / f"matcher-{label}"
            demo.start_matcher(code, index_dir, rankers[0], args.build_timeout, interval=1.0)
            demo.start_matcher(code, index_dir, rankers[0], 600)  # warms the page cache
        for _ in range(args.runs):  # interleaved: a change of load hits every configuration
            for (label, ranker), timings in results.items():
                index_dir = folder / f"matcher-{label}"
                timings.append(demo.start_matcher(codes[label], index_dir, ranker, 600))
    lines = [
        "| code | CROSSLINK_RANKER | listening (s) | ready (s), median | ready, each run | "
        "CPU s until ready, median | load (1 min) at each start |",
        "|---|---|---|---|---|---|---|",
    ]
    for (label, ranker), timings in results.items():
        lines.append(
            f"| {label} | {ranker} | {statistics.median(t.listening for t in timings):.2f} | "
            f"**{statistics.median(t.ready for t in timings):.2f}** | "
            + " / ".join(f"{t.ready:.2f}" for t in timings)
            + f" | {statistics.median(t.cpu for t in timings):.2f} | "
            + " / ".join(f"{t.load:.2f}" for t in timings)
            + " |"
        )
    command = "python -m bench.restart " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(
        [
            *run_header(command, load_before),
            f"- data: the demo data ({DEMO_PROFILES:,} profiles), snapshot reused, "
            "encoder backend `onnx-int8` (the default), median of "
            f"{args.runs} restarts per row",
            "",
            *lines,
        ]
    )
    print(text)
    if not args.no_write:
        write(text, markers=(BEGIN, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
