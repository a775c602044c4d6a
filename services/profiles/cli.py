"""`crosslink import FILE` and `crosslink export`."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session

from crosslink.errors import InvalidInput
from models.export import ExportFormat, ProfileExportQuery
from services.profiles.config import ProfilesSettings
from services.profiles.db import create_tables, make_engine
from services.profiles.export import ContactAccess, export_filters, export_lines
from services.profiles.importer import import_records
from services.profiles.readers import ReadOptions, read_file
from services.profiles.validation import describe


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


Repeatable = list[str] | None


def export_file(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")] = (
        ExportFormat.jsonl
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="File (default: stdout)")
    ] = None,
    kind: Annotated[Repeatable, typer.Option(help="Repeatable, e.g. sme")] = None,
    country: Annotated[Repeatable, typer.Option(help="Repeatable, ISO alpha-2")] = None,
    region: Annotated[Repeatable, typer.Option(help="NUTS prefix, repeatable")] = None,
    sector: Annotated[Repeatable, typer.Option(help="NACE prefix, repeatable")] = None,
    external_id: Annotated[str | None, typer.Option(help="One profile by external_id")] = None,
    owner: Annotated[str | None, typer.Option(help="Only the profiles of this hub")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Text contains")] = None,
    contacts: Annotated[
        bool, typer.Option("--contacts/--no-contacts", help="Include contact details")
    ] = False,
) -> None:
    """Export the profiles matching the filters as JSONL or CSV that `crosslink import` reads
    back. Contact details only with --contacts; the owner is not written (import with --owner)."""
    try:
        query = ProfileExportQuery.model_validate(
            {
                "format": fmt,
                "kind": kind or [],
                "country": country or [],
                "region": region or [],
                "sector": sector or [],
                "external_id": external_id,
                "owner": owner,
                "q": q,
            }
        )
        filters = export_filters(query)
    except ValidationError as exc:
        typer.echo(f"error: --{describe(exc)}", err=True)
        raise typer.Exit(2) from exc
    except InvalidInput as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(ProfilesSettings().resolved_database_url)
    count = -1 if fmt is ExportFormat.csv else 0  # the CSV header is a line, not a profile
    try:
        create_tables(engine)
        lines = export_lines(
            engine=engine, filters=filters, fmt=fmt, contacts=ContactAccess(everyone=contacts)
        )
        opened = output.open("w", encoding="utf-8", newline="") if output else None
        with opened or nullcontext(sys.stdout) as stream:
            for line in lines:
                stream.write(line)
                count += 1
    finally:
        engine.dispose()
    typer.echo(f"exported {count} profiles", err=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
    app.command("export")(export_file)
