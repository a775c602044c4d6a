"""`Idempotency-Key` on POST: a retry with the same key and body gets the first answer again and
repeats nothing; the same key with another body is refused (422). Keys are scoped per caller (the
API key, or the address of an anonymous caller) and kept `CROSSLINK_IDEMPOTENCY_TTL` seconds in
the gateway's store, so they outlive a gateway restart.

An answer is kept when the call was decided (2xx, or a 4xx the caller must fix); when an
upstream was unreachable or timed out (503/504) nothing is kept and the retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import Engine, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Column, Field, Session, SQLModel, col, delete

from crosslink.errors import Conflict, CrosslinkError, InvalidInput, error_response
from gateway.access import Caller

__all__ = [
    "IdempotencyKeyHeader",
    "caller_scope",
    "create_idempotency_table",
    "run_once",
    "upstream_key",
]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Any unique string (e.g. a UUID) chosen by the client; a retry with the same "
        "key and body returns the first answer and repeats nothing",
    ),
]
_PENDING = 0


class StoredAnswer(SQLModel, table=True):
    __tablename__ = "gateway_idempotency"

    caller: str = Field(primary_key=True, max_length=220)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status: int = _PENDING
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(index=True)


def create_idempotency_table(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[StoredAnswer.__table__])  # type: ignore[attr-defined]


def caller_scope(caller: Caller, request: Request) -> str:
    if caller.key_id is not None:
        return f"key:{caller.key_id}"
    return f"addr:{request.client.host if request.client else 'unknown'}"


def upstream_key(caller: Caller, request: Request, key: str | None) -> str | None:
    """The key sent on to the service that commits the write (a hash of the caller and its
    Idempotency-Key), so a retry after a lost answer repeats nothing even where this store kept
    no answer (the upstream failed or timed out after its commit)."""
    if key is None or not key.strip():
        return None
    scoped = f"{caller_scope(caller, request)}\n{key.strip()}"
    return hashlib.sha256(scoped.encode()).hexdigest()


def _claim(
    engine: Engine, scope: str, key: str, fingerprint: str, ttl: float
) -> StoredAnswer | None:
    """Reserve the key; the earlier answer (or pending claim) when it is taken."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        cutoff = now - timedelta(seconds=ttl)
        session.exec(delete(StoredAnswer).where(col(StoredAnswer.created_at) < cutoff))  # type: ignore[call-overload]
        session.commit()
        session.add(StoredAnswer(caller=scope, key=key, fingerprint=fingerprint, created_at=now))
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        return session.get(StoredAnswer, (scope, key))


def _settle(engine: Engine, scope: str, key: str, status: int | None, body: str) -> None:
    with Session(engine) as session:
        row = session.get(StoredAnswer, (scope, key))
        if row is None:
            return
        if status is None:
            session.delete(row)
        else:
            row.status, row.body = status, body
            session.add(row)
        session.commit()


async def run_once(
    *,
    request: Request,
    engine: Engine,
    caller: Caller,
    key: str | None,
    ttl: float,
    status_code: int,
    run: Callable[[], Awaitable[BaseModel]],
) -> Response:
    """Run the call, or replay the answer it gave the first time under this key."""
    if key is None:
        result = await run()
        return Response(result.model_dump_json(), status_code, media_type="application/json")
    key = key.strip()
    if not key:
        raise InvalidInput("Idempotency-Key is empty; send a unique string such as a UUID")
    scope = caller_scope(caller, request)
    raw = await request.body()
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path}?{request.url.query}\n".encode() + raw
    ).hexdigest()
    earlier = await run_in_threadpool(_claim, engine, scope, key, fingerprint, ttl)
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was used with a different request; use a new key for a "
                "new request",
                details={"idempotency_key": key[:200]},
            )
        if earlier.status == _PENDING:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry in a moment",
                details={"idempotency_key": key[:200]},
                headers={"Retry-After": "1"},
            )
        headers = {"Idempotent-Replayed": "true"}
        return Response(
            earlier.body, earlier.status, headers=headers, media_type="application/json"
        )
    try:
        result = await run()
    except CrosslinkError as exc:
        decided = exc.status_code < 500
        body = error_response(exc.status_code, exc.code, exc.message, exc.details).body
        text = bytes(body).decode() if decided else ""
        await run_in_threadpool(
            _settle, engine, scope, key, exc.status_code if decided else None, text
        )
        raise
    except BaseException:
        await run_in_threadpool(_settle, engine, scope, key, None, "")
        raise
    text = json.dumps(jsonable_encoder(result))
    await run_in_threadpool(_settle, engine, scope, key, status_code, text)
    return Response(text, status_code, media_type="application/json")
