"""The run contract: a run's statuses and kinds, its immutable spec, and what the engine passes around.

Stdlib only: the workflows import this module, and workflow code must stay deterministic.

A run's ``RunSpec`` is frozen at submission and stored as JSON in its record (``to_json`` /
``from_json``, version ``SPEC_VERSION``). Temporal never carries the spec (so secret values never
enter its history): the workflow and activity payloads below hold run ids, step ids and timings.
They travel as JSON through Temporal's dataclass converter, by field name: renaming a field of a
payload breaks the replay of the workflows running when workers are upgraded (see docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Self, TypeVar

T = TypeVar("T")
InputValue = str | list[str] | None
_SAFE_STEP = re.compile(r"^[A-Za-z0-9_.-]+$")


def step_run_id(parent_id: str, step_id: str) -> str:
    """``<parent>-<step>``, or a digest of the step id when it is long or unusual (ids fit String(100)).

    Here, not in the services, because the routine workflow names its steps' runs too.
    """
    candidate = f"{parent_id}-{step_id}"
    if len(candidate) <= 100 and _SAFE_STEP.match(step_id):
        return candidate
    # '~' never appears in a literal step part, so a digest cannot collide with a readable id.
    return f"{parent_id}-~{hashlib.sha256(step_id.encode()).hexdigest()[:32]}"


class RunStatus(StrEnum):
    """Where a run stands. A str enum: it equals its value, so records and JSON hold plain strings."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def final(self) -> bool:
        """A final status is never left: the record is closed."""
        return self in FINAL

    def may_become(self, status: RunStatus) -> bool:
        """Whether a record in this status may be written ``status`` (see TRANSITIONS)."""
        return status in TRANSITIONS[self]


FINAL: frozenset[RunStatus] = frozenset({
    RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.CANCELLED, RunStatus.SKIPPED})
OPEN: frozenset[RunStatus] = frozenset(RunStatus) - FINAL
# Queued runs start or end (a cancel, a refusal); a running one starts again (another attempt, after
# a lost worker) or ends; a final one never changes.
TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: FINAL | {RunStatus.RUNNING},
    RunStatus.RUNNING: FINAL | {RunStatus.RUNNING},
    **{status: frozenset() for status in FINAL},
}


class RunKind(StrEnum):
    """A job run, a routine run, or one step of a routine run (a job run with a parent)."""

    JOB = "job"
    ROUTINE = "routine"
    STEP = "step"


# -- the spec stored in each run's record ----------------------------------------------------------

SPEC_VERSION = 1
# A job spec with secret slots is version 2: an OTO that knows no slots refuses it, rather than run
# the masked argv it holds. Every other spec stays version 1.
SECRETS_SPEC_VERSION = 2
READABLE_VERSIONS = (SPEC_VERSION, SECRETS_SPEC_VERSION)


class SpecError(ValueError):
    """A stored spec this version of OTO cannot read."""


# The statuses an attempt may end in that a retry policy may name (a cancel is never retried).
RETRYABLE = (RunStatus.FAILED, RunStatus.TIMED_OUT)


@dataclass(frozen=True)
class Retry:
    """A job's (or a routine step's) retry policy, in seconds: what the worker decides an attempt's end by.

    ``attempts`` counts the first try; the wait before attempt n+1 is ``delay * backoff**(n-1)``,
    at most ``max_delay`` when that is set (0: no cap). ``on``: the statuses that are tried again.
    """

    attempts: int = 1
    delay: float = 0.0
    backoff: float = 1.0
    max_delay: float = 0.0
    on: tuple[str, ...] = (RunStatus.FAILED.value, RunStatus.TIMED_OUT.value)

    def wait_after(self, attempt: int) -> float:
        """Seconds to wait after attempt ``attempt`` (1-based) before the next one."""
        wait = self.delay * self.backoff ** max(0, attempt - 1) if self.backoff != 1.0 else self.delay
        return min(wait, self.max_delay) if self.max_delay > 0 else wait

    def again(self, attempt: int, status: str) -> bool:
        """Whether an attempt ``attempt`` that ended ``status`` is followed by another."""
        return attempt < self.attempts and status in self.on

    def to_json(self) -> dict[str, object]:
        return {"attempts": self.attempts, "delay": self.delay, "backoff": self.backoff,
                "max_delay": self.max_delay, "on": list(self.on)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Retry:
        return cls(_whole(data, "attempts", 1), _number(data, "delay", 0.0), _number(data, "backoff", 1.0),
                   _number(data, "max_delay", 0.0), _strings(data, "on", cls.on))


@dataclass(frozen=True)
class StepPlace:
    """Where a step's run sits in its routine: its id, its index in routine order, the steps it runs after."""

    id: str
    index: int
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutineStep:
    """One step of a routine as its run was submitted."""

    id: str
    job: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleFire:
    """The schedule whose fire made a run, and that fire (its workflow id): a retried fire finds its run."""

    name: str
    fire: str


@dataclass(frozen=True)
class SecretSlot:
    """A secret value of a job run: where it goes and how, never the value in clear.

    ``value`` is the stored form (``enc:`` and a token of the installation's key, or a reference
    ``env:NAME`` / ``file:/path``), revealed by the worker just before the program starts.
    ``index`` is the argv item that holds it (``prefix`` then the value, as the parameter's style
    renders it); the spec's argv holds ``prefix***`` there. ``delivery`` is argv, env, file or stdin;
    ``template`` what the argv item becomes for env and file (``{env}``, ``{path}``).
    """

    index: int
    prefix: str
    value: str
    flag: str = ""
    delivery: str = "argv"
    template: str = ""

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "prefix": self.prefix, "value": self.value, "flag": self.flag,
                "delivery": self.delivery, "template": self.template}


