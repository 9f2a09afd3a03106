"""``/routines``: named DAGs of jobs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import Cascade, DatabaseDep, Limit, Name, NameFilter, Offset
from oto.api.models import Page, RoutineChanges, changes
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import RoutineDoc
from oto.engine.schedules import delete_with_schedules
from oto.services import listings, routines

router = APIRouter(prefix="/routines", tags=["routines"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_routines(
    database: DatabaseDep, job: NameFilter = None, offset: Offset = 0, limit: Limit = 100
) -> Page[RoutineDoc]:
    """Routines by name, optionally only those with a step running one job."""
    with database.session() as db:
        page = listings.routine_page(db, job=job, offset=offset, limit=limit)
    return Page(items=page.items, total=page.total, offset=offset, limit=limit)


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
def create_routine(database: DatabaseDep, body: RoutineDoc) -> RoutineDoc:
    """Save a routine; refused when a step names an unknown job or the steps form a cycle."""
    with database.session() as db:
        return routines.add(db, body)


@router.get("/{name}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_routine(database: DatabaseDep, name: Name) -> RoutineDoc:
    with database.session() as db:
        return routines.get(db, name)


@router.patch("/{name}", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def update_routine(database: DatabaseDep, name: Name, body: RoutineChanges) -> RoutineDoc:
    with database.session() as db:
        return routines.update(db, name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_routine(request: Request, database: DatabaseDep, name: Name, cascade: Cascade = False) -> Response:
    """Delete a routine; 409 while schedules use it, unless ``cascade`` (which deletes their Temporal
    Schedules too: 503 without Temporal)."""
    await delete_with_schedules("routine", name, cascade=cascade, database=database, connector=connector_of(request))
    return Response(status_code=204)
