"""Who is calling: an API key's hub and scopes, or an anonymous client address."""

from __future__ import annotations

from dataclasses import dataclass, field

from crosslink.errors import Forbidden, Unauthorized
from gateway.access.keys import Scope


@dataclass(frozen=True)
class Caller:
    hub: str | None = None
    key_id: int | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.hub is None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.admin in self.scopes

    def require(self, scope: Scope) -> None:
        if self.anonymous:
            raise Unauthorized(
                f"this call needs an API key with the '{scope.value}' scope; send it as "
                "'Authorization: Bearer <token>' or 'X-API-Key: <token>'"
            )
        if not self.can(scope):
            have = ", ".join(sorted(s.value for s in self.scopes)) or "none"
            raise Forbidden(
                f"this API key lacks the '{scope.value}' scope (it has: {have})",
                details={"required": scope.value},
            )

    def owns(self, owner: str | None) -> bool:
        return not self.anonymous and owner is not None and owner == self.hub

    def may_change(self, owner: str | None) -> bool:
        return self.owns(owner) or Scope.admin in self.scopes

    def may_see_contact(self, owner: str | None) -> bool:
        return self.owns(owner) or self.can(Scope.contacts)
