"""Jobs: a command with a value for each of its parameters, ready to run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain import argv as argv_rendering
from oto.domain.documents import JobDoc, Value
from oto.domain.models import Command, CommandParameter, Job, Parameter, Routine, RoutineStep, Schedule
from oto.domain.valuetypes import check_value
from oto.errors import AlreadyExists, InvalidInput
from oto.services import lookups
from oto.services.validation import invalid


@dataclass(frozen=True)
class ResolvedJob:
    """Everything a run needs to know about a job, read once at submission."""

    name: str
    command: str
    executable_tag: str
    argv: list[str]
    requires_root: bool
    task_queue: str
    secrets: list[str]

    @property
    def masked_argv(self) -> list[str]:
        return argv_rendering.mask(self.argv, self.secrets)


def check_values(cmd: Command, values: dict[str, Value], where: str = "job") -> dict[str, Value]:
    """The job's values in their stored form, or InvalidInput naming the first bad one."""
    occurrences = Counter(item.parameter.flag for item in cmd.items)
    params = {item.parameter.flag: item.parameter for item in cmd.items}
    for flag in values:
        if flag not in params:
            raise InvalidInput(f"{where}: {flag} is not a flag of command {cmd.name!r}")
    clean: dict[str, Value] = {}
    for flag, param in params.items():
        given = values.get(flag)
        items = given if isinstance(given, list) else [given]
        if isinstance(given, list) and len(given) != occurrences[flag]:
            raise InvalidInput(
                f"{where}: {flag} appears {occurrences[flag]} times in the command but has {len(given)} values"
            )
        for value in items:
            try:
                check_value(param.value_type, value, param.choices)
            except ValueError as error:
                raise InvalidInput(f"{where}: {flag} ({param.value_type}) {error}") from None
        clean[flag] = given if param.requires_value else ""
    return clean


def _argv_items(cmd: Command, values: dict[str, Value]) -> list[argv_rendering.ArgvItem]:
    seen: Counter[str] = Counter()
    items = []
    for item in cmd.items:
        p = item.parameter
        value = values.get(p.flag)
        if isinstance(value, list):
            value = value[seen[p.flag]]
        seen[p.flag] += 1
        items.append(argv_rendering.ArgvItem(p.flag, p.style, p.requires_value, value))
    return items


def resolve(db: Session, name: str) -> ResolvedJob:
    job = lookups.job(db, name)
    cmd = job.command
    exe = cmd.executable
    values = check_values(cmd, job.values, where=f"job {name!r}")
    secrets: list[str] = []
    for item in cmd.items:
        value = values.get(item.parameter.flag)
        if item.parameter.secret and value:
            secrets.extend(value if isinstance(value, list) else [value])
    return ResolvedJob(
        name=job.name,
        command=cmd.name,
        executable_tag=exe.tag,
        argv=argv_rendering.render(exe.path, _argv_items(cmd, values)),
        requires_root=cmd.requires_root or any(i.parameter.requires_root for i in cmd.items),
        task_queue=exe.task_queue,
        secrets=secrets,
    )


def preview_argv(db: Session, command: str, values: dict[str, Value]) -> list[str]:
    """The argv a job of ``command`` with ``values`` would run, secret values masked; nothing is written.

    The values are checked as a saved job's are, so a preview refuses what saving would.
    """
    cmd = lookups.command(db, command)
    clean = check_values(cmd, values, where="job")
    secret = {i.parameter.flag for i in cmd.items if i.parameter.secret}
    hidden = [v for flag, given in clean.items() if flag in secret and given
              for v in (given if isinstance(given, list) else [given])]
    return argv_rendering.mask(argv_rendering.render(cmd.executable.path, _argv_items(cmd, clean)), hidden)


def argv(db: Session, name: str, *, reveal: bool = False) -> list[str]:
    """The exact argv the job runs; secret values are masked unless ``reveal``."""
    resolved = resolve(db, name)
    return resolved.argv if reveal else resolved.masked_argv


def to_doc(job: Job, *, mask_secrets: bool = True) -> JobDoc:
    secret = [i.parameter.flag for i in job.command.items if i.parameter.secret] if mask_secrets else []
    return doc_of(job.name, job.command.name, job.description, job.values, secret)


def doc_of(name: str, command: str, description: str, values: dict[str, Any], secret: Iterable[str]) -> JobDoc:
    """A job's document from its columns, the values of its ``secret`` flags shown as ``***``."""
    shown = dict(values)
    for flag in secret:
        if shown.get(flag):
            shown[flag] = "***"
    return JobDoc.model_construct(name=name, command=command, description=description, values=shown)


