"""Jobs (a form made from the command's parameters, the argv preview, run) and routines (the DAG, steps, run)."""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from markupsafe import Markup
from starlette.responses import JSONResponse, Response

from oto.dashboard import forms, graphs
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
    trigger_of,
    url_part,
)
from oto.domain.documents import CommandDoc, ParameterDoc, StepDoc, Value
from oto.domain.valuetypes import DESCRIPTIONS
from oto.engine import client as engine_client
from oto.errors import OtoError
from oto.services import commands, jobs, listings, parameters, routines, runs
from oto.services.database import Database

router = page_router()
PAGE = 1000
PREVIEW_NAME = "\x01dashboard-preview"  # a name no real job can have (NUL-free, but unprintable)


@dataclass(frozen=True)
class Field:
    """One input of the job form: a flag's value, or one of its values when the flag repeats."""

    flag: str
    name: str  # the form field
    label: str
    value_type: str
    takes_value: bool
    choices: list[str]
    secret: bool
    description: str
    value: str

    @property
    def input_type(self) -> str:
        if self.secret:
            return "password"
        return "number" if self.value_type in ("int", "port", "float") else "text"

    @property
    def help(self) -> str:
        kind = DESCRIPTIONS.get(self.value_type)
        return f"{self.value_type}: {kind.description}" if kind else self.value_type

    @property
    def example(self) -> str:
        kind = DESCRIPTIONS.get(self.value_type)
        return kind.example if kind else ""


def form_fields(command: CommandDoc, params: dict[str, ParameterDoc], values: dict[str, Value]) -> list[Field]:
    """One field per value the command takes, in the command's order (a repeated flag gets one per use)."""
    total = Counter(command.parameters)
    seen: Counter[str] = Counter()
    found = []
    for flag in command.parameters:
        p = params[flag]
        seen[flag] += 1
        given = values.get(flag)
        if isinstance(given, list):
            given = given[seen[flag] - 1] if seen[flag] <= len(given) else ""
        value = given or ""
        label = flag if total[flag] == 1 else f"{flag} ({seen[flag]} of {total[flag]})"
        found.append(Field(flag, f"v:{flag}", label, p.value_type, p.requires_value, list(p.choices), p.secret,
                           p.description, value))
    return found


def posted_values(command: CommandDoc, params: dict[str, ParameterDoc], form: forms.Form) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for flag, count in Counter(command.parameters).items():
        if not params[flag].requires_value:
            values[flag] = ""
        elif count == 1:
            values[flag] = form.get(f"v:{flag}")
        else:
            values[flag] = (form.all(f"v:{flag}") + [""] * count)[:count]
    return values


class _Discard(Exception):
    pass


def preview_argv(database_: Database, command: str, values: dict[str, Value]) -> str:
    """The argv a job with these values would run (secrets masked), checked by the jobs service and not kept."""
    found = ""
    try:
        with database_.session() as db:
            jobs.add(db, {"name": PREVIEW_NAME, "command": command, "values": values})
            found = shlex.join(jobs.argv(db, PREVIEW_NAME))
            raise _Discard  # roll the preview job back
    except _Discard:
        pass
    except OtoError as error:
        raise type(error)(error.message.replace(f" ({PREVIEW_NAME})", ""), details=error.details) from None
    return found


def _command_and_params(request: Request, name: str) -> tuple[CommandDoc, dict[str, ParameterDoc]]:
    with database(request).session() as db:
        command = commands.get(db, name)
        params = {p.flag: p for p in parameters.list_all(db, command.executable_tag)}
    return command, params


