"""Ad-hoc runs: an executable's flags and values run once, without saving a command and a job.

The same checks as a saved command and job apply, in the same order: the flag matching engine's
verdict on the flags, then each value against its parameter's type. Nothing is written to the
catalog; only the run record, with its immutable spec, is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from oto.domain.documents import CommandDoc, Value
from oto.domain.models import Command, CommandParameter, Run
from oto.domain.runs import RunKind
from oto.errors import InvalidInput
from oto.services import commands, jobs, lookups, runs
from oto.settings import get_settings

NAME = "(ad hoc)"


@dataclass(frozen=True)
class AdHoc:
    executable_tag: str
    parameters: list[str]
    values: dict[str, Value] = field(default_factory=dict)


def resolve(db: Session, request: AdHoc) -> jobs.ResolvedJob:
    """The argv the combination runs, or Refused (with the engine's violations) / InvalidInput."""
    if not request.parameters:
        raise InvalidInput("parameters: give at least one flag")
    exe = lookups.executable(db, request.executable_tag)
    doc = CommandDoc.model_construct(name=NAME, executable_tag=exe.tag, parameters=list(request.parameters))
    commands.refuse_unless_valid(exe, doc, "run")
    by_flag = {p.flag: p for p in exe.parameters}
    # A command that is never added to the session: the same value checks and argv as a saved job.
    command = Command(name=NAME, executable=exe, requires_root=False, items=[
        CommandParameter(index=i, parameter=by_flag[flag]) for i, flag in enumerate(request.parameters)
    ])
    try:
        values = jobs.check_values(command, dict(request.values), where="run")
        values = jobs.seal_values(command, values, {}, "run")
        argv, slots = jobs.masked_argv(command, values)  # the one rendering of a job's argv
    finally:
        if command in db:
            db.expunge(command)
    return jobs.ResolvedJob(
        name=NAME, command=NAME, executable_tag=exe.tag, argv=argv,
        requires_root=any(i.parameter.requires_root for i in command.items), task_queue=exe.task_queue,
        secrets=slots, limits=jobs.limits_of(exe),
    )


def create_run(db: Session, request: AdHoc, *, trigger: str, timeout: float | None = None) -> Run:
    """A queued job run of the combination, as ``runs.create_job_run`` makes one for a saved job."""
    settings = get_settings()
    timeout = runs.check_timeout(timeout)
    resolved = resolve(db, request)
    run_id = runs.new_run_id()
    # The runs service's private builders on purpose: one spec format for every job run.
    spec = runs.job_spec(resolved, run_id, run_id, timeout, settings)
    run = Run(**runs.queued_row(run_id, RunKind.JOB, spec, trigger, settings, runs.now()))
    db.add(run)
    db.flush()
    return run
