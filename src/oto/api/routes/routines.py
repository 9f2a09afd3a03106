"""``/routines``: named DAGs of jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, DeleteOptions, Name, NameFilter, Paging
from oto.api.models import Page, RoutineChanges, changes
from oto.api.problems import responses
from oto.domain.documents import RoutineDoc

router = APIRouter(prefix="/routines", tags=["routines"])


class RoutineQuery(Paging):
    job: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_routines(app: AppDep, query: Annotated[RoutineQuery, Query()]) -> Page[RoutineDoc]:
    """Routines by name, optionally only those with a step running one job."""
    page = app.routines.page(job=query.job, offset=query.offset, limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_routine(app: AppDep, body: RoutineDoc) -> RoutineDoc:
    """Save a routine; refused when a step names an unknown job or the steps form a cycle."""
    return app.routines.add(body)


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_routine(app: AppDep, name: Name) -> RoutineDoc:
    return app.routines.get(name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
def update_routine(app: AppDep, name: Name, body: RoutineChanges) -> RoutineDoc:
    return app.routines.update(name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_routine(app: AppDep, name: Name, options: DeleteOptions) -> Response:
    """Delete a routine; 409 while schedules use it, unless ``cascade`` (which deletes their Temporal
    Schedules too: 503 without Temporal)."""
    await app.routines.delete(name, cascade=options.cascade)
    return Response(status_code=204)
