"""The dispatcher: webhook subscriptions, saved-search alerts and at-least-once delivery."""

__all__: list[str] = []
