"""Jobs (a form made from the command's parameters, the argv preview, run) and routines (the DAG, steps, run)."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from markupsafe import Markup
from starlette.responses import JSONResponse, Response

from oto.app import App
from oto.dashboard import charts, forms, graphs
from oto.dashboard.web import (
    Viewer,
    ViewerDep,
    app_of,
    in_thread,
    page_router,
    posted,
    redirect,
    render,
    trigger_of,
    url_part,
)
from oto.domain.documents import CommandDoc, JobDoc, ParameterDoc, StepDoc, Value
from oto.domain.valuetypes import DESCRIPTIONS
from oto.errors import InvalidInput, OtoError

# How a secret value is shown (and, left as it is in a run form, means "its default").
MASK = "***"

router = page_router()
# The chart of a job or routine page: its last runs.
CHART_RUNS = 50
PAGE = 1000
# A blank row of the routine form.
EMPTY_STEP = {"id": "", "job": "", "after": "", "with": ""}


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
    is_input: bool = False  # given at run time; ``value`` is its default

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
        """A placeholder showing the value's form; none for free text, where any example would mislead."""
        kind = DESCRIPTIONS.get(self.value_type)
        return kind.example if kind and self.value_type != "string" else ""


def form_fields(command: CommandDoc, params: dict[str, ParameterDoc], values: dict[str, Value],
                inputs: Collection[str] = ()) -> list[Field]:
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
                           p.description, value, flag in inputs))
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


def preview_argv(app: App, command: str, values: dict[str, Value], inputs: dict[str, Value] | None = None) -> str:
    """The argv a job with these values would run (secrets masked), checked as a saved job's are; nothing is saved."""
    return shlex.join(app.jobs.preview(command, values, inputs))


def split_inputs(values: dict[str, Value], form: forms.Form) -> tuple[dict[str, Value], dict[str, Value]]:
    """The job form's values, and its inputs (the flags ticked "given at run time", their value the default)."""
    inputs: dict[str, Value] = {}
    for flag in [f for f in values if form.get(f"in:{f}")]:
        given = values.pop(flag)
        items = given if isinstance(given, list) else [given]
        inputs[flag] = None if all(not v for v in items) else given
    return values, inputs


def _command_and_params(request: Request, name: str) -> tuple[CommandDoc, dict[str, ParameterDoc]]:
    app = app_of(request)
    command = app.commands.get(name)
    params = {p.flag: p for p in app.parameters.list_all(command.executable_tag)}
    return command, params


