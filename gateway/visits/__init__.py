"""Business exploratory visits: hosts in a target region for a delegation, by city and day,
with a stored plan and its printable briefing."""

from gateway.visits.service import plan_visit
from gateway.visits.store import create_plan_table
from gateway.visits.views import router

__all__ = ["create_plan_table", "plan_visit", "router"]
