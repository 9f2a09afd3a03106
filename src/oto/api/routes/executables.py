"""``/executables``: the programs OTO may run, their verdicts and their rule graphs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from oto.api.auth import ADMIN, READ
from oto.api.deps import Cascade, DatabaseDep, Limit, Offset, Tag
from oto.api.models import CheckRequest, ExecutableChanges, ExecutableOut, Page, SchemaProblems, VerdictOut, changes
from oto.api.problems import responses
from oto.api.temporal import connector_of
from oto.domain.documents import ExecutableDoc
from oto.engine.schedules import delete_with_schedules
from oto.services import commands, executables, listings, schemas

GraphFormat = Annotated[Literal["dot", "mermaid"], Query(alias="format")]

router = APIRouter(prefix="/executables", tags=["executables"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 422))
def list_executables(database: DatabaseDep, offset: Offset = 0, limit: Limit = 100) -> Page[ExecutableOut]:
    with database.session() as db:
        page = listings.executable_page(db, offset=offset, limit=limit)
    return Page(items=[ExecutableOut.of(d) for d in page.items], total=page.total, offset=offset, limit=limit)


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 409, 422))
def create_executable(database: DatabaseDep, body: ExecutableDoc) -> ExecutableOut:
    with database.session() as db:
        return ExecutableOut.of(executables.add(db, body))


@router.get("/{tag}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_executable(database: DatabaseDep, tag: Tag) -> ExecutableOut:
    with database.session() as db:
        return ExecutableOut.of(executables.get(db, tag))


@router.patch("/{tag}", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def update_executable(database: DatabaseDep, tag: Tag, body: ExecutableChanges) -> ExecutableOut:
    """Change the path, description or task queue (name and version form the tag and stay)."""
    with database.session() as db:
        return ExecutableOut.of(executables.update(db, tag, changes(body)))


@router.delete("/{tag}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_executable(request: Request, database: DatabaseDep, tag: Tag, cascade: Cascade = False) -> Response:
    """Delete it with its parameters; 409 while commands use it, unless ``cascade`` (schedules it takes
    along are deleted on Temporal too: 503 without Temporal)."""
    await delete_with_schedules("executable", tag, cascade=cascade, database=database,
                                connector=connector_of(request))
    return Response(status_code=204)


@router.post("/{tag}/check", dependencies=[READ], responses=responses(401, 403, 404, 422))
def check_flags(database: DatabaseDep, tag: Tag, body: CheckRequest) -> VerdictOut:
    """The flag matching engine's verdict on a flag list; reads only, so a read key may ask."""
    with database.session() as db:
        verdict = commands.check(db, tag, body.flags)
    return VerdictOut.model_validate(verdict.to_dict())


@router.get("/{tag}/problems", dependencies=[READ], responses=responses(401, 403, 404, 422))
def schema_problems(database: DatabaseDep, tag: Tag) -> SchemaProblems:
    """The engine's problems with the executable's rules (empty when consistent)."""
    with database.session() as db:
        found = schemas.problems(db, tag)
    return SchemaProblems.model_validate({"ok": not found, "problems": found})


@router.get(
    "/{tag}/graph", dependencies=[READ], response_class=PlainTextResponse,
    responses=responses(401, 403, 404, 422, ok_media_type="text/plain"),
)
def rules_graph(database: DatabaseDep, tag: Tag, fmt: GraphFormat = "dot") -> PlainTextResponse:
    """The rules as a Graphviz (dot) or Mermaid graph."""
    with database.session() as db:
        text = schemas.graph(db, tag, fmt)
    return PlainTextResponse(text)