@router.get("/jobs")
def job_list(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    found = app.jobs.page(limit=PAGE).items
    all_commands = app.commands.page(limit=PAGE).items
    return render(request, "jobs.html", viewer, jobs=found, commands=all_commands)


def _job_form(request: Request, viewer: Viewer, command: CommandDoc, params: dict[str, ParameterDoc], *,
              name: str, description: str, values: dict[str, Value], editing: bool, message: str = "",
              preview: str = "", status_code: int = 200, inputs: dict[str, Value] | None = None,
              limits: dict[str, str] | None = None) -> Response:
    inputs = inputs or {}
    shown = {**values, **{flag: default for flag, default in inputs.items() if default is not None}}
    return render(request, "job_form.html", viewer, status_code=status_code, command=command,
                  fields=form_fields(command, params, shown, inputs), name=name, description=description,
                  editing=editing, message=message, preview=preview, limits=limits or {})


LIMIT_FIELDS = ("max_concurrent", "retry_attempts", "retry_delay")


def _limit_fields(job: JobDoc) -> dict[str, str]:
    """A job's concurrency limit and retry policy as the form's fields show them."""
    return {"max_concurrent": "" if job.max_concurrent is None else str(job.max_concurrent),
            "retry_attempts": "" if job.retry is None else str(job.retry.attempts),
            "retry_delay": "" if job.retry is None else job.retry.delay}


def _whole(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise InvalidInput(f"{what}: give a whole number, not {text[:20]!r}")
    return int(text)


def posted_limits(given: dict[str, str], current: JobDoc | None) -> dict[str, Any]:
    """The ``max_concurrent`` and ``retry`` a job form asks for; a policy's other keys (backoff,
    max_delay, on) stay as they are. Empty fields: no limit, no retry."""
    limit, attempts = given["max_concurrent"].strip(), given["retry_attempts"].strip()
    changes: dict[str, Any] = {"max_concurrent": _whole(limit, "runs at once") if limit else None}
    if not attempts:
        changes["retry"] = None
        return changes
    kept = current.retry.model_dump() if current is not None and current.retry is not None else {}
    changes["retry"] = kept | {"attempts": _whole(attempts, "attempts"),
                               "delay": given["retry_delay"].strip() or "0s"}
    return changes


@router.get("/jobs/new")
def job_new(request: Request, command: str, viewer: ViewerDep) -> Response:
    found, params = _command_and_params(request, command)
    return _job_form(request, viewer, found, params, name="", description="", values={}, editing=False)


async def _save_job(request: Request, viewer: Viewer, command_name: str, editing: str | None) -> Response:
    form = await posted(request, viewer, "admin")
    command_name = form.get("command") or command_name
    found, params = await in_thread(_command_and_params, request, command_name)
    values, inputs = split_inputs(posted_values(found, params, form), form)
    name = editing or form.get("name").strip()
    description = form.get("description")
    given_limits = {key: form.get(key) for key in LIMIT_FIELDS}

    def again(message: str = "", preview: str = "", status_code: int = 200) -> Response:
        return _job_form(request, viewer, found, params, name=name, description=description, values=values,
                         editing=editing is not None, message=message, preview=preview, status_code=status_code,
                         inputs=inputs, limits=given_limits)

    if form.get("action") == "preview":
        try:
            argv = await in_thread(preview_argv, app_of(request), found.name, values, inputs)
        except OtoError as error:
            return again(message=error.message, status_code=422)
        return again(preview=argv)

    def save() -> str:
        app = app_of(request)
        has_limits = bool(form.all("max_concurrent"))  # a form without the fields changes neither
        if editing is None:
            limits = posted_limits(given_limits, None) if has_limits else {}
            return app.jobs.add({"name": name, "command": found.name, "description": description,
                                 "values": values, "inputs": inputs} | limits).name
        limits = posted_limits(given_limits, app.jobs.get(editing)) if has_limits else {}
        return app.jobs.update(editing, {"description": description, "values": values, "inputs": inputs}
                               | limits).name

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
        values, inputs = split_inputs(posted_values(found, params, form), form)
        argv = await in_thread(preview_argv, app_of(request), found.name, values, inputs)
    except OtoError as error:
        return JSONResponse({"error": error.message})
    return JSONResponse({"argv": argv})


@router.get("/jobs/{name}")
def job_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    job = app.jobs.get(name)
    command = app.commands.get(job.command)
    try:
        argv, argv_problem = shlex.join(app.jobs.argv(name)), ""
    except OtoError as error:
        argv, argv_problem = "", error.message
    last = app.runs.list_all(job=name, limit=CHART_RUNS)
    chart = charts.durations(last, f"job {name}")
    inputs = _input_fields(request, job.command, dict(job.inputs)) if job.inputs else []
    return render(request, "job.html", viewer, job=job, command=command, argv=argv, argv_problem=argv_problem,
                  runs=last[:10], chart=Markup(chart) if chart else None,  # noqa: S704 - escaped in charts
                  inputs=inputs)


def _inputs_only(command: CommandDoc, inputs: dict[str, Value]) -> CommandDoc:
    return command.model_copy(update={"parameters": [f for f in command.parameters if f in inputs]})


def _input_fields(request: Request, command_name: str, inputs: dict[str, Value]) -> list[Field]:
    """One field per input of the job, typed by its parameter's value type, holding its default."""
    found, params = _command_and_params(request, command_name)
    return form_fields(_inputs_only(found, inputs), params, inputs)


def posted_inputs(command: CommandDoc, params: dict[str, ParameterDoc], inputs: dict[str, Value],
                  form: forms.Form) -> dict[str, Value]:
    """The input values of a run form: a field left empty, or a secret left ``***``, takes the default."""
    values = {}
    for flag, given in posted_values(_inputs_only(command, inputs), params, form).items():
        items = given if isinstance(given, list) else [given]
        if all(not v or (params[flag].secret and v == MASK) for v in items):
            continue
        values[flag] = given
    return values


@router.get("/jobs/{name}/edit")
def job_edit(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    job = app.jobs.get(name)
    found, params = _command_and_params(request, job.command)
    return _job_form(request, viewer, found, params, name=job.name, description=job.description,
                     values=dict(job.values), editing=True, inputs=dict(job.inputs), limits=_limit_fields(job))


@router.post("/jobs/{name}/edit")
async def job_update(request: Request, name: str, viewer: ViewerDep) -> Response:
    return await _save_job(request, viewer, "", name)


@router.post("/jobs/{name}/run")
async def job_run(request: Request, name: str, viewer: ViewerDep) -> Response:
    form = await posted(request, viewer, "run")
    app = app_of(request)
    job = app.jobs.get(name)
    values: dict[str, Value] = {}
    if job.inputs:
        found, params = _command_and_params(request, job.command)
        values = posted_inputs(found, params, dict(job.inputs), form)
    run_id = await app.runs.submit_job(name, trigger=trigger_of(viewer), values=values)
    return redirect(f"/runs/{url_part(run_id)}")


# -- routines ----------------------------------------------------------------------------------


@router.get("/routines")
def routine_list(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    found = app.routines.page(limit=PAGE).items
    return render(request, "routines.html", viewer, routines=found)


def _svg(name: str, steps: list[StepDoc], statuses: dict[str, str] | None = None) -> Markup | None:
    if not steps:
        return None
    diagram = graphs.routine_diagram(name, steps, statuses)
    return Markup(graphs.to_svg(diagram, label=f"The steps of routine {name}, each after the steps it waits for"))  # noqa: S704


def _job_names(request: Request) -> list[str]:
    app = app_of(request)
    return [j.name for j in app.jobs.page(limit=PAGE).items]


def _routine_form(request: Request, viewer: Viewer, *, name: str, description: str, steps: list[dict[str, str]],
                  editing: bool, message: str = "", status_code: int = 200, inputs: str = "") -> Response:
    parsed = [StepDoc.model_construct(id=s["id"], job=s["job"], after=_split(s["after"]))
              for s in steps if s["id"].strip() and s["job"]]
    return render(request, "routine_form.html", viewer, status_code=status_code, name=name,
                  description=description, steps=steps, editing=editing, message=message, inputs=inputs,
                  job_names=_job_names(request), svg=_svg(name or "new", parsed))


def _split(text: str) -> list[str]:
    """The step ids of a "runs after" field: separated by commas, each trimmed; an id holding a comma
    or a quote is written in double quotes (``"a, b", c``), a quote inside it doubled."""
    ids: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == '"':
            i += 1
            part: list[str] = []
            while i < n:
                if text[i] == '"' and text[i + 1:i + 2] == '"':
                    part.append('"')
                    i += 2
                elif text[i] == '"':
                    i += 1
                    break
                else:
                    part.append(text[i])
                    i += 1
            end = text.find(",", i)
            end = n if end < 0 else end
            item = "".join(part) + text[i:end].strip()
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            item = text[i:end].strip()
        if item:
            ids.append(item)
        i = end + 1
    return ids


def _join(ids: list[str]) -> str:
    """A "runs after" field that ``_split`` reads back as exactly ``ids``."""
    def one(step_id: str) -> str:
        if "," in step_id or step_id.startswith('"') or step_id != step_id.strip():
            return '"' + step_id.replace('"', '""') + '"'
        return step_id
    return ", ".join(one(i) for i in ids)


def _rows(steps: list[StepDoc]) -> list[dict[str, str]]:
    return [{"id": s.id, "job": s.job, "after": _join(s.after), "with": _join_pairs(s.with_)} for s in steps]


def _join_pairs(pairs: Mapping[str, Value]) -> str:
    """``NAME=VALUE, NAME`` (no value: ``None``) as ``_split_pairs`` reads it back; a list repeats the name."""
    items: list[str] = []
    for name, value in pairs.items():
        for one in value if isinstance(value, list) else [value]:
            items.append(name if one is None else f"{name}={one}")
    return _join(items)


def _split_pairs(text: str) -> dict[str, Value]:
    """The pairs of a field ``NAME=VALUE, NAME`` (a name alone: no value; a name again: a list)."""
    pairs: dict[str, Value] = {}
    for item in _split(text):
        name, sep, value = item.partition("=")
        given: Value = value if sep else None
        if name in pairs:
            before = pairs[name]
            pairs[name] = [*before, value] if isinstance(before, list) else [before or "", value]
        else:
            pairs[name] = given
    return pairs


@router.get("/routines/new")
def routine_new(request: Request, viewer: ViewerDep) -> Response:
    return _routine_form(request, viewer, name="", description="", steps=[dict(EMPTY_STEP), dict(EMPTY_STEP)],
                         editing=False)


@router.get("/routines/{name}")
def routine_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    routine = app.routines.get(name)
    last = app.runs.list_all(routine=name, limit=CHART_RUNS)
    chart = charts.durations(last, f"routine {name}")
    return render(request, "routine.html", viewer, routine=routine, svg=_svg(name, routine.steps), runs=last[:10],
                  chart=Markup(chart) if chart else None)  # noqa: S704 - escaped in charts


def posted_routine_inputs(inputs: dict[str, str | None], form: forms.Form) -> dict[str, Value]:
    """The routine's input values of a run form: a field left empty takes the default."""
    return {name: form.get(f"r:{name}") for name in inputs if form.get(f"r:{name}")}


@router.get("/routines/{name}/edit")
def routine_edit(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = app_of(request)
    routine = app.routines.get(name)
    return _routine_form(request, viewer, name=routine.name, description=routine.description,
                         steps=[*_rows(routine.steps), dict(EMPTY_STEP)], editing=True,
                         inputs=_join_pairs(dict(routine.inputs)))


def _posted_steps(form: forms.Form) -> list[dict[str, str]]:
    count = int(form.get("steps", "0")) if form.get("steps", "0").isdigit() else 0
    return [{"id": form.get(f"step-{i}-id").strip(), "job": form.get(f"step-{i}-job"),
             "after": form.get(f"step-{i}-after"), "with": form.get(f"step-{i}-with")} for i in range(min(count, 500))]


async def _save_routine(request: Request, viewer: Viewer, editing: str | None) -> Response:
    form = await posted(request, viewer, "admin")
    name = editing or form.get("name").strip()
    description = form.get("description")
    rows = _posted_steps(form)
    state: dict[str, Any] = {"name": name, "description": description, "editing": editing is not None,
                             "inputs": form.get("inputs")}
    if form.get("action") == "add-step":
        return await in_thread(_routine_form, request, viewer, steps=[*rows, dict(EMPTY_STEP)], **state)
    steps: list[dict[str, Any]] = [{"id": r["id"], "job": r["job"], "after": _split(r["after"]),
                                    "with": _split_pairs(r["with"])} for r in rows if r["id"]]
    inputs = _split_pairs(form.get("inputs"))

    def save() -> str:
        app = app_of(request)
        if editing is None:
            return app.routines.add({"name": name, "description": description, "steps": steps,
                                     "inputs": inputs}).name
        # the form edits no retry policy: a step keeps its own while its id stays
        kept = {s.id: s.retry for s in app.routines.get(editing).steps if s.retry is not None}
        with_retry = [step | ({"retry": kept[step["id"]].model_dump()} if step["id"] in kept else {}) for step in steps]
        return app.routines.update(editing, {"description": description, "steps": with_retry, "inputs": inputs}).name

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
    form = await posted(request, viewer, "run")
    app = app_of(request)
    inputs = dict(app.routines.get(name).inputs)
    run_id = await app.runs.submit_routine(name, trigger=trigger_of(viewer), values=posted_routine_inputs(inputs, form))
    return redirect(f"/runs/{url_part(run_id)}")