def secret_flags(db: Session, command_ids: Iterable[int]) -> dict[int, list[str]]:
    """The secret flags of each of these commands, in one query (for listings)."""
    found: dict[int, list[str]] = {}
    query = (select(CommandParameter.command_id, Parameter.flag)
             .join(Parameter, CommandParameter.parameter_id == Parameter.id)
             .where(CommandParameter.command_id.in_(list(command_ids)), Parameter.secret.is_(True)))
    for command_id, flag in db.execute(query):
        found.setdefault(command_id, []).append(flag)
    return found


def parse(data: JobDoc | dict[str, Any], where: str = "job") -> JobDoc:
    if isinstance(data, JobDoc):
        return data
    try:
        return JobDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def save(db: Session, doc: JobDoc, where: str, *, replace: bool) -> str:
    """Insert or update one job; returns created, updated or unchanged."""
    cmd = lookups.command(db, doc.command)
    current = db.scalar(select(Job).where(Job.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"{where}: job {doc.name!r} already exists")
    values = dict(doc.values)
    if current is not None:
        # A masked secret in an imported export keeps the value already stored.
        for flag, value in values.items():
            if value == "***" and flag in current.values:
                values[flag] = current.values[flag]
    clean = check_values(cmd, values, where=f"{where} ({doc.name})")
    if current is not None:
        if current.command_id == cmd.id and current.values == clean and current.description == doc.description:
            return "unchanged"
        current.command, current.values, current.description = cmd, clean, doc.description
        db.flush()
        return "updated"
    db.add(Job(name=doc.name, command=cmd, values=clean, description=doc.description))
    db.flush()
    return "created"


def add(db: Session, data: JobDoc | dict[str, Any]) -> JobDoc:
    doc = parse(data)
    save(db, doc, "job", replace=False)
    return get(db, doc.name)


def update(db: Session, name: str, changes: dict[str, Any]) -> JobDoc:
    current = lookups.job(db, name)
    lookups.claim(db, current, f"job {name!r}")
    doc = parse(to_doc(current, mask_secrets=False).model_dump() | changes | {"name": name})
    save(db, doc, "job", replace=True)
    return get(db, name)


def get(db: Session, name: str) -> JobDoc:
    return to_doc(lookups.job(db, name))


def list_all(db: Session, command: str | None = None, *, offset: int = 0, limit: int | None = None) -> list[JobDoc]:
    query = select(Job).order_by(Job.name).offset(offset).limit(limit)
    if command is not None:
        query = query.where(Job.command_id == lookups.command(db, command).id)
    return [to_doc(j) for j in db.scalars(query)]


def using_parameter(db: Session, parameter_id: int) -> list[Job]:
    users = select(CommandParameter.command_id).where(CommandParameter.parameter_id == parameter_id)
    return list(db.scalars(select(Job).where(Job.command_id.in_(users)).order_by(Job.name)))


def users(db: Session, job: Job) -> tuple[list[str], list[str]]:
    """Routines with a step running this job, and schedules targeting it."""
    routines = sorted(set(db.scalars(select(Routine.name).join(RoutineStep).where(RoutineStep.job_id == job.id))))
    schedules = sorted(db.scalars(select(Schedule.name).where(Schedule.job_id == job.id)))
    return routines, schedules


def schedules_deleted_with(db: Session, name: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: with cascade, the job's and those of the
    routines using it; without, none (and the same InUse as ``delete`` while anything uses the job)."""
    job = lookups.job(db, name)
    routines, schedules = users(db, job)
    if not cascade:
        lookups.refuse_if_used(f"job {name!r}", {"routine": routines, "schedule": schedules})
        return []
    of_routines = db.scalars(select(Schedule.name).join(Routine, Schedule.routine_id == Routine.id)
                             .where(Routine.name.in_(routines)))
    return sorted({*schedules, *of_routines})


def delete(db: Session, name: str, *, cascade: bool = False) -> None:
    """Delete a job; routines and schedules using it go too only with cascade.

    The schedules' Temporal copies are not touched here: ``oto.engine.schedules.delete_with_schedules``
    deletes both.
    """
    job = lookups.job(db, name)
    lookups.claim(db, job, f"job {name!r}")
    routines, schedules = users(db, job)
    if not cascade:
        lookups.refuse_if_used(f"job {name!r}", {"routine": routines, "schedule": schedules})
    for routine_name in routines:
        routine = lookups.routine(db, routine_name)
        for schedule in db.scalars(select(Schedule).where(Schedule.routine_id == routine.id)):
            db.delete(schedule)
        db.delete(routine)
    for schedule in db.scalars(select(Schedule).where(Schedule.job_id == job.id)):
        db.delete(schedule)
    db.delete(job)
    db.flush()
