"""`crosslink serve SERVICE` (one service in this process) and `crosslink run` (all of them).

`crosslink run` is what `make run` calls: profiles (8001), matcher (8002), dispatcher (8003,
webhooks) and gateway (8000) as
separate processes — the same topology as the containers — with JSON logs in the foreground and
data under CROSSLINK_DATA_DIR (./var). Ctrl-C stops all; if one dies, the others are stopped.
"""

from __future__ import annotations

import functools
import gc
import importlib
import logging
import os
import signal
import subprocess
import sys
import time
from enum import StrEnum
from typing import Any

import httpx
import typer
from pydantic import Field

from crosslink.settings import CrosslinkSettings


class Service(StrEnum):
    profiles = "profiles"
    matcher = "matcher"
    dispatcher = "dispatcher"
    gateway = "gateway"


FACTORIES = {
    Service.profiles: "services.profiles.app:create_app",
    Service.matcher: "services.matcher.app:create_app",
    Service.dispatcher: "services.dispatcher.app:create_app",
    Service.gateway: "gateway.app:create_app",
}


class RunSettings(CrosslinkSettings):
    host: str = "127.0.0.1"
    profiles_port: int = 8001
    matcher_port: int = 8002
    dispatcher_port: int = 8003
    gateway_port: int = 8000
    log_level: str = "INFO"
    startup_timeout: float = Field(
        default=300.0, gt=0, description="Seconds `crosslink run` waits for each service to start"
    )

    def port(self, service: Service) -> int:
        return {
            Service.profiles: self.profiles_port,
            Service.matcher: self.matcher_port,
            Service.dispatcher: self.dispatcher_port,
            Service.gateway: self.gateway_port,
        }[service]


POLLED_PATHS = ("/health", "/metrics")


class PollsAtDebug(logging.Filter):
    """Lines about health and metrics polls (`crosslink run`, a process manager, Prometheus,
    the gateway asking its upstreams) are DEBUG, not INFO: an idle stack's log stays quiet."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name == "uvicorn.access":  # (client, method, path, version, status)
            polled = len(args) >= 3 and str(args[2]).split("?")[0] in POLLED_PATHS
        else:  # httpx: ("HTTP Request: %s %s ...", method, url, ...)
            polled = len(args) >= 2 and str(args[1]).split("?")[0].endswith(POLLED_PATHS)
        if not polled:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demote_polls() -> None:
    """Install `PollsAtDebug` on uvicorn's access log and httpx's request log (once)."""
    for name in ("uvicorn.access", "httpx"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, PollsAtDebug) for f in logger.filters):
            logger.addFilter(PollsAtDebug())


def _available(service: Service) -> bool:
    module = FACTORIES[service].split(":")[0]
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return False
        raise
    return True


class CollectAfterStartup:
    """ASGI wrapper that turns the cyclic garbage collector back on once the app's lifespan
    startup is over: `serve` turns it off before the app is imported, whose objects all live
    as long as the process (its passes over the growing heap were ~0.25 s of CPU of a
    matcher's restart)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)

        async def sending(message: Any) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                gc.enable()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            gc.enable()


def _app_of(service: Service) -> CollectAfterStartup:
    """The service's app (uvicorn calls this as its factory), its startup without collection."""
    module, factory = FACTORIES[service].split(":")
    return CollectAfterStartup(getattr(importlib.import_module(module), factory)())


def serve(service: Service, host: str | None = None, port: int | None = None) -> None:
    """Run one service with uvicorn in this process, logging JSON."""
    import uvicorn

    from crosslink.observability import setup_logging

    settings = RunSettings()
    setup_logging(service.value, settings.log_level)
    demote_polls()
    if service is Service.gateway:
        _announce_admin_key()
    gc.disable()  # until the app's startup is over (CollectAfterStartup)
    uvicorn.run(
        functools.partial(_app_of, service),
        factory=True,
        host=host or settings.host,
        port=port or settings.port(service),
        log_config=None,
        access_log=True,
        # X-Forwarded-For is believed only from CROSSLINK_TRUSTED_PROXIES (the gateway's own
        # ProxyHeadersMiddleware), never from loopback by default as uvicorn would.
        proxy_headers=False,
    )


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until the service answers at all (the matcher says 503 while it catches up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            httpx.get(url, timeout=1.0)
            return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def run_all() -> int:
    settings = RunSettings()
    env = dict(os.environ)
    base = f"http://{settings.host}"
    env.setdefault("CROSSLINK_PROFILES_URL", f"{base}:{settings.profiles_port}")
    env.setdefault("CROSSLINK_MATCHER_URLS", f"{base}:{settings.matcher_port}")
    env.setdefault("CROSSLINK_DISPATCHER_URL", f"{base}:{settings.dispatcher_port}")
    env.setdefault("HF_HUB_OFFLINE", "1")
    procs: list[tuple[Service, subprocess.Popen[bytes]]] = []
    signal.signal(signal.SIGTERM, _interrupt)  # a process manager's stop = Ctrl-C

    def stop_all() -> None:
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully on it
        for _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    try:
        for service in Service:
            if not _available(service):
                typer.echo(f"crosslink: {service.value} is not built yet; skipped", err=True)
                continue
            cmd = [sys.executable, "-m", "crosslink", "serve", service.value]
            proc = subprocess.Popen(cmd, env=env)
            procs.append((service, proc))
            # The matcher needs the feed, the gateway needs both: start in order.
            health = f"{base}:{settings.port(service)}/health"
            if service is not Service.gateway and not _wait_up(
                health, proc, settings.startup_timeout
            ):
                typer.echo(f"crosslink: {service.value} did not start", err=True)
                stop_all()
                return 1
            typer.echo(f"crosslink: {service.value} on {base}:{settings.port(service)}", err=True)
        if not procs:
            return 1
        while True:
            for service, proc in procs:
                code = proc.poll()
                if code is not None:
                    typer.echo(f"crosslink: {service.value} exited ({code}); stopping", err=True)
                    stop_all()
                    return code or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop_all()
        return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _announce_admin_key() -> None:
    from gateway.access.cli import ensure_admin_key
    from gateway.config import GatewaySettings

    path = ensure_admin_key(GatewaySettings())
    if path is not None:
        typer.echo(f"crosslink: admin API key created and stored in {path} (owner-only)", err=True)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        service: Service,
        host: str | None = typer.Option(None, help="Bind address (default CROSSLINK_HOST)"),
        port: int | None = typer.Option(None, help="Port (default per service)"),
    ) -> None:
        """Run one service (profiles, matcher, dispatcher or gateway) in the foreground."""
        serve(service, host, port)

    @app.command("run")
    def run_command() -> None:
        """Start profiles, matcher, dispatcher and gateway; Ctrl-C stops all."""
        raise typer.Exit(run_all())
