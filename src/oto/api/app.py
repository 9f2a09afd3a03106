"""The REST API alone: routers under ``/api/v1``, problems for every error, keys on every route.

``oto.web.server`` serves it together with the dashboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from oto.api import problems
from oto.api.guard import RequestGuard
from oto.api.routes import (
    apikeys,
    catalog,
    commands,
    documents,
    executables,
    health,
    jobs,
    metrics,
    notifications,
    parameters,
    routines,
    runs,
    schedules,
    valuetypes,
)
from oto.app import App, Connect, Database, Status
from oto.web.headers import SecurityHeaders

API_PREFIX = "/api/v1"
Probe = Callable[[], Awaitable[Status]]


def create_app(
    database: Database | None = None, *, temporal: Connect | None = None, temporal_probe: Probe | None = None
) -> FastAPI:
    """The API over ``database`` and the Temporal ``temporal`` connects to (the configured ones by default).

    Only the API: ``oto.web.server.create_app`` adds the dashboard.
    """
    # Swagger UI at /docs and ReDoc at /redoc, their files served by OTO itself: they work offline.
    app = FastAPIOffline(
        title="OTO",
        version="1",
        summary="Run command-line programs as safe, scheduled, durable workflows on Temporal.",
        docs_url="/docs",
        redoc_url="/redoc",
        static_url="/docs-static",
    )
    oto = App(database, temporal=temporal)
    app.state.oto = oto
    app.state.temporal_probe = temporal_probe or oto.temporal_status
    problems.install(app)
    app.add_middleware(RequestGuard)  # the key and the body's size, before the body is read
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries them, refusals too
    app.include_router(health.router)
    app.include_router(metrics.router)  # GET /metrics, open like /health
    for module in (executables, parameters, commands, jobs, routines, schedules, runs, documents, valuetypes,
                   apikeys, notifications, catalog):
        app.include_router(module.router, prefix=API_PREFIX)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every error response as problem+json only (no validation-error shape)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    problem_content = {problems.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            # Any route may meet an unknown query parameter (422); any /api/v1 route a database that is down.
            answers.setdefault("422", {"description": "Invalid input"})
            if path.startswith(API_PREFIX):
                answers.setdefault("503", {"description": "The database or Temporal does not answer"})
            for status, response in answers.items():
                if status.isdigit() and int(status) >= 400 and (path.startswith(API_PREFIX) or status == "422"):
                    response["content"] = problem_content
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
