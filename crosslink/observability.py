"""Operations for every service: JSON logs with the request id, Prometheus `/metrics`.

- Request ids: `asgi-correlation-id` reads `X-Request-ID` (or makes one), returns it, and puts it
  in every log line; the gateway forwards it to upstreams (`current_request_id()`).
- Metrics: `prometheus-fastapi-instrumentator` (request counts, latency histograms) on a registry
  of the app's own, so several apps in one process (tests) do not collide; services add their own
  gauges (index size, feed lag, encode time) to `app.state.metrics_registry`.
"""

from __future__ import annotations

import logging
import sys

from asgi_correlation_id import CorrelationIdFilter, CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"


def instrument(app: FastAPI, *, service: str) -> CollectorRegistry:
    """Add request ids and `/metrics` to an app; returns its metrics registry."""
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    app.state.service_name = service
    Instrumentator(registry=registry, excluded_handlers=["/metrics"]).instrument(app).expose(
        app, include_in_schema=False
    )
    # Accept any client-chosen id (not only UUIDs), bounded in length.
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=lambda value: 0 < len(value) <= 128 and value.isprintable(),
    )
    return registry


def current_request_id() -> str | None:
    return correlation_id.get()


def setup_logging(service: str, level: str = "INFO") -> None:
    """Structured JSON logs on stdout, one object a line, with service and request id."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(CorrelationIdFilter(name="request_id", uuid_length=None, default_value="-"))
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "correlation_id": "request_id"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
