"""A real HTTP receiver on loopback, in a thread: records every request; can answer an error
status, be slow, or be stopped and restarted on the same port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def verify(self, secret: str) -> dict[str, Any]:
        return dict(Webhook(secret).verify(self.body, self.headers))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.status = 204
        self.location: str | None = None
        self.delay = 0.0
        self.received: list[Received] = []
        self.arrived = 0  # requests read, whatever was answered (counted before any delay)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with owner.lock:
                    owner.arrived += 1
                if owner.delay:
                    time.sleep(owner.delay)
                status = owner.status
                if 200 <= status < 300:
                    with owner.lock:
                        headers = {k.lower(): v for k, v in self.headers.items()}
                        owner.received.append(Received(headers, body, time.monotonic()))
                self.send_response(status)
                if owner.location:
                    self.send_header("location", owner.location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, type_: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if type_ is None or r.event["type"] == type_]


async def poll(check: Callable[[], Any], *, deadline: float, what: str, step: float = 0.02) -> Any:
    """Await until `check()` is truthy (sync or async), or fail saying what was awaited."""
    import inspect

    import anyio

    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await anyio.sleep(step)
    raise AssertionError(f"gave up waiting for {what} after {deadline} s; last: {last!r}")
