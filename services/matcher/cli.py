"""`crosslink serve-matcher`."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve-matcher")
    def serve_matcher(
        host: Annotated[str | None, typer.Option(help="Default: CROSSLINK_MATCHER_HOST")] = None,
        port: Annotated[int | None, typer.Option(help="Default: CROSSLINK_MATCHER_PORT")] = None,
    ) -> None:
        """Run the matcher service (follows the profiles change feed)."""
        import uvicorn

        from services.matcher.app import create_app
        from services.matcher.config import MatcherSettings

        settings = MatcherSettings()
        uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)
