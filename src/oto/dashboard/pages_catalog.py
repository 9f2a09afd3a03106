"""The catalog: executables with their rules drawn, the command builder, commands, and import."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from markupsafe import Markup
from starlette.responses import Response

from oto.app.documents import Documents
from oto.dashboard import builder, graphs
from oto.dashboard.web import (
    ViewerDep,
    app_of,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    url_part,
)
from oto.domain.valuetypes import DESCRIPTIONS
from oto.errors import InvalidInput, OtoError

router = page_router()
PAGE = 1000
# What "only the programs" keeps of a document: commands, jobs and the rest are left to build here.
CATALOG_PARTS = ("oto", "executables", "parameters")


@router.get("/executables")
def executable_list(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    found = app.executables.page(limit=PAGE).items
    counts = {e.tag: app.parameters.page(e.tag, limit=1).total for e in found}
    return render(request, "executables.html", viewer, executables=found, counts=counts)


@router.get("/executables/{tag}")
def executable_detail(request: Request, tag: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    exe = app.executables.get(tag)
    params = app.parameters.list_all(tag)
    used_by = app.commands.list_all(executable_tag=tag)
    problems = app.schemas.problems(tag)
    diagram = graphs.rules_diagram(tag, params)
    oversized = diagram is not None and graphs.too_large(diagram)
    svg = None
    if diagram is not None and not oversized:
        svg = Markup(graphs.to_svg(diagram, label=f"Rules between the flags of {tag}"))  # noqa: S704 - built from escaped parts
    drawn = {"flags": len(diagram.nodes), "rules": len(diagram.edges)} if diagram and oversized else None
    return render(request, "executable.html", viewer, exe=exe, params=params, commands=used_by, problems=problems,
                  svg=svg, oversized=drawn, hints={p.flag: builder.hints(p) for p in params}, value_types=DESCRIPTIONS)


def _builder_context(request: Request, tag: str, picked: list[str]) -> dict[str, Any]:
    app = app_of(request)
    all_exes = app.executables.list_all()
    if not tag:
        return {"executables": all_exes, "tag": "", "choices": [], "picked": [], "verdict": None}
    params = app.parameters.list_all(tag)
    flags = builder.ordered(picked, params)
    verdict = app.commands.check(tag, flags).to_dict() if flags else None
    return {"executables": all_exes, "tag": tag, "choices": builder.choices(params), "picked": flags,
            "verdict": verdict}


@router.get("/builder")
def builder_page(
    request: Request, viewer: ViewerDep, executable: str = "",
    flag: list[str] = Query(default_factory=list),
    name: str = "", description: str = "",
) -> Response:
    context = _builder_context(request, executable, flag)
    return render(request, "builder.html", viewer, name=name, description=description, message="", **context)


@router.post("/builder")
async def builder_save(request: Request, viewer: ViewerDep) -> Response:
    form = await posted(request, viewer, "read")
    tag, name, description = form.get("executable"), form.get("name").strip(), form.get("description")
    context = await in_thread(_builder_context, request, tag, form.all("flag"))
    if form.get("action") == "check":  # the verdict without JavaScript
        return render(request, "builder.html", viewer, name=name, description=description, message="", **context)
    viewer.need("admin")

    def save() -> str:
        app = app_of(request)
        return app.commands.add_with({"name": name, "executable_tag": tag, "description": description,
                                        "parameters": context["picked"]}).name

    try:
        saved = await in_thread(save)
    except OtoError as error:
        return render(request, "builder.html", viewer, status_code=error.http_status, name=name,
                      description=description, message=error.message, **context)
    return redirect(f"/commands/{url_part(saved)}")


@router.get("/commands")
def command_list(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    found = app.commands.page(limit=PAGE).items
    return render(request, "commands.html", viewer, commands=found)


@router.get("/commands/{name}")
def command_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    command = app.commands.get(name)
    params = {p.flag: p for p in app.parameters.list_all(command.executable_tag)}
    used_by = app.jobs.list_all(command=name)
    return render(request, "command.html", viewer, command=command, params=params, jobs=used_by)


@router.get("/import")
def import_form(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "import.html", viewer, report=None, message="")


def _document(text: str, catalog_only: bool) -> Any:
    data = Documents.normalize(Documents.loads(text, "the document"))
    return {k: v for k, v in data.items() if k in CATALOG_PARTS} if catalog_only else data


@router.post("/import")
async def import_document(request: Request, viewer: ViewerDep) -> Response:
    form = await posted(request, viewer, "admin")
    upload = form.files.get("file")
    text = upload.decode("utf-8", "replace") if upload else form.get("document")
    catalog_only = form.get("catalog_only") == "on"

    try:
        if not text.strip():
            raise InvalidInput("choose a file or paste a document first")
        imported, temporal = await app_of(request).documents.import_one(_document(text, catalog_only))
    except OtoError as error:
        return render(request, "import.html", viewer, status_code=error.http_status, report=None,
                      message=error.message, document=text if not upload else "")
    report = imported.to_dict()
    if temporal is not None:
        report["temporal"] = temporal
    return render(request, "import.html", viewer, report=report, message="", catalog_only=catalog_only)