@dataclass(frozen=True)
class Limit:
    """A concurrency limit a run counts against: at most ``most`` runs holding ``key`` at once, cluster-wide.

    ``key`` names what is limited (``executable:<tag>`` or ``job:<name>``), ``label`` says it as
    people read it (the executable's tag, or ``job <name>``). A run takes a slot of each of its
    limits, in the order of their keys, before it starts (oto.engine.slots).
    """

    key: str
    label: str
    most: int

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "most": self.most}


@dataclass(frozen=True, kw_only=True)
class RunSpec(ABC):
    """What every run's spec holds; a spec is a ``JobSpec`` or a ``RoutineSpec``.

    ``workdir`` is relative to the worker's OTO_HOME (the worker, not the submitter, owns the folder).
    """

    workdir: str
    task_queue: str
    schedule: ScheduleFire | None = None
    # the input values the run was given or took as defaults (secret ones sealed): a rerun gives them again
    inputs: Mapping[str, InputValue] = field(default_factory=dict)
    secret_inputs: tuple[str, ...] = ()  # the inputs whose value is secret: masked wherever shown

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> JobSpec | RoutineSpec:
        """The spec a record stores (any version this OTO reads), or SpecError."""
        version = data.get("version", SPEC_VERSION)
        if version not in READABLE_VERSIONS:
            raise SpecError(f"run spec version {version!r} is not one this OTO reads "
                            f"(it reads {', '.join(map(str, READABLE_VERSIONS))})")
        return _routine_spec(data) if "routine" in data else _job_spec(data)

    @abstractmethod
    def to_json(self) -> dict[str, object]:
        """The spec as its record stores it."""

    def with_schedule(self, name: str, fire: str) -> Self:
        """The spec of a run a schedule's fire made."""
        return replace(self, schedule=ScheduleFire(name, fire))

    def _common(self) -> dict[str, object]:
        return {"workdir": self.workdir, "task_queue": self.task_queue}

    def _extra(self) -> dict[str, object]:
        data: dict[str, object] = {}
        if self.schedule is not None:
            data["schedule"] = {"name": self.schedule.name, "fire": self.schedule.fire}
        if self.inputs:
            data["inputs"] = {k: list(v) if isinstance(v, list) else v for k, v in self.inputs.items()}
        if self.secret_inputs:
            data["secret_inputs"] = list(self.secret_inputs)
        return data


