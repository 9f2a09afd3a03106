"""The web dashboard: server-rendered pages over the services, a little JavaScript over the REST API.

``mount(app)`` adds it to an application at ``/`` (``oto.web.server`` adds it to the API's), with its
stylesheet and script under ``/static``; nothing is fetched from anywhere else at run time. The
pages read ``app.state.database`` and ``app.state.temporal``, which the API's application sets.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

STATIC_PATH = "/static"


def mount(app: FastAPI) -> None:
    """Serve the dashboard from ``app`` (the API's application, see ``oto.web.server.create_app``)."""
    from oto.dashboard import (
        pages_catalog,
        pages_home,
        pages_jobs,
        pages_notifications,
        pages_runs,
        pages_schedules,
        pages_tool_catalog,
    )
    from oto.dashboard.web import HERE

    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="dashboard-static")
    for module in (pages_home, pages_catalog, pages_jobs, pages_runs, pages_schedules, pages_notifications,
                   pages_tool_catalog):
        app.include_router(module.router)
