"""The catalog: executables with their rules drawn, the command builder, commands, and import."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from markupsafe import Markup
from starlette.responses import Response
from temporalio.client import Client

from oto.dashboard import builder, graphs
from oto.dashboard.web import (
    Viewer,
    ViewerDep,
    database,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    temporal,
    url_part,
)
from oto.domain.valuetypes import DESCRIPTIONS
from oto.engine import schedules as engine_schedules
from oto.errors import InvalidInput, OtoError
from oto.services import command_bundles, commands, documents, executables, jobs, listings, parameters, schemas

router = page_router()
PAGE = 1000
# What "only the programs" keeps of a document: commands, jobs and the rest are left to build here.
CATALOG_PARTS = ("oto", "executables", "parameters")


@router.get("/executables")
def executable_list(request: Request, viewer: Viewer = ViewerDep) -> Response:
    with database(request).session() as db:
        found = listings.executable_page(db, limit=PAGE).items
        counts = {e.tag: listings.parameter_page(db, e.tag, limit=1).total for e in found}
    return render(request, "executables.html", viewer, executables=found, counts=counts)


@router.get("/executables/{tag}")
def executable_detail(request: Request, tag: str, viewer: Viewer = ViewerDep) -> Response:
    with database(request).session() as db:
        exe = executables.get(db, tag)
        params = parameters.list_all(db, tag)
        used_by = commands.list_all(db, executable_tag=tag)
        problems = schemas.problems(db, tag)
    diagram = graphs.rules_diagram(tag, params)
    svg = Markup(graphs.to_svg(diagram, label=f"Rules between the flags of {tag}")) if diagram else None  # noqa: S704 - built from escaped parts
    return render(request, "executable.html", viewer, exe=exe, params=params, commands=used_by, problems=problems,
                  svg=svg, hints={p.flag: builder.hints(p) for p in params}, value_types=DESCRIPTIONS)


def _builder_context(request: Request, tag: str, picked: list[str]) -> dict[str, Any]:
    with database(request).session() as db:
        all_exes = executables.list_all(db)
        if not tag:
            return {"executables": all_exes, "tag": "", "choices": [], "picked": [], "verdict": None}
        params = parameters.list_all(db, tag)
        flags = builder.ordered(picked, params)
        verdict = commands.check(db, tag, flags).to_dict() if flags else None
    return {"executables": all_exes, "tag": tag, "choices": builder.choices(params), "picked": flags,
            "verdict": verdict}


@router.get("/builder")
def builder_page(
    request: Request, viewer: Viewer = ViewerDep, executable: str = "",
    flag: list[str] = Query(default_factory=list),
    name: str = "", description: str = "",
) -> Response:
    context = _builder_context(request, executable, flag)
    return render(request, "builder.html", viewer, name=name, description=description, message="", **context)


@router.post("/builder")
async def builder_save(request: Request, viewer: Viewer = ViewerDep) -> Response:
    form = await posted(request, viewer, "read")
    tag, name, description = form.get("executable"), form.get("name").strip(), form.get("description")
    context = await in_thread(_builder_context, request, tag, form.all("flag"))
    if form.get("action") == "check":  # the verdict without JavaScript
        return render(request, "builder.html", viewer, name=name, description=description, message="", **context)
    viewer.need("admin")

    def save() -> str:
        with database(request).session() as db:
            return command_bundles.add(db, {"name": name, "executable_tag": tag, "description": description,
                                            "parameters": context["picked"]}).name

    try:
        saved = await in_thread(save)
    except OtoError as error:
        return render(request, "builder.html", viewer, status_code=error.http_status, name=name,
                      description=description, message=error.message, **context)
    return redirect(f"/commands/{url_part(saved)}")


@router.get("/commands")
def command_list(request: Request, viewer: Viewer = ViewerDep) -> Response:
    with database(request).session() as db:
        found = listings.command_page(db, limit=PAGE).items
    return render(request, "commands.html", viewer, commands=found)


@router.get("/commands/{name}")
def command_detail(request: Request, name: str, viewer: Viewer = ViewerDep) -> Response:
    with database(request).session() as db:
        command = commands.get(db, name)
        params = {p.flag: p for p in parameters.list_all(db, command.executable_tag)}
        used_by = jobs.list_all(db, command=name)
    return render(request, "command.html", viewer, command=command, params=params, jobs=used_by)


@router.get("/import")
def import_form(request: Request, viewer: Viewer = ViewerDep) -> Response:
    return render(request, "import.html", viewer, report=None, message="")


def _document(text: str, catalog_only: bool) -> Any:
    data = documents.normalize(documents.loads(text, "the document"))
    return {k: v for k, v in data.items() if k in CATALOG_PARTS} if catalog_only else data


@router.post("/import")
async def import_document(request: Request, viewer: Viewer = ViewerDep) -> Response:
    form = await posted(request, viewer, "admin")
    upload = form.files.get("file")
    text = upload.decode("utf-8", "replace") if upload else form.get("document")
    catalog_only = form.get("catalog_only") == "on"

    def apply() -> dict[str, Any]:
        document = _document(text, catalog_only)
        with database(request).session() as db:
            return documents.import_document(db, document).to_dict()

    try:
        if not text.strip():
            raise InvalidInput("choose a file or paste a document first")
        report = await in_thread(apply)
    except OtoError as error:
        return render(request, "import.html", viewer, status_code=error.http_status, report=None,
                      message=error.message, document=text if not upload else "")
    if engine_schedules.wrote_schedules(report["kinds"]):

        async def connect() -> Client:
            return await temporal(request)

        report["temporal"] = await engine_schedules.sync_imported(database=database(request), connector=connect)
    return render(request, "import.html", viewer, report=report, message="", catalog_only=catalog_only)
