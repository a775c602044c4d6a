"""Whose feedback it is: a hub (its API key), or one anonymous browser (a random token kept
in an HttpOnly cookie, or sent as `X-Crosslink-Visitor` by a client without cookies).

Only hashes leave the gateway: the profiles service stores `visitor:<sha256 of the token>` as
the owner, and the voter (who the aggregate counts once per candidate and caps per day) is the
hub, or for an anonymous browser its client address (`addr:<sha256>`): minting new tokens
does not mint new votes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from gateway.access import Caller

__all__ = ["VISITOR_COOKIE", "VISITOR_HEADER", "FeedbackIdentity", "identify", "remember_visitor"]

VISITOR_COOKIE = "crosslink_visitor"
VISITOR_HEADER = "X-Crosslink-Visitor"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,128}")
_YEAR = 365 * 24 * 3600


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]


@dataclass(frozen=True)
class FeedbackIdentity:
    owner: str
    voter: str
    new_token: str | None = None  # minted for this request: the answer sets the cookie


def visitor_token(request: Request) -> str | None:
    """The browser's token (header first, then cookie), if it has a well-formed one."""
    token = request.headers.get(VISITOR_HEADER) or request.cookies.get(VISITOR_COOKIE)
    return token if token and _TOKEN.fullmatch(token) else None


def identify(request: Request, caller: Caller, *, mint: bool = False) -> FeedbackIdentity | None:
    """The caller as feedback owner and voter; an anonymous caller without a token gets one
    when `mint`, otherwise None (it has no feedback)."""
    if not caller.anonymous:
        return FeedbackIdentity(owner=f"hub:{caller.hub}", voter=f"hub:{caller.hub}")
    token, new = visitor_token(request), None
    if token is None:
        if not mint:
            return None
        token = new = secrets.token_urlsafe(32)
    address = request.client.host if request.client else "unknown"
    return FeedbackIdentity(
        owner=f"visitor:{_digest(token)}", voter=f"addr:{_digest(address)}", new_token=new
    )


def remember_visitor(request: Request, response: Response, token: str | None = None) -> None:
    """Give the browser its token as an HttpOnly, same-site cookie (if it has none yet)."""
    if token is None:
        if visitor_token(request) is not None:
            return
        token = secrets.token_urlsafe(32)
    response.set_cookie(
        VISITOR_COOKIE,
        token,
        max_age=_YEAR,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
