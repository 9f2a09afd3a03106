"""``/commands``: ordered flag sets the flag matching engine accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, DeleteOptions, Name, NameFilter, Paging
from oto.api.models import CommandChanges, CommandIn, Page, changes
from oto.api.problems import responses
from oto.domain.documents import CommandDoc

router = APIRouter(prefix="/commands", tags=["commands"])


class CommandQuery(Paging):
    executable: NameFilter = None


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_commands(app: AppDep, query: Annotated[CommandQuery, Query()]) -> Page[CommandDoc]:
    """Commands by name, optionally only those of one executable (by tag)."""
    page = app.commands.page(executable_tag=query.executable, offset=query.offset, limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_command(app: AppDep, body: CommandIn) -> CommandDoc:
    """Save a command; it may carry its executable and new parameters, all saved or none.

    Refused with 422 and the engine's ``violations`` when the flags do not match.
    """
    command = body.model_dump(exclude={"executable", "new_parameters"})
    return app.commands.add_with(
        command, executable=body.executable,
        new_parameters=[p.model_dump(exclude_unset=True) for p in body.new_parameters],
    )


@router.get("/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_command(app: AppDep, name: Name) -> CommandDoc:
    return app.commands.get(name)


@router.patch("/{name}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def update_command(app: AppDep, name: Name, body: CommandChanges) -> CommandDoc:
    """Change a command; refused when the flags no longer match or its jobs would break."""
    return app.commands.update(name, changes(body))


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_command(app: AppDep, name: Name, options: DeleteOptions) -> Response:
    """Delete a command; 409 while jobs use it, unless ``cascade`` (schedules it takes along are deleted
    on Temporal too: 503 without Temporal)."""
    await app.commands.delete(name, cascade=options.cascade)
    return Response(status_code=204)
