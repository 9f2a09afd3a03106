"""``/jobs``: commands with values, ready to run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, DeleteOptions, Name, NameFilter, Paging
from oto.api.models import JobChanges, Page, changes, json_data
from oto.api.problems import responses
from oto.domain.documents import JobDoc

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobQuery(Paging):
    command: NameFilter = None


@router.get("", response_model=Page[JobDoc], dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_jobs(app: AppDep, query: Annotated[JobQuery, Query()]) -> Response:
    """Jobs by name, optionally only those of one command; secret values are masked."""
    page = app.jobs.page_documents(command=query.command, offset=query.offset, limit=query.limit)
    return json_data({"items": page.items, "total": page.total, "offset": query.offset, "limit": query.limit})


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_job(app: AppDep, body: JobDoc, response: Response) -> JobDoc:
    """Save a job: a value for each flag of its command that takes one.

    A job whose secret goes as an argv item (readable in ``ps``) is saved with a ``Warning`` header.
    """
    doc = app.jobs.add(body)
    _warn(app, doc.name, response)
    return doc


def _warn(app: AppDep, name: str, response: Response) -> None:
    if warning := app.jobs.argv_warning(name):
        response.headers["Warning"] = f'299 oto "{warning}"'



@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_job(app: AppDep, name: Name) -> JobDoc:
    return app.jobs.get(name)


@router.get("/{name}/argv", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def job_argv(app: AppDep, name: Name) -> list[str]:
    """The exact argv the job would run, secret values masked."""
    return app.jobs.argv(name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
def update_job(app: AppDep, name: Name, body: JobChanges, response: Response) -> JobDoc:
    """Change a job; a masked secret ("***") keeps the stored value. A ``Warning`` header as for a new job."""
    doc = app.jobs.update(name, changes(body))
    _warn(app, name, response)
    return doc


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_job(app: AppDep, name: Name, options: DeleteOptions) -> Response:
    """Delete a job; 409 while routines or schedules use it, unless ``cascade`` (which deletes their
    Temporal Schedules too: 503 without Temporal)."""
    await app.jobs.delete(name, cascade=options.cascade)
    return Response(status_code=204)
