"""``/schedules``: when jobs and routines run by themselves.

Every change goes through ``oto.app.schedules``: the database and the Temporal Schedule change
together or not at all. Refusals of the input (422, 404, 409) come before Temporal is asked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, Name, NameFilter, Paging
from oto.api.models import Page, PauseRequest, ScheduleChanges, changes
from oto.api.problems import responses
from oto.domain.documents import ScheduleDoc

router = APIRouter(prefix="/schedules", tags=["schedules"])


class ScheduleQuery(Paging):
    job: NameFilter = None
    routine: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_schedules(app: AppDep, query: Annotated[ScheduleQuery, Query()]) -> Page[ScheduleDoc]:
    """Schedules by name, optionally only those of one job or one routine."""
    page = app.schedules.page(job=query.job, routine=query.routine, offset=query.offset,
                                  limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422, 503))
async def create_schedule(app: AppDep, body: ScheduleDoc) -> ScheduleDoc:
    """Save a schedule (a job or a routine, and a cron expression or an interval) and its Temporal Schedule."""
    return await app.schedules.add(body)


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_schedule(app: AppDep, name: Name) -> ScheduleDoc:
    return app.schedules.get(name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def update_schedule(app: AppDep, name: Name, body: ScheduleChanges) -> ScheduleDoc:
    """Change a schedule; naming a job replaces its routine (and a cron its interval), and back."""
    return await app.schedules.update(name, changes(body))


@router.post("/{name}/pause", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def pause_schedule(
    app: AppDep, name: Name, body: PauseRequest | None = None,
) -> ScheduleDoc:
    return await app.schedules.pause(name, body.note if body else "")


@router.post("/{name}/resume", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def resume_schedule(app: AppDep, name: Name) -> ScheduleDoc:
    return await app.schedules.resume(name)


@router.delete("/{name}", status_code=204, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def delete_schedule(app: AppDep, name: Name) -> Response:
    """Delete a schedule and its Temporal Schedule (runs it already started go on)."""
    await app.schedules.delete(name)
    return Response(status_code=204)
