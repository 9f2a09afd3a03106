"""``/jobs``: commands with values, ready to run."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import Cascade, DatabaseDep, Limit, Name, NameFilter, Offset
from oto.api.models import JobChanges, Page, changes, json_page
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import JobDoc
from oto.engine.schedules import delete_with_schedules
from oto.services import jobs, listings

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=Page[JobDoc], dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_jobs(
    database: DatabaseDep, command: NameFilter = None, offset: Offset = 0, limit: Limit = 100
) -> Response:
    """Jobs by name, optionally only those of one command; secret values are masked."""
    with database.session() as db:
        page = listings.job_page(db, command=command, offset=offset, limit=limit)
    return json_page(Page[JobDoc](items=page.items, total=page.total, offset=offset, limit=limit))


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
def create_job(database: DatabaseDep, body: JobDoc) -> JobDoc:
    """Save a job: a value for each flag of its command that takes one."""
    with database.session() as db:
        return jobs.add(db, body)


@router.get("/{name}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_job(database: DatabaseDep, name: Name) -> JobDoc:
    with database.session() as db:
        return jobs.get(db, name)


@router.get("/{name}/argv", dependencies=[READ], responses=responses(401, 403, 404, 422))
def job_argv(database: DatabaseDep, name: Name) -> list[str]:
    """The exact argv the job would run, secret values masked."""
    with database.session() as db:
        return jobs.argv(db, name)


@router.patch("/{name}", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def update_job(database: DatabaseDep, name: Name, body: JobChanges) -> JobDoc:
    """Change a job; a masked secret ("***") keeps the stored value."""
    with database.session() as db:
        return jobs.update(db, name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_job(request: Request, database: DatabaseDep, name: Name, cascade: Cascade = False) -> Response:
    """Delete a job; 409 while routines or schedules use it, unless ``cascade`` (which deletes their
    Temporal Schedules too: 503 without Temporal)."""
    await delete_with_schedules("job", name, cascade=cascade, database=database, connector=connector_of(request))
    return Response(status_code=204)