@dataclass(frozen=True, kw_only=True)
class JobSpec(RunSpec):
    """One program to run: a job run (a saved job, or an ad-hoc combination) or one step of a routine run.

    ``argv`` is what runs, with each secret value's item masked (``secrets`` says what the worker
    puts there); ``display_argv`` is what may be shown.
    """

    job: str
    command: str
    executable: str
    argv: tuple[str, ...]
    display_argv: tuple[str, ...]
    requires_root: bool
    timeout: float
    kill_grace: float
    env: Mapping[str, str] = field(default_factory=dict)
    step: StepPlace | None = None
    secrets: tuple[SecretSlot, ...] = ()
    retry: Retry | None = None  # None: one attempt
    limits: tuple[Limit, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> JobSpec:
        spec = RunSpec.from_json(data)
        if not isinstance(spec, JobSpec):
            raise SpecError("a routine's spec where a job's was expected")
        return spec

    @property
    def step_index(self) -> int:
        """The step's index in routine order (0 for a job run)."""
        return self.step.index if self.step is not None else 0

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "version": SPEC_VERSION, "job": self.job, "command": self.command, "executable": self.executable,
            "argv": list(self.argv), "display_argv": list(self.display_argv), "requires_root": self.requires_root,
            **self._common(), "timeout": self.timeout, "kill_grace": self.kill_grace, "env": dict(self.env),
        }
        if self.step is not None:
            data["step"] = {"id": self.step.id, "index": self.step.index, "after": list(self.step.after)}
        if self.secrets:
            data["version"] = SECRETS_SPEC_VERSION
            data["secrets"] = [slot.to_json() for slot in self.secrets]
        if self.retry is not None:
            data["retry"] = self.retry.to_json()
        if self.limits:  # only when limited: a spec of a run without limits reads as before
            data["limits"] = [limit.to_json() for limit in self.limits]
        return data | self._extra()


@dataclass(frozen=True, kw_only=True)
class RoutineSpec(RunSpec):
    """A routine run: its steps as submitted (each step's own run has a JobSpec), its limits."""

    routine: str
    steps: tuple[RoutineStep, ...]
    concurrency: int
    timeout: float | None = None  # the whole run's; None: no limit

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RoutineSpec:
        spec = RunSpec.from_json(data)
        if not isinstance(spec, RoutineSpec):
            raise SpecError("a job's spec where a routine's was expected")
        return spec

    def to_json(self) -> dict[str, object]:
        return {
            "version": SPEC_VERSION, "routine": self.routine, **self._common(),
            "steps": [{"id": s.id, "job": s.job, "after": list(s.after)} for s in self.steps],
            "concurrency": self.concurrency, "timeout": self.timeout,
        } | self._extra()


def _job_spec(data: Mapping[str, object]) -> JobSpec:
    argv = _strings(data, "argv")
    step = _object(data, "step")
    return JobSpec(
        job=_text(data, "job", ""), command=_text(data, "command", ""), executable=_text(data, "executable", ""),
        argv=argv, display_argv=_strings(data, "display_argv", argv), requires_root=_flag(data, "requires_root"),
        workdir=_text(data, "workdir"), task_queue=_text(data, "task_queue", ""), timeout=_number(data, "timeout"),
        kill_grace=_number(data, "kill_grace"), env=_text_map(data, "env"), schedule=_schedule(data),
        step=None if step is None else StepPlace(_text(step, "id"), _whole(step, "index", 0), _strings(step, "after")),
        secrets=_secret_slots(data), retry=_retry(data), limits=_limits(data), inputs=_inputs(data),
        secret_inputs=_strings(data, "secret_inputs"),
    )


def _retry(data: Mapping[str, object]) -> Retry | None:
    found = _object(data, "retry")
    return None if found is None else Retry.from_json(found)


def _limits(data: Mapping[str, object]) -> tuple[Limit, ...]:
    found = data.get("limits", [])
    if not isinstance(found, list) or not all(isinstance(x, dict) for x in found):
        raise SpecError("run spec: 'limits' should be a list of objects")
    return tuple(Limit(_text(x, "key"), _text(x, "label", ""), _whole(x, "most", 1)) for x in found)


def _inputs(data: Mapping[str, object]) -> dict[str, InputValue]:
    value = data.get("inputs", {})
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str) or (
                isinstance(v, list) and all(isinstance(i, str) for i in v))) for k, v in value.items()):
        raise _wrong("inputs", "an object of strings or lists of strings", value)
    return {str(k): v for k, v in value.items()}


def _secret_slots(data: Mapping[str, object]) -> tuple[SecretSlot, ...]:
    slots = data.get("secrets", [])
    if not isinstance(slots, list) or not all(isinstance(s, dict) for s in slots):
        raise SpecError("run spec: 'secrets' should be a list of objects")
    return tuple(SecretSlot(_whole(s, "index", 0), _text(s, "prefix", ""), _text(s, "value"), _text(s, "flag", ""),
                            _text(s, "delivery", "argv"), _text(s, "template", "")) for s in slots)


def _routine_spec(data: Mapping[str, object]) -> RoutineSpec:
    steps = data.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise SpecError(f"run spec: 'steps' should be a list of objects, not {steps!r}")
    timeout = data.get("timeout")
    return RoutineSpec(
        routine=_text(data, "routine"), workdir=_text(data, "workdir"), task_queue=_text(data, "task_queue", ""),
        steps=tuple(RoutineStep(_text(s, "id"), _text(s, "job"), _strings(s, "after")) for s in steps),
        concurrency=_whole(data, "concurrency", 1), timeout=None if timeout is None else _number(data, "timeout"),
        schedule=_schedule(data), inputs=_inputs(data), secret_inputs=_strings(data, "secret_inputs"),
    )


