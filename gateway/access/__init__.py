"""Who may call what: API keys (hub and scopes, stored hashed), the caller of a request, rate
limits per key and per anonymous address, and the `crosslink keys` commands."""

from gateway.access.auth import Caller
from gateway.access.keys import ApiKey, Scope, make_engine
from gateway.access.ratelimit import RateLimiter
from gateway.access.service import identify_caller

__all__ = ["ApiKey", "Caller", "RateLimiter", "Scope", "identify_caller", "make_engine"]
