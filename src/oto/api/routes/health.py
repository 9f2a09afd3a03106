"""``GET /health``: open to all, says whether the database and Temporal answer, and which does not."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from oto.api.deps import NO_QUERY, app_of
from oto.app import Status

router = APIRouter(tags=["health"])


class Check(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: str
    database: Check
    temporal: Check


def _check(status: Status) -> Check:
    return Check(ok=status.ok, detail=status.detail)


@router.get(
    "/health", response_model=Health, dependencies=[NO_QUERY],
    responses={503: {"model": Health, "description": "Something OTO needs is down"}},
)
async def health(request: Request) -> JSONResponse:
    database = await run_in_threadpool(app_of(request).database_status)
    temporal = await request.app.state.temporal_probe()
    down = [name for name, s in (("database", database), ("temporal", temporal)) if not s.ok]
    body = Health(
        status="ok" if not down else f"down: {', '.join(down)}",
        database=_check(database), temporal=_check(temporal),
    )
    return JSONResponse(body.model_dump(), status_code=503 if down else 200)
