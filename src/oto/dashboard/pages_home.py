"""Logging in and out, and the overview: recent and running runs, next fires, worker queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from oto.app.keys import Forbidden
from oto.app.runs import QUEUED, RUNNING
from oto.app.schedules import Schedules
from oto.dashboard import charts, forms
from oto.dashboard.web import (
    LoginRequired,
    ViewerDep,
    app_of,
    current_viewer,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
)
from oto.errors import OtoError
from oto.settings import get_settings
from oto.web import session

router = page_router()
HOURS = 24  # the overview's chart: runs per hour over the last day


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

    try:
        info = await in_thread(app_of(request).api_keys.authenticate, key)
    except OtoError as error:
        return render(request, "login.html", None, status_code=401, next=target, message=error.message)
    response = redirect(target)
    session.start(response, request, info)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "read")
    await in_thread(app_of(request).api_keys.end_sessions, viewer.key.name)
    response = redirect("/login")
    session.end(response)
    return response


@dataclass(frozen=True)
class Fire:
    at: datetime
    schedule: str
    target: str


def _overview_data(request: Request) -> dict[str, Any]:
    app = app_of(request)
    recent = app.runs.list_all(limit=10)
    active = app.runs.list_all(status=RUNNING, limit=20) + app.runs.list_all(status=QUEUED, limit=20)
    planned = app.schedules.list_all()
    queue_names = [e.task_queue for e in app.executables.list_all()]
    upcoming = sorted(
        (Fire(at, s.name, f"job {s.job}" if s.job else f"routine {s.routine}")
         for s in planned if not s.paused for at in Schedules.next_fires(s, 1)),
        key=lambda f: f.at,
    )[:8]
    now = datetime.now(UTC)
    per_hour = Markup(charts.per_hour(app.runs.per_hour(now, HOURS), now))  # noqa: S704
    return {"recent": recent, "active": active, "fires": upcoming, "per_hour": per_hour,
            "queue_names": [get_settings().task_queue, *queue_names]}


@router.get("/")
async def overview(request: Request, viewer: ViewerDep) -> Response:
    data = await in_thread(_overview_data, request)
    states, problem = await app_of(request).workers.queue_states(data.pop("queue_names"))
    return render(request, "overview.html", viewer, queues=states, queue_problem=problem, **data)
