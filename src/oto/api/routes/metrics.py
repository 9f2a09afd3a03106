"""``GET /metrics``: Prometheus metrics, open to all like ``/health`` and left out of the OpenAPI schema.

The schedule gauges are read from Temporal at each scrape, within ``SCHEDULES_WITHIN`` seconds;
a Temporal that does not answer leaves them as they were (and is logged, never an error).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from oto.api.deps import database_of
from oto.engine import metrics

router = APIRouter(tags=["metrics"])
log = logging.getLogger(__name__)
SCHEDULES_WITHIN = 2.0


@router.get("/metrics", include_in_schema=False)
async def serve_metrics(request: Request) -> Response:
    try:
        async with asyncio.timeout(SCHEDULES_WITHIN):
            client = await request.app.state.temporal()
            await metrics.refresh_schedules(client=client, database=database_of(request))
    except Exception as error:  # Temporal or the database does not answer: serve what is known
        log.warning("schedule metrics not refreshed: %s", error or type(error).__name__)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
