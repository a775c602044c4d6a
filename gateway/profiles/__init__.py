"""/v1/profiles: CRUD, list and bulk import, passed to the profiles service with ownership."""

from gateway.profiles.service import fetch_profile, get_profile, visible
from gateway.profiles.views import BULK_PATH, router

BULK_PATHS = (BULK_PATH,)

__all__ = ["BULK_PATHS", "fetch_profile", "get_profile", "router", "visible"]
