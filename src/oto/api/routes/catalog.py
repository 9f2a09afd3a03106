"""``/catalog``: the tool specs shipped with OTO (search, look, add), docs/catalog.md.

A tool is added on the host that serves the request: its program is looked up on that host's
``PATH`` unless the body gives a path, as ``oto catalog add`` does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, Name, QueryModel
from oto.api.models import Body, ImportReportOut
from oto.api.problems import responses
from oto.app.tool_catalog import Tool

router = APIRouter(prefix="/catalog", tags=["catalog"])


class ToolOut(BaseModel):
    name: str
    description: str
    program: str = Field(description="The program looked up on PATH when no path is given")
    subcommands: int = Field(description="Subcommands with flags of their own (each becomes an executable)")
    parameters: int = Field(description="Flags over the tool and its subcommands")
    problems: list[str] = Field(description="Why the flag matching engine refuses it; empty when it can be added")

    @classmethod
    def of(cls, tool: Tool) -> ToolOut:
        return cls(name=tool.name, description=tool.description, program=tool.program,
                   subcommands=tool.executables - 1, parameters=tool.parameters, problems=list(tool.problems))


class ToolDetail(ToolOut):
    found_at: str | None = Field(description="Where PATH finds the program on the API's host, if it does")
    document: dict[str, Any] = Field(description="The OTO document adding it would import")


class CatalogSource(BaseModel):
    package: str
    version: str


class ToolSearch(QueryModel):
    q: str = Field("", max_length=200, description="A word of the name or description; empty: every tool")
    limit: int = Field(50, ge=1, le=1000, description="How many tools at most")


class AddTools(Body):
    tools: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=100)
    path: str | None = Field(None, max_length=4096, description="The program, with one tool only")
    version: str | None = Field(None, min_length=1, max_length=100,
                                description='Its tag\'s version; default: what "PROGRAM --version" prints when the '
                                            'program is found on PATH (a given path is never run), else fig')
    task_queue: str = ""


class AddedTool(BaseModel):
    tool: str
    path: str
    version: str
    report: ImportReportOut


@router.get("", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 422))
def catalog_source() -> CatalogSource:
    """Where the shipped specs come from (the Fig autocomplete package and its version)."""
    from oto.app.tool_catalog import ToolCatalog

    package, version = ToolCatalog.source()
    return CatalogSource(package=package, version=version)


@router.get("/tools", dependencies=[READ], responses=responses(401, 403, 422))
def search_tools(app: AppDep, query: Annotated[ToolSearch, Query()]) -> list[ToolOut]:
    """Tools whose name or description holds ``q``, best matches first."""
    return [ToolOut.of(t) for t in app.tool_catalog.search(query.q, limit=query.limit)]


@router.get("/tools/{name}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_tool(app: AppDep, name: Name) -> ToolDetail:
    """A tool, and the document that adding it would import."""
    catalog = app.tool_catalog
    tool = catalog.get(name)
    return ToolDetail(**ToolOut.of(tool).model_dump(), found_at=catalog.locate(tool),
                      document=catalog.document(tool.name))


@router.post("/add", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
async def add_tools(app: AppDep, body: AddTools) -> list[AddedTool]:
    """Add tools as executables (one per subcommand) with their flags and rules, all or nothing."""
    added = await app.tool_catalog.add(body.tools, path=body.path, version=body.version,
                                       task_queue=body.task_queue)
    return [AddedTool(tool=a.tool.name, path=a.path, version=a.version,
                      report=ImportReportOut.model_validate(a.report.to_dict())) for a in added]
