"""/v1/profiles: CRUD, list, bulk import and export, passed to the profiles service with
ownership."""

from gateway.profiles.service import fetch_profile, get_profile, visible
from gateway.profiles.views import BULK_PATH, router

BULK_PATHS = (BULK_PATH,)

__all__ = ["BULK_PATHS", "fetch_profile", "get_profile", "router", "visible"]
