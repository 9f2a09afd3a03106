"""``GET /metrics``: Prometheus metrics, open to all like ``/health`` and left out of the OpenAPI schema.

The schedule gauges are read from Temporal at each scrape, within ``SCHEDULES_WITHIN`` seconds;
a Temporal that does not answer leaves them as they were (and is logged, never an error).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from oto.api.deps import AppDep

router = APIRouter(tags=["metrics"])
SCHEDULES_WITHIN = 2.0


@router.get("/metrics", include_in_schema=False)
async def serve_metrics(app: AppDep) -> Response:
    body, media_type = await app.metrics(schedules_within=SCHEDULES_WITHIN)
    return Response(body, media_type=media_type)