def _schedule(data: Mapping[str, object]) -> ScheduleFire | None:
    found = _object(data, "schedule")
    return None if found is None else ScheduleFire(_text(found, "name", ""), _text(found, "fire", ""))


class _Missing:
    pass


_MISSING = _Missing()


def _get(data: Mapping[str, object], key: str, default: T | _Missing, wanted: str) -> object | T:
    if key in data:
        return data[key]
    if isinstance(default, _Missing):
        raise SpecError(f"run spec: {key!r} is missing ({wanted} expected)")
    return default


def _wrong(key: str, wanted: str, value: object) -> SpecError:
    return SpecError(f"run spec: {key!r} should be {wanted}, not {value!r}")


def _text(data: Mapping[str, object], key: str, default: str | _Missing = _MISSING) -> str:
    value = _get(data, key, default, "a string")
    if not isinstance(value, str):
        raise _wrong(key, "a string", value)
    return value


def _number(data: Mapping[str, object], key: str, default: float | _Missing = _MISSING) -> float:
    value = _get(data, key, default, "a number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(key, "a number", value)
    return float(value)


def _whole(data: Mapping[str, object], key: str, default: int) -> int:
    value = _get(data, key, default, "an integer")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(key, "an integer", value)
    return value


def _flag(data: Mapping[str, object], key: str) -> bool:
    return bool(_get(data, key, False, "true or false"))


def _strings(data: Mapping[str, object], key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = _get(data, key, default, "a list of strings")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _wrong(key, "a list of strings", value)
    return tuple(str(v) for v in value)


def _text_map(data: Mapping[str, object], key: str) -> dict[str, str]:
    value = _get(data, key, {}, "an object of strings")
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _wrong(key, "an object of strings", value)
    return {str(k): str(v) for k, v in value.items()}


def _object(data: Mapping[str, object], key: str) -> Mapping[str, object] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong(key, "an object", value)
    return {str(k): v for k, v in value.items()}


# -- what the client, the workflows and the activities pass each other ---------------------------
# JSON through Temporal's dataclass converter: field names are part of every running workflow's history.


@dataclass(frozen=True)
class RoutinePlan:
    """A routine run's DAG by step index: what ``create_routine_run`` plans and the routine workflow runs.

    ``queues`` are the distinct task queues in order of first use, ``queue_of`` each step's index
    into them, ``after`` the indices of the steps each runs after. ``statuses`` carries progress
    across continue-as-new ("" for a step not final yet). ``timeout`` limits the whole run from
    its workflow's start (0: no limit); ``deadline`` is then that start plus the timeout, in POSIX
    seconds of workflow time: 0 until the workflow's first run sets it, then carried across
    continue-as-new (``dataclasses.replace``). ``retried``: the steps with a retry policy, each run
    on its own as a child job workflow (its waits are that workflow's timers), never in a segment.
    ``slots`` lists the steps that need a slot of a concurrency limit, ``limits`` those limits.
    Those default, so histories written before they existed still replay.
    """

    run_id: str
    step_ids: list[str]
    queues: list[str]
    queue_of: list[int]
    after: list[list[int]]
    timeouts: list[float]
    kill_grace: float
    concurrency: int
    statuses: list[str] = field(default_factory=list)
    timeout: float = 0.0
    deadline: float = 0.0
    retried: list[int] = field(default_factory=list)
    slots: list[StepSlots] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)


@dataclass(frozen=True)
class StepSlots:
    """A step of a routine whose job or executable is limited: it runs alone, once it holds a slot of each limit.

    ``index`` is the step's in routine order, ``limits`` the indices of its limits in the plan's
    ``limits`` (each limit is in a plan once, however many steps it limits: the plan stays small).
    """

    index: int
    limits: list[int]


@dataclass(frozen=True)
class JobInput:
    """A job run's workflow input: its record holds the rest (``limits`` defaults: older histories replay)."""

    run_id: str
    timeout: float
    kill_grace: float
    limits: list[Limit] = field(default_factory=list)  # the slots it takes before it starts


@dataclass(frozen=True)
class JobAttempt:
    """One try at a job; ``reap_*`` name the process groups a lost try left (host, [[pid, ticks]])."""

    run_id: str
    reap_host: str = ""
    reap_groups: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class JobProgress:
    """What a job's first second came to: its final status, or ``running`` and who watches it now.

    ``again`` >= 0: the attempt ended ``status`` and its retry policy asks for another after that
    many seconds (the run's record stays open); -1: ``status`` is the run's own.
    """

    status: RunStatus
    exit_code: int | None = None
    queue: str = ""
    host: str = ""
    groups: list[list[int]] = field(default_factory=list)
    again: float = -1.0


@dataclass(frozen=True)
class Watch:
    """Follow a job to its end; ``stop``: stop it at once (its run was cancelled before the watch)."""

    run_id: str
    stop: bool = False


@dataclass(frozen=True)
class StepsInput:
    """One segment of a routine: steps on one task queue, run by one activity as a small DAG."""

    run_id: str
    step_ids: list[str]
    concurrency: int


# A segment's result: each of its steps' status by step id (a JSON object, as the histories of
# routines already running hold it). A step a lost attempt left open is absent or not final.
SegmentStatuses = dict[str, RunStatus]


@dataclass(frozen=True)
class FinishRunInput:
    """Close a job run no attempt closed, with this status and reason."""

    run_id: str
    status: RunStatus
    error: str


@dataclass(frozen=True)
class FinishRoutineInput:
    """Close a routine: ``steps`` are the statuses the workflow holds for the steps not succeeded
    ("" or dispatched when it never heard); ``timed_out`` says why when it ran past its timeout."""

    run_id: str
    cancelled: bool
    steps: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    timed_out: str = ""


@dataclass(frozen=True)
class JobResult:
    """How a job run ended: the job workflow's result, and its watching activity's."""

    run_id: str
    status: RunStatus
    exit_code: int | None = None
    again: float = -1.0  # as JobProgress's: another attempt follows after that many seconds


@dataclass(frozen=True)
class RoutineResult:
    """How a routine run ended, with how many of its steps ended in each status."""

    run_id: str
    status: RunStatus
    steps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, when nothing more is known (a schedule's fire reports its run so)."""

    run_id: str
    status: RunStatus


# -- one fire of a schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledInput:
    """What a schedule's action passes: the schedule's name; its target as it was when written.

    The target is only for people reading Temporal's history: at each fire the activity reads the
    schedule from OTO's database, which decides.
    """

    schedule: str
    kind: str
    target: str


@dataclass(frozen=True)
class StartScheduledRunInput:
    schedule: str
    fire_id: str


@dataclass(frozen=True)
class ScheduledStart:
    """The run one fire made, and the workflow input that runs it."""

    run_id: str
    kind: str
    target: str
    task_queue: str
    job: JobInput | None = None
    routine: RoutinePlan | None = None


# -- after a run: notifications, retention ------------------------------------------------------------


@dataclass(frozen=True)
class NotifyInput:
    """The deliveries one run's end calls for: ``[notification name, run id]`` pairs (a routine's
    own, and its steps' for notifications naming a step's job)."""

    run_id: str
    deliveries: list[list[str]]


@dataclass(frozen=True)
class DeliverInput:
    notification: str
    run_id: str


@dataclass(frozen=True)
class PruneInput:
    """A prune of final runs older than ``older_than`` seconds (the retention schedule's)."""

    older_than: float


# -- slots of concurrency limits (oto.engine.slots) -------------------------------------------------


@dataclass(frozen=True)
class SlotRequest:
    """Ask the semaphore of ``limit`` for a slot: for run ``ticket``, held by workflow ``holder``.

    ``since`` (POSIX seconds) orders the line: when the run was submitted, or when a step became ready.
    """

    limit: Limit
    holder: str
    ticket: str
    since: float
    task_queue: str


@dataclass(frozen=True)
class SlotGrant:
    """The semaphore's answer: ``ticket`` holds a slot of ``key`` now."""

    key: str
    ticket: str


@dataclass(frozen=True)
class SlotRelease:
    """A holder gives its slot back, or a waiting run leaves the line."""

    ticket: str


@dataclass(frozen=True)
class SlotWaiter:
    """One run in a semaphore's line, or holding one of its slots."""

    holder: str
    ticket: str
    since: float
    arrived: int
    at: float = 0.0  # when its request reached the semaphore (workflow time, POSIX seconds)


@dataclass
class SlotsState:
    """A semaphore's whole state: what it carries across continue-as-new."""

    limit: Limit
    holders: list[SlotWaiter] = field(default_factory=list)
    waiting: list[SlotWaiter] = field(default_factory=list)
    arrived: int = 0
