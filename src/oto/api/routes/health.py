"""``GET /health``: open to all, says whether the database and Temporal answer, and which does not.

Without a key it says only up or down: where the database and Temporal are (URLs, addresses) and
why they fail is for callers with a key of any scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from oto.api.deps import NO_QUERY, app_of
from oto.app import App, Status
from oto.web import auth, session

router = APIRouter(tags=["health"])


class Check(BaseModel):
    ok: bool
    detail: str | None = None


class Health(BaseModel):
    status: str
    database: Check
    temporal: Check


def _check(status: Status, detailed: bool) -> Check:
    return Check(ok=status.ok, detail=status.detail if detailed else None)


def _has_key(app: App, request: Request) -> bool:
    """Whether the caller shows a working key (bearer or dashboard session); a bad one is no error here.

    The header is read by hand so the OpenAPI schema keeps ``/health`` open to all.
    """
    scheme, _, token_text = request.headers.get("authorization", "").partition(" ")
    token = token_text.strip() if scheme.lower() == "bearer" and token_text.strip() else None
    if token is None and request.cookies.get(session.COOKIE) is None:
        return False
    try:
        auth.caller(app, request, token)
    except Exception:  # a bad key, or a database that cannot check it: /health answers all the same
        return False
    return True


@router.get(
    "/health", response_model=Health, dependencies=[NO_QUERY],
    responses={503: {"model": Health, "description": "Something OTO needs is down"}},
)
async def health(request: Request) -> JSONResponse:
    app = app_of(request)
    database = await run_in_threadpool(app.database_status)
    temporal = await request.app.state.temporal_probe()
    detailed = await run_in_threadpool(_has_key, app, request)
    down = [name for name, s in (("database", database), ("temporal", temporal)) if not s.ok]
    body = Health(
        status="ok" if not down else f"down: {', '.join(down)}",
        database=_check(database, detailed), temporal=_check(temporal, detailed),
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=503 if down else 200)
