"""``/commands``: ordered flag sets the flag matching engine accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, DatabaseDep, DeleteOptions, Name, NameFilter, Paging
from oto.api.models import CommandChanges, CommandIn, Page, changes
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import CommandDoc
from oto.engine.schedules import delete_with_schedules
from oto.services import command_bundles, commands, listings

router = APIRouter(prefix="/commands", tags=["commands"])


class CommandQuery(Paging):
    executable: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_commands(database: DatabaseDep, query: Annotated[CommandQuery, Query()]) -> Page[CommandDoc]:
    """Commands by name, optionally only those of one executable (by tag)."""
    with database.session() as db:
        page = listings.command_page(db, executable_tag=query.executable, offset=query.offset, limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_command(database: DatabaseDep, body: CommandIn) -> CommandDoc:
    """Save a command; it may carry its executable and new parameters, all saved or none.

    Refused with 422 and the engine's ``violations`` when the flags do not match.
    """
    command = body.model_dump(exclude={"executable", "new_parameters"})
    with database.session() as db:
        return command_bundles.add(
            db, command, executable=body.executable,
            new_parameters=[p.model_dump(exclude_unset=True) for p in body.new_parameters],
        )


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_command(database: DatabaseDep, name: Name) -> CommandDoc:
    with database.session() as db:
        return commands.get(db, name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def update_command(database: DatabaseDep, name: Name, body: CommandChanges) -> CommandDoc:
    """Change a command; refused when the flags no longer match or its jobs would break."""
    with database.session() as db:
        return commands.update(db, name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_command(request: Request, database: DatabaseDep, name: Name, options: DeleteOptions) -> Response:
    """Delete a command; 409 while jobs use it, unless ``cascade`` (schedules it takes along are deleted
    on Temporal too: 503 without Temporal)."""
    await delete_with_schedules("command", name, cascade=options.cascade, database=database,
                                connector=connector_of(request))
    return Response(status_code=204)
