"""API keys: hub name, scopes, stored as the sha256 of a high-entropy token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlmodel import Field, Session, SQLModel, create_engine, select

from crosslink.files import private_file, restrict

TOKEN_PREFIX = "clk_"


class Scope(StrEnum):
    read = "read"
    write = "write"
    contacts = "contacts"
    admin = "admin"


class ApiKey(SQLModel, table=True):
    __tablename__ = "gateway_api_key"

    id: int | None = Field(default=None, primary_key=True)
    hub: str = Field(index=True, max_length=200)
    scopes: str = Field(max_length=200, description="Comma-separated scopes")
    token_hash: str = Field(unique=True, index=True, max_length=64)
    hint: str = Field(max_length=20, description="First characters of the token, to recognise it")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    revoked_at: datetime | None = None

    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split(",") if s)


def parse_scopes(text: str) -> list[Scope]:
    """'read,write' -> [Scope.read, Scope.write]; unknown names raise ValueError."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    accepted = ", ".join(s.value for s in Scope)
    if not names:
        raise ValueError(f"no scopes given; accepted: {accepted}")
    unknown = [n for n in names if n not in Scope.__members__]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; accepted: {accepted}")
    return sorted({Scope(n) for n in names}, key=list(Scope).index)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _private_sqlite_file(url: str) -> None:
    """A SQLite key store (key hashes, visit plans) and its journal files are owner-only: the
    file is created 0600 before SQLite opens it (SQLite gives `-wal`/`-shm` the file's mode), a
    directory made for it 0700, and an existing file and its journals are restricted."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_file(path)
    restrict(*(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")))


def make_engine(url: str) -> Engine:
    """An engine for the key store, with its one table created (a SQLite file owner-only)."""
    sqlite = url.startswith("sqlite")
    if sqlite:
        _private_sqlite_file(url)
    args = {"check_same_thread": False} if sqlite else {}
    # Every request looks its key up: a server connection may have dropped since the last one
    # (pre-ping), a SQLite file cannot, so it is spared the extra round trip.
    engine = create_engine(url, connect_args=args, pool_pre_ping=not sqlite)
    SQLModel.metadata.create_all(engine, tables=[ApiKey.__table__])  # type: ignore[attr-defined]
    return engine


def create_key(*, engine: Engine, hub: str, scopes: list[Scope]) -> tuple[ApiKey, str]:
    """Create a key; the token is returned once and only its hash is stored."""
    hub = hub.strip()
    if not hub or len(hub) > 200:
        raise ValueError("hub name must be 1 to 200 characters, e.g. 'saxony-cluster-hub'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        hub=hub,
        scopes=",".join(s.value for s in scopes),
        token_hash=hash_token(token),
        hint=token[:10],
    )
    with Session(engine) as session:
        session.add(key)
        session.commit()
        session.refresh(key)
    return key, token


def find_active_key(*, engine: Engine, token: str) -> ApiKey | None:
    with Session(engine) as session:
        statement = select(ApiKey).where(ApiKey.token_hash == hash_token(token))
        key = session.exec(statement).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def list_keys(*, engine: Engine) -> list[ApiKey]:
    with Session(engine) as session:
        return list(session.exec(select(ApiKey).order_by(ApiKey.id)))  # type: ignore[arg-type]


def revoke_key(*, engine: Engine, key_id: int) -> ApiKey | None:
    with Session(engine) as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
            session.add(key)
            session.commit()
            session.refresh(key)
        return key
