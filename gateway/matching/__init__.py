"""Partner search: /v1/match and /v1/profiles/{id}/matches, through the matchers."""

from gateway.matching.service import match_profile, match_text
from gateway.matching.views import router

__all__ = ["match_profile", "match_text", "router"]
