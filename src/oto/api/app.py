"""The FastAPI application: routers under ``/api/v1``, problems for every error, keys on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from oto.api import problems
from oto.api.probes import temporal_status
from oto.api.routes import (
    apikeys,
    commands,
    documents,
    executables,
    health,
    jobs,
    parameters,
    routines,
    schedules,
    valuetypes,
)
from oto.services.database import Database, get_database
from oto.services.health import Status

API_PREFIX = "/api/v1"
Probe = Callable[[], Awaitable[Status]]


def create_app(database: Database | None = None, *, temporal_probe: Probe | None = None) -> FastAPI:
    """The API over ``database`` (the configured one by default); tests pass their own."""
    app = FastAPI(
        title="OTO",
        version="1",
        summary="Run command-line programs as safe, scheduled, durable workflows on Temporal.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.database = database or get_database()
    app.state.temporal_probe = temporal_probe or temporal_status
    problems.install(app)
    app.include_router(health.router)
    for module in (executables, parameters, commands, jobs, routines, schedules, documents, valuetypes, apikeys):
        app.include_router(module.router, prefix=API_PREFIX)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every error response as problem+json only (no validation-error shape)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    problem_content = {problems.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400 and not status.startswith("503") or status == "422":
                    response["content"] = problem_content
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