@router.get("/jobs")
def job_list(request: Request, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        found = listings.job_page(db, limit=PAGE).items
        all_commands = listings.command_page(db, limit=PAGE).items
    return render(request, "jobs.html", viewer, jobs=found, commands=all_commands)


def _job_form(request: Request, viewer: Viewer, command: CommandDoc, params: dict[str, ParameterDoc], *,
              name: str, description: str, values: dict[str, Value], editing: bool, message: str = "",
              preview: str = "", status_code: int = 200) -> Response:
    return render(request, "job_form.html", viewer, status_code=status_code, command=command,
                  fields=form_fields(command, params, values), name=name, description=description,
                  editing=editing, message=message, preview=preview)


@router.get("/jobs/new")
def job_new(request: Request, command: str, viewer: ViewerDep) -> Response:
    found, params = _command_and_params(request, command)
    return _job_form(request, viewer, found, params, name="", description="", values={}, editing=False)


async def _save_job(request: Request, viewer: Viewer, command_name: str, editing: str | None) -> Response:
    form = await posted(request, viewer, "admin")
    command_name = form.get("command") or command_name
    found, params = await in_thread(_command_and_params, request, command_name)
    values = posted_values(found, params, form)
    name = editing or form.get("name").strip()
    description = form.get("description")

    def again(message: str = "", preview: str = "", status_code: int = 200) -> Response:
        return _job_form(request, viewer, found, params, name=name, description=description, values=values,
                         editing=editing is not None, message=message, preview=preview, status_code=status_code)

    if form.get("action") == "preview":
        try:
            argv = await in_thread(preview_argv, database(request), found.name, values)
        except OtoError as error:
            return again(message=error.message, status_code=422)
        return again(preview=argv)

    def save() -> str:
        with database(request).session() as db:
            if editing is None:
                return jobs.add(db, {"name": name, "command": found.name, "description": description,
                                     "values": values}).name
            return jobs.update(db, editing, {"description": description, "values": values}).name

    try:
        saved = await in_thread(save)
    except OtoError as error:
        return again(message=error.message, status_code=error.http_status)
    return redirect(f"/jobs/{url_part(saved)}")


@router.post("/jobs/new")
async def job_create(request: Request, viewer: ViewerDep) -> Response:
    return await _save_job(request, viewer, "", None)


@router.post("/jobs/preview")
async def job_preview(request: Request, viewer: ViewerDep) -> Response:
    """The argv preview the form shows as values are typed: ``{"argv": ...}`` or ``{"error": ...}``."""
    form = await posted(request, viewer, "read")
    try:
        found, params = await in_thread(_command_and_params, request, form.get("command"))
        argv = await in_thread(preview_argv, database(request), found.name, posted_values(found, params, form))
    except OtoError as error:
        return JSONResponse({"error": error.message})
    return JSONResponse({"argv": argv})


@router.get("/jobs/{name}")
def job_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        job = jobs.get(db, name)
        command = commands.get(db, job.command)
        try:
            argv, argv_problem = shlex.join(jobs.argv(db, name)), ""
        except OtoError as error:
            argv, argv_problem = "", error.message
        recent = runs.list_runs(db, job=name, limit=10)
    return render(request, "job.html", viewer, job=job, command=command, argv=argv, argv_problem=argv_problem,
                  runs=recent)


@router.get("/jobs/{name}/edit")
def job_edit(request: Request, name: str, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        job = jobs.get(db, name)
    found, params = _command_and_params(request, job.command)
    return _job_form(request, viewer, found, params, name=job.name, description=job.description,
                     values=dict(job.values), editing=True)


@router.post("/jobs/{name}/edit")
async def job_update(request: Request, name: str, viewer: ViewerDep) -> Response:
    return await _save_job(request, viewer, "", name)


@router.post("/jobs/{name}/run")
async def job_run(request: Request, name: str, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "run")
    run_id = await engine_client.submit_job(name, trigger=trigger_of(viewer), client=await temporal(request),
                                            database=database(request))
    return redirect(f"/runs/{url_part(run_id)}")


# -- routines ----------------------------------------------------------------------------------


@router.get("/routines")
def routine_list(request: Request, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        found = listings.routine_page(db, limit=PAGE).items
    return render(request, "routines.html", viewer, routines=found)


def _svg(name: str, steps: list[StepDoc], statuses: dict[str, str] | None = None) -> Markup | None:
    if not steps:
        return None
    diagram = graphs.routine_diagram(name, steps, statuses)
    return Markup(graphs.to_svg(diagram, label=f"The steps of routine {name}, each after the steps it waits for"))  # noqa: S704


def _job_names(request: Request) -> list[str]:
    with database(request).session() as db:
        return [j.name for j in listings.job_page(db, limit=PAGE).items]


def _routine_form(request: Request, viewer: Viewer, *, name: str, description: str, steps: list[dict[str, str]],
                  editing: bool, message: str = "", status_code: int = 200) -> Response:
    parsed = [StepDoc.model_construct(id=s["id"], job=s["job"], after=_split(s["after"]))
              for s in steps if s["id"].strip() and s["job"]]
    return render(request, "routine_form.html", viewer, status_code=status_code, name=name,
                  description=description, steps=steps, editing=editing, message=message,
                  job_names=_job_names(request), svg=_svg(name or "new", parsed))


def _split(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def _rows(steps: list[StepDoc]) -> list[dict[str, str]]:
    return [{"id": s.id, "job": s.job, "after": ", ".join(s.after)} for s in steps]


@router.get("/routines/new")
def routine_new(request: Request, viewer: ViewerDep) -> Response:
    return _routine_form(request, viewer, name="", description="", steps=[{"id": "", "job": "", "after": ""}] * 2,
                         editing=False)


@router.get("/routines/{name}")
def routine_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        routine = routines.get(db, name)
        recent = runs.list_runs(db, routine=name, limit=10)
    return render(request, "routine.html", viewer, routine=routine, svg=_svg(name, routine.steps), runs=recent)


@router.get("/routines/{name}/edit")
def routine_edit(request: Request, name: str, viewer: ViewerDep) -> Response:
    with database(request).session() as db:
        routine = routines.get(db, name)
    return _routine_form(request, viewer, name=routine.name, description=routine.description,
                         steps=[*_rows(routine.steps), {"id": "", "job": "", "after": ""}], editing=True)


def _posted_steps(form: forms.Form) -> list[dict[str, str]]:
    count = int(form.get("steps", "0")) if form.get("steps", "0").isdigit() else 0
    return [{"id": form.get(f"step-{i}-id").strip(), "job": form.get(f"step-{i}-job"),
             "after": form.get(f"step-{i}-after")} for i in range(min(count, 500))]


async def _save_routine(request: Request, viewer: Viewer, editing: str | None) -> Response:
    form = await posted(request, viewer, "admin")
    name = editing or form.get("name").strip()
    description = form.get("description")
    rows = _posted_steps(form)
    state: dict[str, Any] = {"name": name, "description": description, "editing": editing is not None}
    if form.get("action") == "add-step":
        return await in_thread(_routine_form, request, viewer, steps=[*rows, {"id": "", "job": "", "after": ""}],
                               **state)
    steps = [{"id": r["id"], "job": r["job"], "after": _split(r["after"])} for r in rows if r["id"]]

    def save() -> str:
        with database(request).session() as db:
            if editing is None:
                return routines.add(db, {"name": name, "description": description, "steps": steps}).name
            return routines.update(db, editing, {"description": description, "steps": steps}).name

    try:
        saved = await in_thread(save)
    except OtoError as error:
        return await in_thread(_routine_form, request, viewer, steps=rows, message=error.message,
                               status_code=error.http_status, **state)
    return redirect(f"/routines/{url_part(saved)}")


@router.post("/routines/new")
async def routine_create(request: Request, viewer: ViewerDep) -> Response:
    return await _save_routine(request, viewer, None)


@router.post("/routines/{name}/edit")
async def routine_update(request: Request, name: str, viewer: ViewerDep) -> Response:
    return await _save_routine(request, viewer, name)


@router.post("/routines/{name}/run")
async def routine_run(request: Request, name: str, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "run")
    run_id = await engine_client.submit_routine(name, trigger=trigger_of(viewer), client=await temporal(request),
                                                database=database(request))
    return redirect(f"/runs/{url_part(run_id)}")
