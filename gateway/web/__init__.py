"""Web pages for people: partner search, profile pages, the visit planner and the intelligence
views. Server-rendered shells whose scripts call the public /v1 API."""

from gateway.web.views import router

__all__ = ["router"]
