"""The loopback receiver fixture, shared with the dispatcher tests."""

from tests.dispatcher.conftest import receiver

__all__ = ["receiver"]
