"""What every web route receives, API and dashboard alike: the database and the way to Temporal.

The application keeps both in ``app.state`` (set by ``oto.api.app.create_app``); routes take them
through these dependencies, never from the state themselves, so what they receive changes here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection
from temporalio.client import Client

from oto.services.database import Database

Connect = Callable[[], Awaitable[Client]]


def database_of(request: HTTPConnection) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(database_of)]


async def connect_of(request: HTTPConnection) -> Client:
    """The app's Temporal client; Unavailable (503) when Temporal does not answer."""
    connect: Connect = request.app.state.temporal
    return await connect()


def connector_of(request: HTTPConnection) -> Connect:
    """The app's way to Temporal for the engine, which asks it only once a change passed the database's checks."""

    async def connect() -> Client:
        return await connect_of(request)

    return connect

