"""``/schedules``: when jobs and routines run by themselves.

Every change goes through ``oto.app.schedules``: the database and the Temporal Schedule change
together or not at all. Refusals of the input (422, 404, 409) come before Temporal is asked.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import AppDep, Limit, Name, NameFilter, Offset
from oto.api.models import Page, PauseRequest, ScheduleChanges, changes
from oto.api.problems import responses
from oto.domain.documents import ScheduleDoc

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_schedules(
    app: AppDep, job: NameFilter = None, routine: NameFilter = None, offset: Offset = 0,
    limit: Limit = 100,
) -> Page[ScheduleDoc]:
    """Schedules by name, optionally only those of one job or one routine."""
    page = app.schedules.page(job=job, routine=routine, offset=offset, limit=limit)
    return Page(items=page.items, total=page.total, offset=offset, limit=limit)


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def create_schedule(app: AppDep, body: ScheduleDoc) -> ScheduleDoc:
    """Save a schedule (a job or a routine, and a cron expression or an interval) and its Temporal Schedule."""
    return await app.schedules.add(body)


@router.get("/{name}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_schedule(app: AppDep, name: Name) -> ScheduleDoc:
    return app.schedules.get(name)


@router.patch("/{name}", dependencies=[ADMIN], responses=responses(401, 403, 404, 422, 503))
async def update_schedule(app: AppDep, name: Name, body: ScheduleChanges) -> ScheduleDoc:
    """Change a schedule; naming a job replaces its routine (and a cron its interval), and back."""
    return await app.schedules.update(name, changes(body))


@router.post("/{name}/pause", dependencies=[ADMIN], responses=responses(401, 403, 404, 422, 503))
async def pause_schedule(
    app: AppDep, name: Name, body: PauseRequest | None = None,
) -> ScheduleDoc:
    return await app.schedules.pause(name, body.note if body else "")


@router.post("/{name}/resume", dependencies=[ADMIN], responses=responses(401, 403, 404, 422, 503))
async def resume_schedule(app: AppDep, name: Name) -> ScheduleDoc:
    return await app.schedules.resume(name)


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 422, 503))
async def delete_schedule(app: AppDep, name: Name) -> Response:
    """Delete a schedule and its Temporal Schedule (runs it already started go on)."""
    await app.schedules.delete(name)
    return Response(status_code=204)
