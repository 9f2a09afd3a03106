"""Logging in and out, and the overview: recent and running runs, next fires, worker queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

from oto.dashboard import forms, queues
from oto.dashboard.web import (
    LoginRequired,
    ViewerDep,
    current_viewer,
    database,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    temporal,
)
from oto.errors import OtoError
from oto.services import apikeys, executables, runs, schedules
from oto.services.apikeys import Forbidden
from oto.settings import get_settings
from oto.web import session

router = page_router()


def safe_next(target: str) -> str:
    """Only a path of this site: never another host (``//host``, ``/\\host``) after logging in."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def same_origin(request: Request) -> bool:
    """True unless the browser says the request comes from another site (``Origin``)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    try:
        current_viewer(request)
        return redirect(safe_next(next))
    except LoginRequired:
        pass
    return render(request, "login.html", None, next=safe_next(next), message="")


@router.post("/login")
async def login(request: Request) -> Response:
    if not same_origin(request):  # a login posted from another site would log the victim in as someone else
        raise Forbidden("a login must be sent from this site's own login form")
    form = await forms.read(request)
    target = safe_next(form.get("next", "/"))
    key = form.get("key").strip()

    def check() -> apikeys.KeyInfo:
        with database(request).session() as db:
            return apikeys.authenticate(db, key)

    try:
        info = await in_thread(check)
    except OtoError as error:
        return render(request, "login.html", None, status_code=401, next=target, message=error.message)
    response = redirect(target)
    session.start(response, request, info)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "read")
    response = redirect("/login")
    session.end(response)
    return response


@dataclass(frozen=True)
class Fire:
    at: datetime
    schedule: str
    target: str


def _overview_data(request: Request) -> dict[str, Any]:
    with database(request).session() as db:
        recent = runs.list_runs(db, limit=10)
        active = runs.list_runs(db, status=runs.RUNNING, limit=20) + runs.list_runs(db, status=runs.QUEUED, limit=20)
        planned = schedules.list_all(db)
        queue_names = [e.task_queue for e in executables.list_all(db)]
    upcoming = sorted(
        (Fire(at, s.name, f"job {s.job}" if s.job else f"routine {s.routine}")
         for s in planned if not s.paused for at in schedules.next_fire_times(s, 1)),
        key=lambda f: f.at,
    )[:8]
    return {"recent": recent, "active": active, "fires": upcoming,
            "queue_names": [get_settings().task_queue, *queue_names]}


@router.get("/")
async def overview(request: Request, viewer: ViewerDep) -> Response:
    data = await in_thread(_overview_data, request)
    states, problem = await queues.seen(lambda: temporal(request), data.pop("queue_names"))
    return render(request, "overview.html", viewer, queues=states, queue_problem=problem, **data)
