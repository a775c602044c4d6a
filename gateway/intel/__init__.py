"""Cluster intelligence: technology fields, the competence map, bridges, a cluster's potential."""

from gateway.intel.views import router

__all__ = ["router"]
