"""Hub batch matching: many queries, one result list each, errors in their slots."""

from gateway.batch.service import run_batch
from gateway.batch.views import router

__all__ = ["router", "run_batch"]
