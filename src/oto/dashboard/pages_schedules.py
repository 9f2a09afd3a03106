"""Schedules: the list with next fires, a form to create one, pause and resume, and run now."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from oto.app.schedules import OVERLAP_POLICIES, Schedules, trigger_of
from oto.dashboard.web import (
    ViewerDep,
    app_of,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    url_part,
)
from oto.errors import OtoError

router = page_router()
PAGE = 1000
FIELDS = ("name", "target", "cron", "every", "timezone", "overlap", "note")


def _context(request: Request) -> dict[str, Any]:
    app = app_of(request)
    found = app.schedules.list_all()
    job_names = [j.name for j in app.jobs.page(limit=PAGE).items]
    routine_names = [r.name for r in app.routines.page(limit=PAGE).items]
    # A paused schedule shows no next fires: its State column says paused.
    upcoming: dict[str, list[datetime]] = {s.name: [] if s.paused else Schedules.next_fires(s, 3)
                                           for s in found}
    return {"schedules": found, "fires": upcoming, "job_names": job_names, "routine_names": routine_names,
            "overlaps": OVERLAP_POLICIES}


@router.get("/schedules")
def schedule_list(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "schedules.html", viewer, message="", given={}, **_context(request))


def _doc(given: dict[str, str]) -> dict[str, Any]:
    kind, _, target = given["target"].partition(":")
    data: dict[str, Any] = {"name": given["name"].strip(), "timezone": given["timezone"].strip() or "UTC",
                            "overlap": given["overlap"] or "skip", "note": given["note"]}
    data["job" if kind == "job" else "routine"] = target or None
    for key in ("cron", "every"):
        if given[key].strip():
            data[key] = given[key].strip()
    return data


@router.post("/schedules")
async def schedule_create(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    form = await posted(request, viewer, "admin")
    given = {key: form.get(key) for key in FIELDS}
    try:
        await app.schedules.add(_doc(given))
    except OtoError as error:
        context = await in_thread(_context, request)
        return render(request, "schedules.html", viewer, status_code=error.http_status, message=error.message,
                      given=given, **context)
    return redirect("/schedules")


@router.post("/schedules/{name}/pause")
async def schedule_pause(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    form = await posted(request, viewer, "admin")
    await app.schedules.pause(name, form.get("note"))
    return redirect("/schedules")


@router.post("/schedules/{name}/resume")
async def schedule_resume(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    await posted(request, viewer, "admin")
    await app.schedules.resume(name)
    return redirect("/schedules")


@router.post("/schedules/{name}/trigger")
async def schedule_trigger(request: Request, name: str, viewer: ViewerDep) -> Response:
    """Fire the schedule on Temporal now, once; its planned fires stay as they are.

    Shows the run the fire started; when no worker has recorded it yet, the schedule's runs (it
    appears there once a worker takes the fire).
    """
    app = app_of(request)
    await posted(request, viewer, "run")
    run_id = await app.schedules.trigger(name)
    if run_id is None:
        return redirect(f"/runs?{urlencode({'trigger': trigger_of(name)})}")
    return redirect(f"/runs/{url_part(run_id)}")
