"""/v1/profiles: CRUD, list and bulk import, passed to the profiles service with ownership."""

from gateway.profiles.service import fetch_profile, get_profile, visible
from gateway.profiles.views import router

__all__ = ["fetch_profile", "get_profile", "router", "visible"]
