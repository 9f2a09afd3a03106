"""``/schedules``: when jobs and routines run by themselves.

Every change goes through ``oto.engine.schedules``: the database and the Temporal Schedule change
together or not at all. Refusals of the input (422, 404, 409) come before Temporal is asked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, DatabaseDep, Name, NameFilter, Paging
from oto.api.models import Page, PauseRequest, ScheduleChanges, changes
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import ScheduleDoc
from oto.engine import schedules as engine_schedules
from oto.services import listings, schedules

router = APIRouter(prefix="/schedules", tags=["schedules"])


class ScheduleQuery(Paging):
    job: NameFilter = None
    routine: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_schedules(database: DatabaseDep, query: Annotated[ScheduleQuery, Query()]) -> Page[ScheduleDoc]:
    """Schedules by name, optionally only those of one job or one routine."""
    with database.session() as db:
        page = listings.schedule_page(db, job=query.job, routine=query.routine, offset=query.offset,
                                      limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422, 503))
async def create_schedule(request: Request, database: DatabaseDep, body: ScheduleDoc) -> ScheduleDoc:
    """Save a schedule (a job or a routine, and a cron expression or an interval) and its Temporal Schedule."""
    return await engine_schedules.create(body, database=database, connector=connector_of(request))


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_schedule(database: DatabaseDep, name: Name) -> ScheduleDoc:
    with database.session() as db:
        return schedules.get(db, name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def update_schedule(request: Request, database: DatabaseDep, name: Name, body: ScheduleChanges) -> ScheduleDoc:
    """Change a schedule; naming a job replaces its routine (and a cron its interval), and back."""
    return await engine_schedules.update(name, changes(body), database=database, connector=connector_of(request))


@router.post("/{name}/pause", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def pause_schedule(
    request: Request, database: DatabaseDep, name: Name, body: PauseRequest | None = None,
) -> ScheduleDoc:
    return await engine_schedules.pause(name, body.note if body else "", database=database,
                                        connector=connector_of(request))


@router.post("/{name}/resume", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def resume_schedule(request: Request, database: DatabaseDep, name: Name) -> ScheduleDoc:
    return await engine_schedules.resume(name, database=database, connector=connector_of(request))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422, 503))
async def delete_schedule(request: Request, database: DatabaseDep, name: Name) -> Response:
    """Delete a schedule and its Temporal Schedule (runs it already started go on)."""
    await engine_schedules.delete(name, database=database, connector=connector_of(request))
    return Response(status_code=204)
