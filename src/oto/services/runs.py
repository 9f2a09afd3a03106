"""Run records: the immutable spec of every run, its status transitions and results, and queries.

Every run goes through Temporal: this module only writes and reads records. A run's spec
(``oto.domain.runs.RunSpec``) is frozen here at submission (editing the job later never changes a
queued run); the engine starts the workflow, and the worker that runs the job writes what
happened. Every final write is conditional on the record not being final yet, so a retried
attempt can never write a second final record over the first.

Only workers write a run's outcome. The one exception is ``close_orphan``: a record no workflow
will ever close (Temporal refused to start it, has no workflow to cancel, or its workflow ended
without closing it) is closed by whoever finds it so, through that one operation.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, cast

from sqlalchemy import JSON, Select, Table, bindparam, case, delete, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session, defer

from oto.domain import artifacts as artifact_names
from oto.domain.documents import Value
from oto.domain.models import Run, RunAttempt
from oto.domain.runs import FINAL as FINAL  # re-exported: the interfaces read them here
from oto.domain.runs import (
    OPEN,
    JobSpec,
    Limit,
    Retry,
    RoutineSpec,
    RoutineStep,
    RunKind,
    RunSpec,
    RunStatus,
    StepPlace,
    StepSlots,
)
from oto.domain.runs import SPEC_VERSION as SPEC_VERSION
from oto.domain.runs import RoutinePlan as RoutinePlan
from oto.domain.runs import step_run_id as step_run_id  # the routine workflow needs it too
from oto.errors import InvalidInput, NotFound, Refused
from oto.services import jobs, lookups, routines
from oto.settings import Settings, get_settings

# The run contract's statuses and kinds, under the names the interfaces use (a str enum equals its value).
QUEUED, RUNNING = RunStatus.QUEUED, RunStatus.RUNNING
SUCCEEDED, FAILED, TIMED_OUT = RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.TIMED_OUT
CANCELLED, SKIPPED = RunStatus.CANCELLED, RunStatus.SKIPPED
STATUSES = tuple(RunStatus)
KINDS = tuple(RunKind)
# The database keeps the first MiB of each stream; the run folder keeps them whole.
OUTPUT_LIMIT = 1 << 20
MAX_LIMIT = 1000
# A run's timeout is at most a year: beyond that it is a typo, and Temporal's timers overflow.
MAX_TIMEOUT = 365 * 86400.0


def now() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex}"


def check_timeout(timeout: float | None) -> float | None:
    """A job's or a routine's timeout: None (the default), or a positive number of seconds up to a year."""
    if timeout is None:
        return None
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise InvalidInput(
            f"the timeout must be a positive number of seconds, at most {MAX_TIMEOUT:.0f} (a year), not {timeout}")
    return float(timeout)


def privileged_argv(argv: list[str], *, requires_root: bool, job: str, is_root: bool, allow_sudo: bool) -> list[str]:
    """The argv to execute under the root policy, or Refused before anything starts.

    Root jobs run as they are on a root worker, through ``sudo -n`` (never prompting) only when
    the worker allows it, and are refused otherwise.
    """
    if not requires_root or is_root:
        return argv
    if allow_sudo:
        return ["sudo", "-n", "--", *argv]
    raise Refused(
        f"job {job!r} needs root: run the worker as root, or set OTO_ALLOW_SUDO=1 to let it use sudo -n"
    )


def job_spec(resolved: jobs.ResolvedJob, run_id: str, folder: str, timeout: float | None,
             settings: Settings) -> JobSpec:
    return JobSpec(
        job=resolved.name, command=resolved.command, executable=resolved.executable_tag,
        argv=tuple(resolved.argv), display_argv=tuple(resolved.masked_argv), requires_root=resolved.requires_root,
        workdir=f"runs/{folder}", timeout=timeout if timeout is not None else settings.run_timeout,
        kill_grace=settings.kill_grace, task_queue=resolved.task_queue or settings.task_queue,
        env={"OTO_RUN_ID": run_id, "OTO_JOB": resolved.name}, secrets=tuple(resolved.secrets), retry=resolved.retry,
        limits=tuple(resolved.limits), inputs=dict(resolved.inputs), secret_inputs=resolved.secret_inputs,
    )


def queued_row(run_id: str, kind: RunKind, spec: RunSpec, trigger: str, settings: Settings,
               created: datetime, **fields: Any) -> dict[str, Any]:
    return {
        # plain strings, as a record read back holds them
        "id": run_id, "kind": kind.value, "trigger": trigger, "status": QUEUED.value, "spec": spec.to_json(),
        "argv": list(spec.display_argv) if isinstance(spec, JobSpec) else [], "task_queue": spec.task_queue,
        "workdir": str(settings.home / spec.workdir), "created_at": created,
        "stdout": "", "stderr": "", "artifacts": [], "attempts": 0, **fields,
    }


def create_job_run(db: Session, job: str, *, trigger: str = "cli", timeout: float | None = None,
                   rerun_of: str | None = None, values: Mapping[str, Value] | None = None) -> Run:
    """A queued Run holding the job's immutable spec, with the input ``values``; the caller starts its workflow.

    ``rerun_of``: the run this one repeats (``oto run rerun``), named in the new record.
    """
    settings = get_settings()
    timeout = check_timeout(timeout)
    resolved = jobs.resolve(db, job, given=values)
    run_id = new_run_id()
    spec = job_spec(resolved, run_id, run_id, timeout, settings)
    run = Run(**queued_row(run_id, RunKind.JOB, spec, trigger, settings, now(), job_name=resolved.name,
                           rerun_of=rerun_of))
    db.add(run)
    db.flush()
    return run


def create_routine_run(db: Session, routine: str, *, trigger: str = "cli", timeout: float | None = None,
                       rerun_of: str | None = None, failed_only: bool = False,
                       values: Mapping[str, Value] | None = None) -> RoutinePlan:
    """A queued routine Run and one queued step Run per step (one statement), and the plan to run.

    ``timeout`` limits the whole run (its steps keep their jobs' own timeouts too); ``values`` are
    the routine's inputs, passed to its steps' job inputs as each step's ``with`` says. ``rerun_of``:
    the run this one repeats; with ``failed_only``, the new run works in that run's folder and
    the steps that succeeded there (and run after no step run again) are carried over: recorded
    succeeded, marked so, and not run.
    """
    settings = get_settings()
    timeout = check_timeout(timeout)
    found = lookups.routine(db, routine)
    chosen = jobs.input_values(f"routine {found.name}", found.inputs, values or {})
    run_id = new_run_id()
    created = now()
    folder = run_id  # every step of a routine run works in the routine's folder
    carried: dict[str, Run] = {}
    if rerun_of is not None and failed_only:
        folder, carried = _carried_over(db, rerun_of, found.steps)
    resolved: dict[tuple[str, str], jobs.ResolvedJob] = {}
    rows = []
    index = {s.step_id: i for i, s in enumerate(found.steps)}
    queues: list[str] = []
    queue_of: list[int] = []
    timeouts: list[float] = []
    retried: list[int] = []
    slots: list[StepSlots] = []
    limits: list[Limit] = []
    secret: set[str] = set()
    for i, step in enumerate(found.steps):
        given = routines.step_values(step.bindings, chosen)
        key = (step.job.name, json.dumps(given, sort_keys=True))
        if key not in resolved:
            where = f"routine {routine!r} step {step.step_id!r}"
            try:
                resolved[key] = jobs.resolve(db, step.job.name, given=given, where=where)
            except InvalidInput as error:
                raise (error if error.message.startswith(where) else error.within(where)) from None
        secret |= routines.secret_bound(step.bindings, resolved[key].secret_inputs)
        sid = step_run_id(run_id, step.step_id)
        spec = job_spec(resolved[key], sid, folder, None, settings)
        spec = replace(spec, env={**spec.env, "OTO_ROUTINE_RUN_ID": run_id},
                       step=StepPlace(step.step_id, i, tuple(step.after)),
                       retry=jobs.policy(step.retry) if step.retry is not None else spec.retry)
        if spec.task_queue not in queues:
            queues.append(spec.task_queue)
        queue_of.append(queues.index(spec.task_queue))
        timeouts.append(spec.timeout)
        if spec.retry is not None:
            retried.append(i)
        row = queued_row(sid, RunKind.STEP, spec, trigger, settings, created, job_name=step.job.name,
                         routine_name=found.name, parent_id=run_id, step_id=step.step_id)
        if carried:  # one statement inserts every row: each names the same columns
            row |= _carried_row(carried[step.step_id]) if step.step_id in carried else _NOT_CARRIED
        rows.append(row)
        if spec.limits:
            slots.append(StepSlots(i, [_index(limits, limit) for limit in spec.limits]))
    routine_spec = RoutineSpec(
        routine=found.name, workdir=f"runs/{folder}", task_queue=queues[0],
        steps=tuple(RoutineStep(s.step_id, s.job.name, tuple(s.after)) for s in found.steps),
        concurrency=settings.routine_concurrency, timeout=timeout,
        inputs=routines.sealed_inputs(chosen, secret, f"routine {routine!r}"), secret_inputs=tuple(sorted(secret)),
    )
    db.add(Run(**queued_row(run_id, RunKind.ROUTINE, routine_spec, trigger, settings, created,
                            routine_name=found.name, rerun_of=rerun_of)))
    db.flush()
    db.execute(insert(cast(Table, Run.__table__)), rows)
    return RoutinePlan(
        run_id=run_id, step_ids=[s.step_id for s in found.steps], queues=queues, queue_of=queue_of,
        after=[[index[a] for a in s.after] for s in found.steps], timeouts=timeouts,
        kill_grace=settings.kill_grace, concurrency=settings.routine_concurrency, timeout=timeout or 0.0,
        statuses=[SUCCEEDED.value if s.step_id in carried else "" for s in found.steps] if carried else [],
        retried=retried, slots=slots, limits=limits,
    )


def _carried_over(db: Session, rerun_of: str, steps: Sequence[Any]) -> tuple[str, dict[str, Run]]:
    """The folder of routine run ``rerun_of`` and its step runs a failed-only rerun carries over: those
    that succeeded, unless they run after a step that runs again (by step id, in the routine as it is now)."""
    original = db.get(Run, rerun_of)
    if original is None:
        raise NotFound(f"no run {rerun_of!r}")
    folder = PurePosixPath(RoutineSpec.from_json(original.spec).workdir).name
    succeeded = {r.step_id: r for r in db.scalars(
        select(Run).where(Run.parent_id == rerun_of, Run.status == SUCCEEDED))}
    kept = {s.step_id for s in steps if s.step_id in succeeded}
    changed = True
    while changed:  # a step after one that runs again runs again too
        changed = False
        for step in steps:
            if step.step_id in kept and any(dep not in kept for dep in step.after):
                kept.discard(step.step_id)
                changed = True
    if len(kept) == len(steps):
        raise InvalidInput(f"run {rerun_of!r}: every step of it succeeded, so a failed-only rerun has nothing to run")
    return folder, {sid: succeeded[sid] for sid in kept}


_NOT_CARRIED: dict[str, Any] = {"carried_over": False, "rerun_of": None, "exit_code": None, "worker": None,
                                "started_at": None, "finished_at": None, "artifacts_total": None}


def _carried_row(original: Run) -> dict[str, Any]:
    """A step's record carried over from the run it repeats: succeeded there, not run again."""
    return {"status": SUCCEEDED.value, "carried_over": True, "rerun_of": original.id, "exit_code": original.exit_code,
            "argv": list(original.argv), "worker": original.worker, "started_at": original.started_at,
            "finished_at": original.finished_at, "stdout": original.stdout, "stderr": original.stderr,
            "artifacts": list(original.artifacts), "artifacts_total": original.artifacts_total}


@dataclass(frozen=True)
class RerunSource:
    """What ``oto run rerun`` submits again: a job or routine run's target, its timeout, and the input
    values it ran with (as stored: secret ones sealed)."""

    run_id: str
    kind: RunKind
    name: str
    timeout: float | None
    values: dict[str, Any] = field(default_factory=dict)


def rerun_source(db: Session, given: str, *, failed_only: bool = False) -> RerunSource:
    """The run ``given`` names, checked to be one a rerun can repeat, or one sentence why not."""
    run_id = resolve_id(db, given)
    run = db.get(Run, run_id, options=[defer(Run.stdout), defer(Run.stderr)])
    assert run is not None
    if run.kind == RunKind.STEP:
        raise InvalidInput(f"run {run_id!r} is a step of routine run {run.parent_id!r}: rerun the routine run "
                           "(--failed-only runs its steps that did not succeed)")
    if failed_only and run.kind != RunKind.ROUTINE:
        raise InvalidInput(f"--failed-only reruns the failed steps of a routine run; run {run_id!r} is a job run")
    if failed_only and not RunStatus(run.status).final:
        raise InvalidInput(f"run {run_id!r} has not ended ({run.status}): a failed-only rerun works in its folder, "
                           "so it waits for its end")
    if run.kind == RunKind.ROUTINE:
        spec = RoutineSpec.from_json(run.spec)
        return RerunSource(run_id, RunKind.ROUTINE, str(run.routine_name), spec.timeout, dict(spec.inputs))
    if run.job_name is None:
        raise InvalidInput(f"run {run_id!r} ran an ad-hoc combination, not a saved job: there is no job to run again")
    job_spec_ = JobSpec.from_json(run.spec)
    return RerunSource(run_id, RunKind.JOB, run.job_name, job_spec_.timeout, dict(job_spec_.inputs))


def _index(found: list[Limit], limit: Limit) -> int:
    """``limit``'s place in ``found``, added at the end the first time (a plan holds each limit once)."""
    if limit not in found:
        found.append(limit)
    return found.index(limit)


def plan_of(db: Session, run_id: str) -> RoutinePlan:
    """The plan of a routine run already recorded, rebuilt from its records (a retried schedule fire)."""
    run = db.get(Run, run_id, options=[defer(Run.stdout), defer(Run.stderr)])
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    spec = RoutineSpec.from_json(run.spec)
    steps = load_steps(db, run_id)
    limits: list[Limit] = []
    index = {p.step_id: i for i, p in enumerate(steps)}
    queues: list[str] = []
    queue_of: list[int] = []
    for pending in steps:
        if pending.spec.task_queue not in queues:
            queues.append(pending.spec.task_queue)
        queue_of.append(queues.index(pending.spec.task_queue))
    return RoutinePlan(
        run_id=run_id, step_ids=[str(p.step_id) for p in steps], queues=queues or [spec.task_queue],
        queue_of=queue_of,
        after=[[index[a] for a in (p.spec.step.after if p.spec.step else ())] for p in steps],
        timeouts=[p.spec.timeout for p in steps], kill_grace=steps[0].spec.kill_grace if steps else 0.0,
        concurrency=spec.concurrency, timeout=spec.timeout or 0.0,
        retried=[i for i, p in enumerate(steps) if p.spec.retry is not None],
        slots=[StepSlots(i, [_index(limits, limit) for limit in p.spec.limits])
               for i, p in enumerate(steps) if p.spec.limits], limits=limits,
    )


def discard(db: Session, run_id: str) -> None:
    """Forget a queued run that never reached Temporal (and its steps), as if never submitted."""
    db.execute(delete(Run).where(Run.parent_id == run_id, Run.status == QUEUED))
    db.execute(delete(Run).where(Run.id == run_id, Run.status == QUEUED))


# -- written by the worker ---------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one run, as the worker records it."""

    run_id: str
    status: RunStatus
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stdout: str = ""
    stderr: str = ""
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    worker: str | None = None
    artifacts_total: int | None = None  # the files it made in all, when more than ``artifacts`` lists
    argv: list[str] | None = None
    workdir: str | None = None
    retryable: bool = True  # False: a refusal (the program could not start), never tried again


@dataclass(frozen=True)
class Pending:
    """A run as a worker finds it before running it."""

    run_id: str
    status: RunStatus
    spec: JobSpec
    step_id: str | None
    exit_code: int | None
    created_at: datetime | None = None
    parent_id: str | None = None


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL; programs print anything.
    return value.replace("\x00", "\ufffd")


def load(db: Session, run_id: str) -> Pending:
    run = db.get(Run, run_id, options=[defer(Run.stdout), defer(Run.stderr)])
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    return Pending(run.id, RunStatus(run.status), JobSpec.from_json(run.spec), run.step_id, run.exit_code,
                   run.created_at, run.parent_id)


def load_steps(db: Session, parent_id: str, step_ids: Iterable[str] | None = None) -> list[Pending]:
    query = select(Run.id, Run.status, Run.spec, Run.step_id, Run.exit_code).where(Run.parent_id == parent_id)
    wanted = None if step_ids is None else set(step_ids)
    found = [Pending(rid, RunStatus(status), JobSpec.from_json(spec), step_id, exit_code)
             for rid, status, spec, step_id, exit_code in db.execute(query) if wanted is None or step_id in wanted]
    return sorted(found, key=lambda p: p.spec.step_index)


def _open(status: Any) -> Any:
    """Not final yet: spelled without IN so it also works in executemany statements."""
    return or_(*(status == s.value for s in sorted(OPEN)))


def start(db: Session, run_id: str, *, worker: str, argv: list[str], workdir: str, at: datetime) -> bool:
    """Mark a run running (one more attempt); False when it is already final and must not run."""
    result = db.execute(
        update(Run).where(Run.id == run_id, _open(Run.status))
        .values(status=RUNNING, worker=worker, argv=argv, workdir=workdir, started_at=at,
                attempts=Run.attempts + 1, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a run: ``argv`` to execute when ``status`` is running, else why not."""

    run_id: str
    status: RunStatus
    exit_code: int | None
    spec: JobSpec
    argv: list[str]
    submitted_at: datetime | None = None  # when the run was queued: its queue wait ends now
    refused: bool = False  # this claim ended the run failed: the root policy refused it


def claim(db: Session, run_id: str, *, worker: str, home: Path, is_root: bool, allow_sudo: bool) -> Claim:
    """Load a run and mark it running, in one transaction; a final run is left as it is.

    The root policy is checked here, on the worker that would run the job: a refused run ends
    ``failed`` with the reason, and nothing starts.
    """
    pending = load(db, run_id)
    if pending.status.final:
        return Claim(run_id, pending.status, pending.exit_code, pending.spec, [])
    spec = pending.spec
    try:
        argv = privileged_argv(list(spec.argv), requires_root=spec.requires_root, job=spec.job, is_root=is_root,
                               allow_sudo=allow_sudo)
    except Refused as refused:
        closed = finish(db, Outcome(run_id, FAILED, error=refused.message, finished_at=now(), worker=worker))
        return Claim(run_id, FAILED, None, spec, [], refused=closed)
    workdir = str(home / spec.workdir)
    if not start(db, run_id, worker=worker, argv=display_argv(argv, spec), workdir=workdir, at=now()):
        final = load(db, run_id)
        return Claim(run_id, final.status, final.exit_code, spec, [])
    if pending.parent_id is not None:  # a step run on its own (it has a retry policy): its routine runs now
        start_routine(db, pending.parent_id, worker=worker, at=now())
    return Claim(run_id, RUNNING, None, spec, argv, pending.created_at)


def _final_values(outcome: Outcome) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": outcome.status, "exit_code": outcome.exit_code, "finished_at": outcome.finished_at or now(),
        "stdout": _text(outcome.stdout), "stderr": _text(outcome.stderr), "artifacts": outcome.artifacts,
        "error": outcome.error, "artifacts_total": outcome.artifacts_total,
    }
    for key in ("started_at", "worker", "argv", "workdir"):
        if getattr(outcome, key) is not None:
            values[key] = getattr(outcome, key)
    return values


def finish(db: Session, outcome: Outcome) -> bool:
    """Write a run's final record; False (and nothing written) if it already has one."""
    if not RunStatus(outcome.status).final:
        raise ValueError(f"{outcome.status!r} is not a final status")
    result = db.execute(
        update(Run).where(Run.id == outcome.run_id, _open(Run.status))
        .values(**_final_values(outcome)).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Ended:
    """How one attempt's record ended: the status and exit code, and ``again`` >= 0 when another
    attempt follows after that many seconds (the run stays open), -1 when this was the run's end."""

    status: RunStatus
    exit_code: int | None
    again: float = -1.0
    closed: bool = False  # this call wrote the run's final record


def end_attempt(db: Session, outcome: Outcome, retry: Retry | None) -> Ended:
    """Record how one attempt of a run ended, under its retry policy.

    Without a policy this is ``finish``. With one, the attempt is written to ``run_attempts``;
    when the policy asks for another, the run stays open (its error says when the next starts);
    otherwise its final record is written. A write retried after a lost answer finds its attempt
    (same start) and decides the same.
    """
    if retry is None:
        if finish(db, outcome):
            return Ended(outcome.status, outcome.exit_code, closed=True)
        return _recorded(db, outcome.run_id)
    status = db.scalar(select(Run.status).where(Run.id == outcome.run_id))
    if status is None:
        raise NotFound(f"no run {outcome.run_id!r}")
    if RunStatus(status).final:
        return _recorded(db, outcome.run_id)
    last = db.execute(select(RunAttempt.number, RunAttempt.started_at).where(RunAttempt.run_id == outcome.run_id)
                      .order_by(RunAttempt.number.desc()).limit(1)).first()
    number = 1 if last is None else last.number + 1
    repeated = last is not None and outcome.started_at is not None and last.started_at == outcome.started_at
    if repeated:
        number -= 1
    again = outcome.retryable and retry.again(number, outcome.status)
    if not repeated:
        db.add(RunAttempt(run_id=outcome.run_id, number=number, status=outcome.status, exit_code=outcome.exit_code,
                          started_at=outcome.started_at, finished_at=outcome.finished_at or now(),
                          stdout=_text(outcome.stdout[:OUTPUT_LIMIT]), stderr=_text(outcome.stderr[:OUTPUT_LIMIT]),
                          error=outcome.error, worker=outcome.worker))
        db.flush()
    if not again:
        if finish(db, outcome):
            return Ended(outcome.status, outcome.exit_code, closed=True)
        return _recorded(db, outcome.run_id)
    wait = retry.wait_after(number)
    code = f", exit {outcome.exit_code}" if outcome.exit_code is not None else ""
    db.execute(update(Run).where(Run.id == outcome.run_id, _open(Run.status)).values(
        error=f"attempt {number} of {retry.attempts} ended {outcome.status}{code}; attempt {number + 1} "
              f"starts {wait:g}s after it").execution_options(synchronize_session=False))
    return Ended(RunStatus(outcome.status), outcome.exit_code, wait)


def _recorded(db: Session, run_id: str) -> Ended:
    row = db.execute(select(Run.status, Run.exit_code).where(Run.id == run_id)).one()
    return Ended(RunStatus(row.status), row.exit_code)


def close_orphan(db: Session, run_id: str, status: RunStatus, reason: str) -> bool:
    """Close a record no workflow will ever close, and its steps still open; False if it was closed already.

    The one final write outside a worker: for a run Temporal refused to start, one whose workflow
    is not found when it is cancelled, or one whose workflow ended without closing it (terminated
    by hand, or timed out). Its open steps end with the same status and reason.
    """
    if not status.final:
        raise ValueError(f"{status!r} is not a final status")
    at = now()
    db.execute(update(Run).where(Run.parent_id == run_id, _open(Run.status))
               .values(status=status, error=reason, finished_at=at).execution_options(synchronize_session=False))
    return finish(db, Outcome(run_id, status, finished_at=at, error=reason))


@dataclass(frozen=True)
class Started:
    run_id: str
    worker: str
    argv: list[str]
    workdir: str
    at: datetime


def record_steps(db: Session, started: Sequence[Started], finished: Sequence[tuple[Outcome, bool]]) -> None:
    """Many step transitions in one transaction (a routine's throughput is its commits).

    ``finished`` pairs an outcome with whether it also counts an attempt (its start was never
    written on its own). Like ``start`` and ``finish``, nothing overwrites a final record.
    """
    table = cast(Table, Run.__table__)
    c = table.c
    not_final = _open(c.status)
    if started:
        db.execute(
            update(table).where(c.id == _p("rid", c.id), not_final).values(
                status=RUNNING, worker=_p("w", c.worker), argv=_p("a", c.argv), workdir=_p("d", c.workdir),
                started_at=_p("t", c.started_at),
                # the same start written twice (a retried commit whose answer was lost) counts once
                attempts=c.attempts + case((c.started_at.is_distinct_from(_p("t", c.started_at)), 1), else_=0)),
            [{"rid": s.run_id, "w": s.worker, "a": s.argv, "d": s.workdir, "t": s.at} for s in started],
        )
    if finished:
        rows = []
        for outcome, counts in finished:
            values = _final_values(outcome)
            rows.append({
                "rid": outcome.run_id, "s": values["status"], "x": values["exit_code"], "f": values["finished_at"],
                "o": values["stdout"], "e": values["stderr"], "r": values["artifacts"], "m": values["error"],
                "t": outcome.started_at, "w": outcome.worker, "a": outcome.argv, "d": outcome.workdir,
                "n": 1 if counts else 0, "c": values["artifacts_total"],
            })
        db.execute(
            update(table).where(c.id == _p("rid", c.id), not_final).values(
                status=_p("s", c.status), exit_code=_p("x", c.exit_code), finished_at=_p("f", c.finished_at),
                stdout=_p("o", c.stdout), stderr=_p("e", c.stderr), artifacts=_p("r", c.artifacts),
                artifacts_total=_p("c", c.artifacts_total), error=_p("m", c.error),
                # a step that started and ended between two flushes has its start written here
                started_at=func.coalesce(_p("t", c.started_at), c.started_at),
                worker=func.coalesce(_p("w", c.worker), c.worker),
                argv=func.coalesce(bindparam("a", type_=JSON(none_as_null=True)), c.argv),
                workdir=func.coalesce(_p("d", c.workdir), c.workdir),
                attempts=c.attempts + _p("n", c.attempts)),
            rows,
        )


def _p(name: str, column: Any) -> Any:
    """A parameter typed like its column, so JSON and times bind as the column expects."""
    return bindparam(name, type_=column.type)


def start_routine(db: Session, run_id: str, *, worker: str, at: datetime) -> datetime | None:
    """Mark a queued routine running; when it was queued if this call started it, else None (it runs already)."""
    queued_at = db.scalar(select(Run.created_at).where(Run.id == run_id, Run.status == QUEUED))
    if queued_at is None:
        return None
    moved = db.execute(
        update(Run).where(Run.id == run_id, Run.status == QUEUED)
        .values(status=RUNNING, worker=worker, started_at=at, attempts=Run.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return queued_at if getattr(moved, "rowcount", 0) else None


def routine_status(step_statuses: Iterable[str], *, cancelled: bool, timed_out: bool = False) -> RunStatus:
    if cancelled:
        return CANCELLED
    if timed_out:
        return TIMED_OUT
    return SUCCEEDED if all(s == SUCCEEDED for s in step_statuses) else FAILED


@dataclass(frozen=True)
class RoutineEnd:
    status: RunStatus
    closed: bool  # this call closed it (an earlier attempt had not)
    started_at: datetime | None


# What a segment's activity writes for the steps a cancellation stopped, or stopped from starting.
_CANCEL_ERRORS = ("cancelled", "cancelled before it started")


def finish_routine(db: Session, run_id: str, *, cancelled: bool, steps: Mapping[str, str],
                   errors: dict[str, str] | None = None, timed_out: str = "") -> RoutineEnd:
    """Close the steps still open with the status the workflow decided, then the routine.

    ``timed_out`` (why, when the routine ran past its timeout) ends it ``timed_out``: the steps
    still open are closed ``cancelled``, and the steps its segments' cancellation ended say why.
    """
    errors = errors or {}
    started_at = db.scalar(select(Run.started_at).where(Run.id == run_id))
    at = now()
    table = cast(Table, Run.__table__)
    still_open = db.execute(select(Run.id, Run.step_id).where(Run.parent_id == run_id, _open(Run.status))).all()
    closing = []
    stopped = cancelled or bool(timed_out)
    for step_run, step_id in still_open:
        said = steps.get(step_id or "") or (CANCELLED if stopped else SKIPPED)
        status = RunStatus(said) if said in FINAL else CANCELLED if stopped else FAILED
        closing.append({"rid": step_run, "s": status, "m": errors.get(step_id or "") or _why(status), "f": at})
    if closing:
        db.execute(update(table).where(table.c.id == _p("rid", table.c.id), _open(table.c.status)).values(
            status=_p("s", table.c.status), error=_p("m", table.c.error), finished_at=_p("f", table.c.finished_at)),
            closing)
    if timed_out and not cancelled:
        _say_why_cancelled(db, run_id, timed_out)
    final = [s for (s,) in db.execute(select(Run.status).where(Run.parent_id == run_id))]
    status = routine_status(final, cancelled=cancelled, timed_out=bool(timed_out))
    failed = sorted({s for s in final if s != SUCCEEDED})
    error = None if status == SUCCEEDED else timed_out if status == TIMED_OUT else (
        f"steps ended {', '.join(failed)}" if failed else status)
    if not finish(db, Outcome(run_id=run_id, status=status, finished_at=at, error=error)):
        return RoutineEnd(RunStatus(db.scalar(select(Run.status).where(Run.id == run_id)) or status), False,
                          started_at)
    return RoutineEnd(status, True, started_at)


def _say_why_cancelled(db: Session, run_id: str, why: str) -> None:
    """Add why to the steps a timed-out routine's cancellation ended (only their error, in its closing write)."""
    table = cast(Table, Run.__table__)
    stopped = db.execute(select(Run.id, Run.error).where(
        Run.parent_id == run_id, Run.status == CANCELLED, Run.error.in_(_CANCEL_ERRORS))).all()
    if stopped:
        db.execute(update(table).where(table.c.id == _p("rid", table.c.id), table.c.status == CANCELLED)
                   .values(error=_p("m", table.c.error)),
                   [{"rid": rid, "m": f"{error}: {why}"} for rid, error in stopped])


def _why(status: RunStatus) -> str:
    return {SKIPPED: "skipped: a step it runs after did not succeed", CANCELLED: "cancelled before it started"}.get(
        status, status)


# -- queries -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat()


def view(run: Run, *, full: bool = True, tried: Mapping[str, Sequence[RunAttempt]] | None = None) -> dict[str, Any]:
    """One run as the CLI and the API show it (secret values stay masked in argv).

    ``starts``: how many times a worker started it; in full, ``attempts``: each try of its retry
    policy (``tried``: the recorded ones, by run id).
    """
    started, finished = run.started_at, run.finished_at
    spec = RunSpec.from_json(run.spec)
    if started is not None and finished is not None:
        duration: float | None = round((finished - started).total_seconds(), 3)
    else:
        duration = None
    data: dict[str, Any] = {
        "run_id": run.id, "kind": run.kind, "status": run.status, "job": run.job_name,
        "routine": run.routine_name, "step": run.step_id, "parent_id": run.parent_id, "trigger": run.trigger,
        "exit_code": run.exit_code, "argv": list(run.argv), "workdir": run.workdir, "task_queue": run.task_queue,
        "worker": run.worker, "starts": run.attempts, "created_at": _iso(run.created_at),
        "started_at": _iso(started), "finished_at": _iso(finished), "duration": duration, "error": run.error,
        "timeout": spec.timeout, "inputs": jobs.shown_inputs(spec.inputs, spec.secret_inputs),
        "rerun_of": run.rerun_of, "carried_over": run.carried_over,
        # why a queued run has not started: the slot of a concurrency limit it waits for
        "waiting": run.waiting if run.status == QUEUED else None,
    }
    if full:
        listed = [artifact_names.shown(a) for a in run.artifacts]
        total = max(run.artifacts_total or 0, len(listed))
        data |= {"stdout": run.stdout, "stderr": run.stderr, "artifacts": listed,
                 "artifacts_total": total, "artifacts_cut": total > len(listed),
                 "attempts": _attempts(run, tried.get(run.id, []) if tried is not None else [])}
    return data


def _span(started: datetime | None, finished: datetime | None) -> float | None:
    return None if started is None or finished is None else round((finished - started).total_seconds(), 3)


def _attempts(run: Run, rows: Sequence[RunAttempt]) -> list[dict[str, Any]]:
    """Each attempt of a run: its recorded ones (a run with a retry policy), or the run's own single one;
    one still running is last. A routine run, a step carried over, or a run that never started has none."""
    shown = [{"attempt": a.number, "status": a.status, "exit_code": a.exit_code, "started_at": _iso(a.started_at),
              "finished_at": _iso(a.finished_at), "duration": _span(a.started_at, a.finished_at), "error": a.error,
              "stdout": a.stdout, "stderr": a.stderr} for a in rows]
    if run.carried_over or run.started_at is None or run.kind == RunKind.ROUTINE:
        return shown
    last = rows[-1].started_at if rows else None
    if not rows or (run.status == RUNNING and (last is None or run.started_at > last)):
        # the run's own (no policy), or the attempt running now
        finished = run.finished_at if run.status != RUNNING else None
        shown.append({"attempt": len(shown) + 1, "status": run.status, "exit_code": run.exit_code if finished else None,
                      "started_at": _iso(run.started_at), "finished_at": _iso(finished),
                      "duration": _span(run.started_at, finished), "error": run.error if finished else None,
                      "stdout": run.stdout if finished else "", "stderr": run.stderr if finished else ""})
    return shown


def _tried(db: Session, run_ids: Sequence[str]) -> dict[str, list[RunAttempt]]:
    """The recorded attempts of these runs, in order, in one query."""
    found: dict[str, list[RunAttempt]] = {}
    if run_ids:
        query = select(RunAttempt).where(RunAttempt.run_id.in_(list(run_ids))).order_by(RunAttempt.number)
        for attempt in db.scalars(query):
            found.setdefault(attempt.run_id, []).append(attempt)
    return found


# A prefix shorter than this is too likely to match many runs to be worth a query.
MIN_PREFIX = 4
SHOWN_CANDIDATES = 5


def resolve_id(db: Session, given: str) -> str:
    """The run ``given`` names: its exact id, or the one job or routine run whose id starts with it.

    Like git's abbreviated hashes: ``run-4aa3`` (or ``4aa3``) is enough while no other run starts
    the same way; an ambiguous prefix is refused with the candidates. Steps are named by full id only
    (their ids start with their routine run's).
    """
    if db.get(Run, given) is not None:
        return given
    prefix = given if given.startswith("run-") else f"run-{given}"
    if len(prefix) - len("run-") < MIN_PREFIX:
        raise NotFound(f"no run {given!r} (a shortened run id needs at least {MIN_PREFIX} characters after run-)")
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = list(db.scalars(select(Run.id).where(Run.id.like(pattern, escape="\\"), Run.kind != RunKind.STEP)
                            .order_by(Run.id).limit(SHOWN_CANDIDATES + 1)))
    if not found:
        raise NotFound(f"no run {given!r}")
    if len(found) > 1:
        shown = ", ".join(found[:SHOWN_CANDIDATES]) + (", …" if len(found) > SHOWN_CANDIDATES else "")
        raise InvalidInput(f"run id {given!r} is ambiguous: it starts {shown}; give more of it")
    return found[0]


def get(db: Session, run_id: str) -> dict[str, Any]:
    """A run in full; a routine run with its steps in routine order."""
    run = db.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    if run.kind != RunKind.ROUTINE:
        return view(run, tried=_tried(db, [run.id]))
    data = view(run, tried={})
    steps = db.scalars(select(Run).where(Run.parent_id == run_id)).all()
    ordered = sorted(steps, key=lambda r: JobSpec.from_json(r.spec).step_index)
    tried = _tried(db, [s.id for s in ordered if s.attempts > 0 and JobSpec.from_json(s.spec).retry is not None])
    data["steps"] = [view(s, tried=tried) for s in ordered]
    return data


def status_of(db: Session, run_id: str) -> tuple[str, str, dict[str, int]]:
    """A run's kind, status and, for a routine, how many of its steps are in each status (cheap, for progress)."""
    row = db.execute(select(Run.kind, Run.status).where(Run.id == run_id)).first()
    if row is None:
        raise NotFound(f"no run {run_id!r}")
    counts: dict[str, int] = {}
    if row.kind == RunKind.ROUTINE:
        for (status,) in db.execute(select(Run.status).where(Run.parent_id == run_id)):
            counts[status] = counts.get(status, 0) + 1
    return row.kind, row.status, counts


def filtered(query: Select[Any], *, status: str | None = None, job: str | None = None, routine: str | None = None,
             trigger: str | None = None, kind: str | None = None, parent_id: str | None = None) -> Select[Any]:
    """``query`` kept to the runs a listing's filters name (jobs and routines unless ``kind`` or
    ``parent_id`` says); an unknown status or kind is refused."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown run kind {kind!r} (known: {', '.join(KINDS)})")
    if parent_id is not None:
        query = query.where(Run.parent_id == parent_id)
    elif kind is not None:
        query = query.where(Run.kind == kind)
    else:
        query = query.where(Run.parent_id.is_(None))
    for column, value in ((Run.status, status), (Run.job_name, job), (Run.routine_name, routine),
                          (Run.trigger, trigger)):
        if value is not None:
            query = query.where(column == value)
    return query


def older_than(query: Select[Any], created_at: datetime, run_id: str) -> Select[Any]:
    """``query`` kept to the runs listed after the one created at ``created_at`` with id ``run_id``."""
    return query.where(tuple_(Run.created_at, Run.id) < tuple_(
        literal(created_at, Run.created_at.type), literal(run_id, Run.id.type)))


def list_runs(db: Session, *, status: str | None = None, job: str | None = None, routine: str | None = None,
              trigger: str | None = None, kind: str | None = None, parent_id: str | None = None,
              offset: int = 0, limit: int = 50, after: tuple[datetime, str] | None = None,
              ) -> list[dict[str, Any]]:
    """Runs newest first, without their output; jobs and routines unless ``kind`` or ``parent_id`` says.

    ``after`` (a run's ``created_at`` and id) keeps only the runs listed after that one: a page by
    keyset, which the indexes on ``(filter, created_at, id)`` read as cheaply at any depth.
    """
    if not 1 <= limit <= MAX_LIMIT + 1:  # one more than a page: the page's reader learns whether more follow
        raise InvalidInput(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise InvalidInput(f"the offset cannot be negative, not {offset}")
    query = filtered(select(Run).options(defer(Run.stdout), defer(Run.stderr), defer(Run.artifacts)),
                     status=status, job=job, routine=routine, trigger=trigger, kind=kind, parent_id=parent_id)
    if after is not None:
        query = older_than(query, *after)
    query = query.order_by(Run.created_at.desc(), Run.id.desc()).offset(offset).limit(limit)
    return [view(r, full=False) for r in db.scalars(query)]


def note_waiting(db: Session, notes: Mapping[str, str]) -> None:
    """Say why each of these queued runs waits ("" once it waits no more); a run started meanwhile is left alone."""
    table = cast(Table, Run.__table__)
    if notes:
        db.execute(update(table).where(table.c.id == bindparam("rid"), table.c.status == QUEUED.value)
                   .values(waiting=bindparam("note")),
                   [{"rid": run_id, "note": note or None} for run_id, note in notes.items()])


def input_values_of(db: Session, run_id: str) -> dict[str, Value]:
    """The input values a job or routine run ran with, as its spec keeps them (secret ones sealed)."""
    spec = db.scalar(select(Run.spec).where(Run.id == run_id))
    if spec is None:
        raise NotFound(f"no run {run_id!r}")
    return dict(RunSpec.from_json(spec).inputs)


def display_argv(argv: list[str], spec: JobSpec) -> list[str]:
    """``argv`` as it may be shown: the spec's masked argv, behind any prefix the worker added (sudo)."""
    prefix = argv[: len(argv) - len(spec.argv)]
    return [*prefix, *spec.display_argv]
