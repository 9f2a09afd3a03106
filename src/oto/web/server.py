"""The one web application OTO serves: the REST API under ``/api/v1`` and the dashboard at ``/``.

Neither interface knows the other: ``oto.api.app`` builds the API alone, ``oto.dashboard`` adds
its pages to an application, and this module puts the two together for ``oto serve`` and ``oto dev``.
"""

from __future__ import annotations

from fastapi import FastAPI

from oto.api.app import Probe
from oto.api.app import create_app as create_api
from oto.app import Connect, Database
from oto.dashboard import mount as mount_dashboard

# Seconds a stopping server waits for open requests before it cancels them: a live log stream
# (``/api/v1/runs/{id}/logs``, a run's page) ends only with its run, so uvicorn's default of
# waiting for ever would keep ``oto serve`` up as long as any browser watches a run.
SHUTDOWN_GRACE = 5


def create_app(
    database: Database | None = None, *, temporal: Connect | None = None, temporal_probe: Probe | None = None
) -> FastAPI:
    """The API over ``database`` and Temporal (the configured ones by default), with the dashboard at ``/``."""
    app = create_api(database, temporal=temporal, temporal_probe=temporal_probe)
    mount_dashboard(app)
    return app
