"""``/executables``: the programs OTO may run, their verdicts and their rule graphs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import Field

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, DeleteOptions, PagingQuery, QueryModel, Tag
from oto.api.models import (
    CheckRequest,
    ExecutableChanges,
    ExecutableOut,
    Page,
    SchemaProblems,
    VerdictOut,
    changes,
    json_model,
)
from oto.api.problems import responses
from oto.domain.documents import ExecutableDoc


class GraphQuery(QueryModel):
    fmt: Literal["dot", "mermaid"] = Field("dot", alias="format", description="Graphviz (dot) or Mermaid")


router = APIRouter(prefix="/executables", tags=["executables"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 422))
def list_executables(app: AppDep, query: PagingQuery) -> Page[ExecutableOut]:
    page = app.executables.page(offset=query.offset, limit=query.limit)
    return Page(items=[ExecutableOut.of(d) for d in page.items], total=page.total, offset=query.offset,
                limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 409, 422))
def create_executable(app: AppDep, body: ExecutableDoc) -> ExecutableOut:
    return ExecutableOut.of(app.executables.add(body))


@router.get("/{tag}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_executable(app: AppDep, tag: Tag) -> ExecutableOut:
    return ExecutableOut.of(app.executables.get(tag))


@router.patch("/{tag}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
def update_executable(app: AppDep, tag: Tag, body: ExecutableChanges) -> ExecutableOut:
    """Change the path, description, task queue or end_of_options (name and version form the tag and stay)."""
    return ExecutableOut.of(app.executables.update(tag, changes(body)))


@router.delete("/{tag}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_executable(app: AppDep, tag: Tag, options: DeleteOptions) -> Response:
    """Delete it with its parameters; 409 while commands use it, unless ``cascade`` (schedules it takes
    along are deleted on Temporal too: 503 without Temporal)."""
    await app.executables.delete(tag, cascade=options.cascade)
    return Response(status_code=204)


@router.post("/{tag}/check", response_model=VerdictOut, dependencies=[READ, NO_QUERY],
             responses=responses(401, 403, 404, 422))
def check_flags(app: AppDep, tag: Tag, body: CheckRequest) -> Response:
    """The flag matching engine's verdict on a flag list; reads only, so a read key may ask."""
    verdict = app.commands.check(tag, body.flags)
    return json_model(VerdictOut.model_validate(verdict.to_dict()))


@router.get("/{tag}/problems", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def schema_problems(app: AppDep, tag: Tag) -> SchemaProblems:
    """The engine's problems with the executable's rules (empty when consistent)."""
    found = app.schemas.problems(tag)
    return SchemaProblems.model_validate({"ok": not found, "problems": found})


@router.get(
    "/{tag}/graph", dependencies=[READ], response_class=PlainTextResponse,
    responses=responses(401, 403, 404, 422, ok_media_type="text/plain"),
)
def rules_graph(app: AppDep, tag: Tag, query: Annotated[GraphQuery, Query()]) -> PlainTextResponse:
    """The rules as a Graphviz (dot) or Mermaid graph."""
    text = app.schemas.graph(tag, query.fmt)
    return PlainTextResponse(text)
