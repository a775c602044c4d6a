"""`crosslink keys create|list|revoke`, and the admin key made on first start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gateway.access.keys import (
    Scope,
    create_key,
    find_active_key,
    list_keys,
    make_engine,
    parse_scopes,
    revoke_key,
)
from gateway.config import GatewaySettings

keys_app = typer.Typer(help="API keys of the gateway (hubs and admins)", no_args_is_help=True)

ADMIN_HUB = "admin"


def _engine(settings: GatewaySettings):  # type: ignore[no-untyped-def]
    if not settings.keys_database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.keys_url())


@keys_app.command("create")
def keys_create(
    hub: Annotated[str, typer.Option(help="The hub (owner) name this key acts for")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: read, write, contacts, admin")
    ] = "read",
) -> None:
    """Create a key and print its token once (only its hash is stored)."""
    try:
        parsed = parse_scopes(scopes)
        key, token = create_key(engine=_engine(GatewaySettings()), hub=hub, scopes=parsed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"key {key.id} for hub '{key.hub}' with scopes {key.scopes}:", err=True)
    typer.echo(token)
    typer.echo("Store the token now; it cannot be shown again.", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (id, hub, scopes, token hint, created, revoked)."""
    for key in list_keys(engine=_engine(GatewaySettings())):
        revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(
            f"{key.id}\t{key.hub}\t{key.scopes}\t{key.hint}…\t"
            f"{key.created_at:%Y-%m-%d %H:%M}\t{revoked}"
        )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`)")],
) -> None:
    """Revoke a key; calls with it are refused from now on."""
    key = revoke_key(engine=_engine(GatewaySettings()), key_id=key_id)
    if key is None:
        typer.echo(f"no key with id {key_id}; see `crosslink keys list`", err=True)
        raise typer.Exit(1)
    typer.echo(f"key {key.id} of hub '{key.hub}' revoked")


def ensure_admin_key(settings: GatewaySettings) -> Path | None:
    """Create an admin key on first start, stored in <data_dir>/admin.key (0600).

    Returns the file's path when a key was created, None when a working one already exists.
    """
    path = settings.data_dir / "admin.key"
    engine = _engine(settings)
    try:
        if path.exists():
            token = path.read_text(encoding="utf-8").strip()
            key = find_active_key(engine=engine, token=token)
            if key is not None and Scope.admin in key.scope_set():
                return None
        _, token = create_key(engine=engine, hub=ADMIN_HUB, scopes=[Scope.admin])
    finally:
        engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    path.chmod(0o600)  # also when the file existed with wider permissions
    return path


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
