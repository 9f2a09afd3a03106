"""The application layer: every operation an interface needs, over the database and Temporal together.

Interfaces (``oto.cli``, ``oto.api``, ``oto.dashboard``) hold one ``App`` and call only it, so an
operation that must reach both places is written once. See docs/architecture.md.
"""

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from oto.app.application import App, Connect
from oto.services.database import Database
from oto.services.health import Status

T = TypeVar("T")

__all__ = ["App", "Connect", "Database", "Status", "run_sync"]


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine for a short-lived process (the CLI).

    When it talked to Temporal, the native client is let go while Python is whole: it can crash
    the interpreter at exit otherwise (temporalio/sdk-python#300). When it did not, Temporal's SDK
    is never loaded at all.
    """
    try:
        return asyncio.run(coroutine)
    finally:
        client = sys.modules.get("oto.engine.client")
        if client is not None:
            client.settle()
