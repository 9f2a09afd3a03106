"""``GET /metrics``: Prometheus metrics, left out of the OpenAPI schema.

They name schedules and show activity, so they need a key of scope read (a bearer token, which
Prometheus sends with ``authorization: {credentials: ...}``) unless ``OTO_METRICS_PUBLIC`` is set.

The schedule gauges are read from Temporal at each scrape, within ``SCHEDULES_WITHIN`` seconds;
a Temporal that does not answer leaves them as they were (and is logged, never an error).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials

from oto.api.auth import bearer
from oto.api.deps import AppDep
from oto.settings import get_settings
from oto.web import auth

router = APIRouter(tags=["metrics"])
SCHEDULES_WITHIN = 2.0


def _allowed(
    request: Request, app: AppDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    """Nothing when metrics are public; otherwise the caller's key must have scope read."""
    if get_settings().metrics_public:
        return
    token = credentials.credentials if credentials is not None else None
    auth.require(auth.caller(app, request, token), "read")


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(_allowed)])
async def serve_metrics(app: AppDep) -> Response:
    body, media_type = await app.metrics(schedules_within=SCHEDULES_WITHIN)
    return Response(body, media_type=media_type)
