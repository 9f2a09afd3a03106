"""Request and response shapes the API adds around the document shapes of ``oto.domain.documents``.

Create bodies reuse the document shapes as they are; change bodies list the fields that may
change, all optional. The checks themselves stay in the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic_core import to_json
from starlette.responses import Response

from oto.api.problems import Violation
from oto.domain.documents import ExecutableDoc, GroupDoc, RetryDoc, StepDoc, Value, WhenDoc

T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def json_model(model: BaseModel) -> Response:
    """A model serialized once, as its route's declared ``response_model`` describes it.

    FastAPI would dump the returned model to a dict, validate that dict again against the
    response model and dump it once more: for a page of 100 items, most of the request's time.
    """
    return Response(model.model_dump_json(), media_type="application/json")


def json_data(data: Any) -> Response:
    """Data already shaped as a route's declared ``response_model`` dumps it, serialized as it is
    (the same serializer as ``json_model``, with no model built at all)."""
    return Response(to_json(data), media_type="application/json")


class ExecutableOut(BaseModel):
    tag: str
    name: str
    version: str
    path: str
    description: str
    task_queue: str
    end_of_options: bool = False
    max_concurrent: int | None = Field(None, description="At most this many of its runs at once, cluster-wide")

    @classmethod
    def of(cls, doc: ExecutableDoc) -> ExecutableOut:
        return cls(tag=doc.tag, **doc.model_dump())


class ExecutableChanges(Body):
    path: str | None = None
    description: str | None = None
    task_queue: str | None = None
    end_of_options: bool | None = None
    max_concurrent: StrictInt | None = Field(None, description="A whole number from 1 to 1000; null removes the limit")


class NewParameter(Body):
    """A parameter of the executable named in the URL (or of the command's executable)."""

    flag: str
    executable_tag: str | None = None
    description: str = ""
    requires_root: bool = False
    requires_value: bool = False
    value_type: str = "bool"
    require_ids: list[str] = Field(default_factory=list)
    interfer_ids: list[str] = Field(default_factory=list)
    before: list[str] = Field(default_factory=list)
    position: int | None = None
    scale: str | None = None
    repeatable: bool = False
    choices: list[str] = Field(default_factory=list)
    style: str = "separate"
    secret: bool = False
    allow_leading_dash: bool = False
    confine: bool = False
    delivery: str = Field("argv", description="How a secret value reaches the program: argv, env, file or stdin")
    template: str = Field("", description="What the argv item becomes for env/file/stdin ({env}, {path})")
    require_any: list[list[str]] = Field(default_factory=list, description="Each list: it needs one of these flags")
    required: bool = Field(False, description="Every command of the executable uses it")
    groups: list[GroupDoc] = Field(default_factory=list, description="Groups it is in, with their bounds")
    when: list[WhenDoc] = Field(default_factory=list, description="Value rules on its value (checked on jobs)")


class ParameterChanges(Body):
    description: str | None = None
    requires_root: bool | None = None
    requires_value: bool | None = None
    value_type: str | None = None
    require_ids: list[str] | None = None
    interfer_ids: list[str] | None = None
    before: list[str] | None = None
    position: int | None = None
    scale: str | None = None
    repeatable: bool | None = None
    choices: list[str] | None = None
    style: str | None = None
    secret: bool | None = None
    allow_leading_dash: bool | None = None
    confine: bool | None = None
    delivery: str | None = None
    template: str | None = None
    require_any: list[list[str]] | None = None
    required: bool | None = None
    groups: list[GroupDoc] | None = None
    when: list[WhenDoc] | None = None


class CommandIn(Body):
    """A command; it may bring its executable and new parameters along (one transaction)."""

    name: str
    executable_tag: str = ""
    description: str = ""
    requires_root: bool = False
    parameters: list[str]
    executable: ExecutableDoc | None = Field(
        default=None, description="Registered first unless an identical executable exists"
    )
    new_parameters: list[NewParameter] = Field(
        default_factory=list, description="Parameters added to the executable before the command"
    )


class CommandChanges(Body):
    executable_tag: str | None = None
    description: str | None = None
    requires_root: bool | None = None
    parameters: list[str] | None = None


class JobChanges(Body):
    command: str | None = None
    description: str | None = None
    values: dict[str, Value] | None = None
    retry: RetryDoc | None = Field(None, description="Its retry policy; null: one attempt")
    max_concurrent: StrictInt | None = Field(None, description="A whole number from 1 to 1000; null removes the limit")
    inputs: dict[str, Value] | None = Field(None, description="Flags given at run time -> default (null: none)")


class RoutineChanges(Body):
    description: str | None = None
    steps: list[StepDoc] | None = None
    inputs: dict[str, str | None] | None = Field(None, description="Inputs given at run time -> default (null: none)")


class RunValues(Body):
    """The input values of one run: a job's input flags, or a routine's input names, to their value."""

    values: dict[str, Value] = Field(default_factory=dict, description=(
        "Input -> value (a list for a flag the command repeats); an input left out takes its default"))


class ScheduleChanges(Body):
    job: str | None = None
    routine: str | None = None
    cron: str | None = None
    timezone: str | None = None
    every: str | None = None
    offset: str | None = None
    overlap: str | None = None
    catchup_window: str | None = None
    jitter: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    paused: bool | None = None
    note: str | None = None
    values: dict[str, Value] | None = Field(None, description="The input values each fire runs with (replace them)")


class PauseRequest(Body):
    note: str = ""


class CheckRequest(Body):
    flags: list[str]


class VerdictOut(BaseModel):
    ok: bool
    violations: list[Violation]
    completion: list[str] | None = Field(description="The flag list with what is missing added, when that fixes it")


class SchemaProblems(BaseModel):
    ok: bool
    problems: list[Violation]


class ImportReportOut(BaseModel):
    created: int
    updated: int
    kinds: dict[str, dict[str, int]]
    temporal: str | None = Field(
        None, description="Set when the imported schedules could not reach Temporal yet (the import stands)",
    )


class ValueTypeOut(BaseModel):
    name: str
    description: str
    example: str


class KeyCreate(Body):
    name: str
    scope: str = "read"


class KeyOut(BaseModel):
    name: str
    scope: str
    prefix: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(BaseModel):
    name: str
    scope: str
    key: str = Field(description="Shown this once; only its hash is stored")


def changes(body: BaseModel) -> dict[str, Any]:
    """Only the fields the client sent, for a partial update."""
    return body.model_dump(exclude_unset=True)


class RunSummary(BaseModel):
    """A run as listings show it (no output)."""

    run_id: str
    kind: str
    status: str
    job: str | None
    routine: str | None
    step: str | None
    parent_id: str | None
    trigger: str
    exit_code: int | None
    argv: list[str] = Field(description="As it runs, secret values masked")
    workdir: str
    task_queue: str
    worker: str | None
    starts: int = Field(description="How many times a worker started it (a lost worker's run starts again)")
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    error: str | None
    timeout: float | None
    rerun_of: str | None = Field(None, description="The run this one repeats (``POST /runs/{id}/rerun``)")
    carried_over: bool = Field(False, description="A step a failed-only rerun carried over from the run it "
                               "repeats: it succeeded there and did not run again")
    waiting: str | None = Field(None, description=(
        "Why a queued run has not started: the slot of a concurrency limit it waits for"))
    inputs: dict[str, Value] = Field(default_factory=dict, description=(
        "The input values it ran with (given, or defaults), secret ones masked"))


class Attempt(BaseModel):
    """One attempt of a run: each try its retry policy made, in order (a run without one has one)."""

    attempt: int
    status: str
    exit_code: int | None
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    error: str | None
    stdout: str
    stderr: str


class RunDetail(RunSummary):
    """A run in full; a routine run with its steps, in routine order."""

    stdout: str
    stderr: str
    artifacts: list[dict[str, Any]] = Field(description=(
        "The files the run made (the first 1,000): ``path`` and ``size``; a name that is not UTF-8 has its "
        "undecodable bytes written ``\\xff`` in ``path`` and its exact bytes percent-encoded in ``raw``"))
    artifacts_total: int = Field(0, description="How many files the run made in all")
    artifacts_cut: bool = Field(False, description="The run made more files than ``artifacts`` lists")
    attempts: list[Attempt] = Field(default_factory=list, description="Each attempt, first to last; the run's "
                                    "status is the last one's")
    steps: list[RunDetail] | None = None


class RunPage(BaseModel):
    """A page of runs, newest first, with the cursor of the next one."""

    items: list[RunSummary]
    total: int = Field(description="How many runs the filters match; when ``total_exact`` is false, more than "
                                   "this (counting stops at 10,000: a larger history is never counted whole)")
    total_exact: bool = Field(description="``total`` is the exact count; false: there are more than ``total``")
    offset: int
    limit: int
    next_after: str | None = Field(description="Pass as ``after`` for the next (older) page; null on the last")


class ScheduleFireSent(BaseModel):
    """A schedule fired on Temporal whose run no worker has recorded yet (none serves its queue now)."""

    schedule: str
    run_id: None = None
    status: Literal["sent"] = Field("sent", description="The run appears once a worker takes the fire")
    trigger: str = Field(description="The trigger its run will have: ``schedule:<name>``")
    detail: str


class AdHocRun(Body):
    """An executable's flags (in order) and their values, run once after the same checks as a job."""

    executable_tag: str
    parameters: list[str]
    values: dict[str, Value] = Field(default_factory=dict)
