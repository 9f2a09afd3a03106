"""What every web route receives, API and dashboard alike: the application, with its database and Temporal.

The server keeps one ``App`` in ``app.state.oto`` (set by ``oto.api.app.create_app``); routes take it
through this dependency, never from the state themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from oto.app import App


def app_of(request: HTTPConnection) -> App:
    """The application this server was built over (its database and its way to Temporal)."""
    app: App = request.app.state.oto
    return app


async def _app(request: HTTPConnection) -> App:
    """``app_of`` as a dependency: async, so FastAPI calls it on the event loop, not through a thread."""
    return app_of(request)


AppDep = Annotated[App, Depends(_app)]
