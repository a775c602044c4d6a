"""What every crosslink service shares: the error tree, settings base, logging, the CLI."""

__all__: list[str] = []
