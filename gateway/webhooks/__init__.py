"""/v1/webhooks and /v1/alerts: the dispatcher's subscriptions and saved searches, per hub."""

from gateway.webhooks.service import build_dispatcher
from gateway.webhooks.views import router

__all__ = ["build_dispatcher", "router"]
