"""The matcher's HTTP surface: matching and health (`routes`), cluster intelligence (`intel`)."""

from services.matcher.api.intel import router as intel_router
from services.matcher.api.routes import router

__all__ = ["intel_router", "router"]
