"""``/routines``: named DAGs of jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, DatabaseDep, DeleteOptions, Name, NameFilter, Paging
from oto.api.models import Page, RoutineChanges, changes
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import RoutineDoc
from oto.engine.schedules import delete_with_schedules
from oto.services import listings, routines

router = APIRouter(prefix="/routines", tags=["routines"])


class RoutineQuery(Paging):
    job: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_routines(database: DatabaseDep, query: Annotated[RoutineQuery, Query()]) -> Page[RoutineDoc]:
    """Routines by name, optionally only those with a step running one job."""
    with database.session() as db:
        page = listings.routine_page(db, job=query.job, offset=query.offset, limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_routine(database: DatabaseDep, body: RoutineDoc) -> RoutineDoc:
    """Save a routine; refused when a step names an unknown job or the steps form a cycle."""
    with database.session() as db:
        return routines.add(db, body)


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_routine(database: DatabaseDep, name: Name) -> RoutineDoc:
    with database.session() as db:
        return routines.get(db, name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
def update_routine(database: DatabaseDep, name: Name, body: RoutineChanges) -> RoutineDoc:
    with database.session() as db:
        return routines.update(db, name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_routine(request: Request, database: DatabaseDep, name: Name, options: DeleteOptions) -> Response:
    """Delete a routine; 409 while schedules use it, unless ``cascade`` (which deletes their Temporal
    Schedules too: 503 without Temporal)."""
    await delete_with_schedules("routine", name, cascade=options.cascade, database=database,
                                connector=connector_of(request))
    return Response(status_code=204)
