"""The tool catalog: search the shipped tool specs, look at a tool's flags and rules, add it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from oto.dashboard.web import ViewerDep, app_of, in_thread, page_router, posted, redirect, render, url_part
from oto.domain.documents import ParameterDoc
from oto.errors import NotFound, OtoError

router = page_router()
SHOWN = 200


@router.get("/catalog")
def tool_search(request: Request, viewer: ViewerDep, q: str = "") -> Response:
    catalog = app_of(request).tool_catalog
    word = q.strip()[:200]
    found = catalog.search(word, limit=SHOWN)
    package, version = catalog.source()
    return render(request, "tool_catalog.html", viewer, q=word, tools=found, shown=SHOWN,
                  source=f"{package} {version}")


def _tool_context(request: Request, name: str, sub: str) -> dict[str, Any]:
    catalog = app_of(request).tool_catalog
    tool = catalog.get(name)
    document = catalog.document(tool.name)
    executables = document.get("executables", [])
    root = executables[0]["name"] if executables else tool.name
    wanted = f"{root} {sub}".strip() if sub else root
    executable = next((e for e in executables if e["name"] == wanted), None)
    if executable is None:
        raise NotFound(f"{tool.name} has no subcommand {sub!r}")
    tag = f"{executable['name']} - {executable['version']}"
    parameters = [ParameterDoc.model_validate(p) for p in document.get("parameters", [])
                  if p["executable_tag"] == tag]
    subcommands = [e["name"][len(root) + 1:] for e in executables[1:]]
    return {"tool": tool, "executable": executable, "wanted": wanted, "sub": sub, "subcommands": subcommands,
            "flags": [(p, "; ".join(p.rule_texts())) for p in parameters], "found_at": catalog.locate(tool)}


@router.get("/catalog/{name}")
def tool_detail(request: Request, name: str, viewer: ViewerDep, sub: str = "") -> Response:
    return render(request, "tool.html", viewer, message="", **_tool_context(request, name, sub))


@router.post("/catalog/{name}")
async def tool_add(request: Request, name: str, viewer: ViewerDep) -> Response:
    form = await posted(request, viewer, "admin")
    path, version = form.get("path").strip() or None, form.get("version").strip() or None
    try:
        added = await app_of(request).tool_catalog.add([name], path=path, version=version)
    except OtoError as error:
        context = await in_thread(_tool_context, request, name, "")
        return render(request, "tool.html", viewer, status_code=error.http_status, message=error.message,
                      path=path or "", version=version or "", **context)
    return redirect(f"/executables/{url_part(added[0].tag)}")
