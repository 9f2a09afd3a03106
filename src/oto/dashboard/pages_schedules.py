"""Schedules: the list with next fires, a form to create one, pause and resume, and run now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

from oto.dashboard import fires
from oto.dashboard.web import (
    Viewer,
    ViewerDep,
    database,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    temporal,
    trigger_of,
    url_part,
)
from oto.domain.documents import ScheduleDoc
from oto.engine import client as engine_client
from oto.errors import OtoError
from oto.services import listings, schedules

router = page_router()
PAGE = 1000
FIELDS = ("name", "target", "cron", "every", "timezone", "overlap", "note")


def _context(request: Request) -> dict[str, Any]:
    with database(request).session() as db:
        found = schedules.list_all(db)
        job_names = [j.name for j in listings.job_page(db, limit=PAGE).items]
        routine_names = [r.name for r in listings.routine_page(db, limit=PAGE).items]
    upcoming: dict[str, list[datetime]] = {s.name: fires.next_fires(s) for s in found}
    return {"schedules": found, "fires": upcoming, "job_names": job_names, "routine_names": routine_names,
            "overlaps": schedules.OVERLAP_POLICIES}


@router.get("/schedules")
def schedule_list(request: Request, viewer: Viewer = ViewerDep) -> Response:
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
async def schedule_create(request: Request, viewer: Viewer = ViewerDep) -> Response:
    form = await posted(request, viewer, "admin")
    given = {key: form.get(key) for key in FIELDS}

    def save() -> None:
        with database(request).session() as db:
            schedules.add(db, _doc(given))

    try:
        await in_thread(save)
    except OtoError as error:
        context = await in_thread(_context, request)
        return render(request, "schedules.html", viewer, status_code=error.http_status, message=error.message,
                      given=given, **context)
    return redirect("/schedules")


@router.post("/schedules/{name}/pause")
async def schedule_pause(request: Request, name: str, viewer: Viewer = ViewerDep) -> Response:
    form = await posted(request, viewer, "admin")
    await in_thread(_set_paused, request, name, True, form.get("note"))
    return redirect("/schedules")


@router.post("/schedules/{name}/resume")
async def schedule_resume(request: Request, name: str, viewer: Viewer = ViewerDep) -> Response:
    await posted(request, viewer, "admin")
    await in_thread(_set_paused, request, name, False, "")
    return redirect("/schedules")


def _set_paused(request: Request, name: str, paused: bool, note: str) -> None:
    with database(request).session() as db:
        schedules.set_paused(db, name, paused, note)


def _get(request: Request, name: str) -> ScheduleDoc:
    with database(request).session() as db:
        return schedules.get(db, name)


@router.post("/schedules/{name}/trigger")
async def schedule_trigger(request: Request, name: str, viewer: Viewer = ViewerDep) -> Response:
    """Run the schedule's job or routine now, once; its planned fires stay as they are."""
    await posted(request, viewer, "run")
    doc = await in_thread(_get, request, name)
    client = await temporal(request)
    trigger = f"schedule:{name} ({trigger_of(viewer)})"
    if doc.routine is not None:
        run_id = await engine_client.submit_routine(doc.routine, trigger=trigger, client=client,
                                                    database=database(request))
    else:
        run_id = await engine_client.submit_job(str(doc.job), trigger=trigger, client=client,
                                                database=database(request))
    return redirect(f"/runs/{url_part(run_id)}")
