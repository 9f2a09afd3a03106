"""Runs: the list with filters; one run with its argv, times, attempts, artifacts, output, cancel and rerun."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from markupsafe import Markup
from starlette.responses import FileResponse, Response

from oto.app import App
from oto.app.runs import FINAL, KINDS, STATUSES
from oto.dashboard import artifacts, graphs
from oto.dashboard.web import ViewerDep, app_of, page_router, posted, redirect, render, trigger_of, url_part
from oto.errors import NotFound

router = page_router()
PAGE_SIZE = 50


@router.get("/runs")
def run_list(
    request: Request, viewer: ViewerDep, status: str = "", job: str = "", routine: str = "",
    trigger: str = "", kind: str = "", after: str = "", offset: int = 0,
) -> Response:
    """Runs newest first, paged by cursor (``after``): the thousandth page costs what the first does."""
    app = app_of(request)
    chosen = {"status": status, "job": job, "routine": routine, "trigger": trigger, "kind": kind}
    page = app.runs.page(status=status or None, job=job or None, routine=routine or None,
                          trigger=trigger or None, kind=kind or None, after=after or None, offset=max(offset, 0),
                          limit=PAGE_SIZE)
    kept = {k: v for k, v in chosen.items() if v}
    query = urlencode(kept)
    older = urlencode(kept | {"after": page.next_after}) if page.next_after else ""
    return render(request, "runs.html", viewer, page=page, chosen=chosen, query=query, older=older,
                  paged=bool(after or offset), statuses=STATUSES, kinds=KINDS)


def _routine_picture(app: App, run: dict[str, Any]) -> Markup | None:
    """The routine's DAG coloured by this run's step statuses, while the routine still has these steps."""
    try:
        routine = app.routines.get(run["routine"] or "")
    except NotFound:
        return None
    statuses = {s["step"]: s["status"] for s in run.get("steps", [])}
    if {s.id for s in routine.steps} != set(statuses):
        return None
    diagram = graphs.routine_diagram(routine.name, routine.steps, statuses)
    return Markup(graphs.to_svg(diagram, label="The routine's steps, coloured by their status in this run"))  # noqa: S704


@router.get("/runs/{run_id}")
def run_detail(request: Request, run_id: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    run = app.runs.get(run_id)
    svg = _routine_picture(app, run) if run["kind"] == "routine" else None
    return render(request, "run.html", viewer, run=run, final=run["status"] in FINAL, svg=svg)


@router.get("/runs/{run_id}/artifacts/{path:path}")
def run_artifact(request: Request, run_id: str, path: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    run = app.runs.get(run_id)
    found, name = artifacts.artifact_file(run["workdir"], run["artifacts"], path, cut=run["artifacts_cut"])
    return FileResponse(found, filename=name, media_type="application/octet-stream")


@router.post("/runs/{run_id}/rerun")
async def run_rerun(request: Request, run_id: str, viewer: ViewerDep) -> Response:
    form = await posted(request, viewer, "run")
    new_id = await app_of(request).runs.rerun(run_id, trigger=trigger_of(viewer),
                                              failed_only=form.get("failed_only") == "yes")
    return redirect(f"/runs/{url_part(new_id)}")


@router.post("/runs/{run_id}/cancel")
async def run_cancel(request: Request, run_id: str, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "run")
    await app_of(request).runs.cancel(run_id)
    return redirect(f"/runs/{url_part(run_id)}")
