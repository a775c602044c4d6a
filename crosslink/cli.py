"""The `crosslink` command: each service registers its own subcommands."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="crosslink: cross-regional partner matchmaking", no_args_is_help=True)

# Modules that define `register(app: typer.Typer)`; missing ones are skipped while issues land.
_COMMAND_MODULES = (
    "services.profiles.cli",
    "services.profiles.cordis",
    "gateway.access.cli",
    "crosslink.run",
)

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(app)


def main() -> None:
    app()
