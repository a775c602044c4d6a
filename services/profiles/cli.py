"""`crosslink import FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from crosslink.errors import InvalidInput
from services.profiles.config import ProfilesSettings
from services.profiles.db import create_tables, make_engine
from services.profiles.importer import import_records
from services.profiles.readers import ReadOptions, read_file


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: from the extension)")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Hub that owns the imported profiles")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Reject unknown columns/fields instead of warning and ignoring them"
        ),
    ] = False,
) -> None:
    """Import profiles from a JSONL or CSV file, upserting by external_id. A line that cannot
    be read is reported by its number and the import goes on."""
    settings = ProfilesSettings()
    options = ReadOptions(
        max_depth=settings.json_max_depth,
        unknown="reject" if strict else "ignore",
        warn=lambda message: typer.echo(f"warning: {message}", err=True),
    )
    engine = make_engine(settings.resolved_database_url)
    try:
        create_tables(engine)
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = import_records(
                    read_file(file, fmt, options), session=session, owner=owner, progress=progress
                )
            except InvalidInput as exc:
                typer.echo(f"error: {exc.message}", err=True)
                raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    for item in result.items:
        if item.status == "rejected":
            typer.echo(f"line {item.line}: rejected: {item.error}", err=True)
    typer.echo(
        f"created {result.created}, updated {result.updated}, "
        f"unchanged {result.unchanged}, rejected {result.rejected}"
    )
    if result.rejected:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
