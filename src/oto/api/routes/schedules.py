"""``/schedules``: when jobs and routines run by themselves."""

from __future__ import annotations

from fastapi import APIRouter, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import DatabaseDep, Limit, Name, NameFilter, Offset
from oto.api.models import Page, PauseRequest, ScheduleChanges, changes
from oto.api.problems import responses
from oto.domain.documents import ScheduleDoc
from oto.services import listings, schedule_edits, schedules

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_schedules(
    database: DatabaseDep, job: NameFilter = None, routine: NameFilter = None, offset: Offset = 0,
    limit: Limit = 100,
) -> Page[ScheduleDoc]:
    """Schedules by name, optionally only those of one job or one routine."""
    with database.session() as db:
        page = listings.schedule_page(db, job=job, routine=routine, offset=offset, limit=limit)
    return Page(items=page.items, total=page.total, offset=offset, limit=limit)


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
def create_schedule(database: DatabaseDep, body: ScheduleDoc) -> ScheduleDoc:
    """Save a schedule: a job or a routine, and a cron expression or an interval."""
    with database.session() as db:
        return schedules.add(db, body)


@router.get("/{name}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_schedule(database: DatabaseDep, name: Name) -> ScheduleDoc:
    with database.session() as db:
        return schedules.get(db, name)


@router.patch("/{name}", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def update_schedule(database: DatabaseDep, name: Name, body: ScheduleChanges) -> ScheduleDoc:
    """Change a schedule; naming a job replaces its routine (and a cron its interval), and back."""
    with database.session() as db:
        return schedule_edits.update(db, name, changes(body))


@router.post("/{name}/pause", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def pause_schedule(database: DatabaseDep, name: Name, body: PauseRequest | None = None) -> ScheduleDoc:
    with database.session() as db:
        return schedules.set_paused(db, name, True, body.note if body else "")


@router.post("/{name}/resume", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def resume_schedule(database: DatabaseDep, name: Name) -> ScheduleDoc:
    with database.session() as db:
        return schedules.set_paused(db, name, False)


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def delete_schedule(database: DatabaseDep, name: Name) -> Response:
    with database.session() as db:
        schedules.delete(db, name)
    return Response(status_code=204)
