"""Schedules: the list with next fires, a form to create one, pause and resume, and run now."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from oto.app.schedules import OVERLAP_POLICIES, Schedules, trigger_of
from oto.dashboard.web import (
    Viewer,
    ViewerDep,
    app_of,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    url_part,
)
from oto.domain.documents import Value, parse_assignments
from oto.errors import InvalidInput, OtoError

router = page_router()
PAGE = 1000
FIELDS = ("name", "target", "cron", "every", "timezone", "overlap", "note", "values")


def _values(text: str) -> dict[str, Value]:
    """The values field: one ``NAME=VALUE`` a line (blank lines skipped), as ``--set`` takes them."""
    try:
        return parse_assignments(line.strip() for line in text.splitlines() if line.strip())
    except ValueError as error:
        raise InvalidInput(f"input values: {error}") from None


def _lines(values: dict[str, Value]) -> str:
    """Values as the values field shows them: a list as one line per item."""
    return "\n".join(f"{name}={item}" for name, value in values.items()
                     for item in (value if isinstance(value, list) else [value]))


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


# How long a page waits for Temporal's view of a schedule before it shows the rest without it.
TEMPORAL_WITHIN = 3.0


async def _schedule_page(request: Request, name: str, viewer: Viewer, *, message: str = "",
                         status_code: int = 200) -> Response:
    app = app_of(request)
    try:
        shown = await asyncio.wait_for(app.schedules.describe(name, count=10), TEMPORAL_WITHIN)
    except TimeoutError:
        doc = await in_thread(app.schedules.get, name)
        shown = {"schedule": doc.model_dump(mode="json"), "trigger": trigger_of(name),
                 "next": [t.isoformat() for t in Schedules.next_fires(doc, 10)],
                 "recent_runs": await in_thread(app.schedules.recent_runs, name, 10),
                 "server": {"state": "slow", "error": f"Temporal did not answer within {TEMPORAL_WITHIN:.0f} s, "
                            "so its view of this schedule (fires taken, skipped, missed) is not shown; the rest "
                            "comes from OTO's database. Reload in a moment."}}
    doc = await in_thread(app.schedules.get, name)
    return render(request, "schedule.html", viewer, status_code=status_code, s=doc, message=message,
                  value_lines=_lines(doc.values),
                  next=[] if doc.paused else shown["next"], server=shown["server"], runs=shown["recent_runs"],
                  trigger=shown["trigger"], overlaps=OVERLAP_POLICIES)


@router.get("/schedules/{name}")
async def schedule_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    """One schedule: its next fires, what Temporal did with the last ones, its runs, and a form to change it."""
    return await _schedule_page(request, name, viewer)


@router.post("/schedules/{name}/edit")
async def schedule_edit(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    form = await posted(request, viewer, "admin")
    changes: dict[str, Any] = {"timezone": form.get("timezone").strip() or "UTC",
                               "overlap": form.get("overlap") or "skip", "note": form.get("note")}
    cron, every = form.get("cron").strip(), form.get("every").strip()
    if cron:
        changes["cron"] = cron
    if every:
        changes["every"] = every
    try:
        if form.all("values"):  # the form has the field: what it holds replaces the values
            changes["values"] = _values(form.get("values"))
        await app.schedules.update(name, changes)
    except OtoError as error:
        return await _schedule_page(request, name, viewer, message=error.message, status_code=error.http_status)
    return redirect(f"/schedules/{url_part(name)}")


def _doc(given: dict[str, str]) -> dict[str, Any]:
    kind, _, target = given["target"].partition(":")
    data: dict[str, Any] = {"name": given["name"].strip(), "timezone": given["timezone"].strip() or "UTC",
                            "overlap": given["overlap"] or "skip", "note": given["note"]}
    data["job" if kind == "job" else "routine"] = target or None
    for key in ("cron", "every"):
        if given[key].strip():
            data[key] = given[key].strip()
    if given["values"].strip():
        data["values"] = _values(given["values"])
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
    return redirect(f"/schedules/{url_part(name)}" if form.get("back") == "page" else "/schedules")


@router.post("/schedules/{name}/resume")
async def schedule_resume(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    form = await posted(request, viewer, "admin")
    await app.schedules.resume(name)
    return redirect(f"/schedules/{url_part(name)}" if form.get("back") == "page" else "/schedules")


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
