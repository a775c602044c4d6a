"""The `crosslink` command: each service registers its own subcommands (on first use of `app`;
`crosslink serve` and `crosslink run` load only their own module)."""

from __future__ import annotations

import importlib
import sys

import typer

_app = typer.Typer(help="crosslink: cross-regional partner matchmaking", no_args_is_help=True)

# Modules that define `register(app: typer.Typer)`; missing ones are skipped while issues land.
_COMMAND_MODULES = (
    "services.profiles.cli",
    "services.profiles.cordis",
    "gateway.access.cli",
    "crosslink.run",
)

_RUN_COMMANDS = ("serve", "run")
_registered: set[str] = set()


def _register(modules: tuple[str, ...]) -> typer.Typer:
    for name in modules:
        if name in _registered:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(_app)
        _registered.add(name)
    return _app


def __getattr__(name: str) -> typer.Typer:
    """`app`: the command with every subcommand registered."""
    if name == "app":
        return _register(_COMMAND_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # `serve` and `run` need only crosslink.run: the other commands import the database layer
    # and the importers, ~1 s of every service's start (and of a matcher's restart).
    if sys.argv[1:2] and sys.argv[1] in _RUN_COMMANDS:
        _register(("crosslink.run",))()
    else:
        _register(_COMMAND_MODULES)()
