"""Commands: an ordered set of an executable's flags that the flag matching engine accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.documents import CommandDoc
from oto.domain.models import Command, CommandParameter, Executable, Job
from oto.errors import AlreadyExists, InUse, Refused
from oto.fme import FMEError
from oto.services import lookups, schemas
from oto.services.validation import invalid


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for a flag list, with the completed list when adding flags would fix it."""

    ok: bool
    violations: list[dict[str, Any]]
    completion: list[str] | None = None
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": self.violations, "completion": self.completion}


def check(db: Session, tag: str, flags: list[str]) -> Verdict:
    exe = lookups.executable(db, tag)
    return _verdict(exe, flags)


def _verdict(exe: Executable, flags: list[str]) -> Verdict:
    schema = schemas.for_executable(exe)
    result = schema.check(flags)
    completion = None
    kinds = {v.kind for v in result.violations}
    if not result.ok and kinds <= {"missing_requirement", "missing_any", "group"}:
        try:
            completion = schema.complete(flags)
        except FMEError:
            completion = None
        # a v2 completion (a chosen alternative, a group member) is offered only when it is valid
        if completion is not None and kinds != {"missing_requirement"} and not schema.check(completion).ok:
            completion = None
    return Verdict(
        ok=result.ok,
        violations=[v.to_dict() for v in result.violations],
        completion=completion,
        messages=[v.message for v in result.violations],
    )


def to_doc(cmd: Command) -> CommandDoc:
    return CommandDoc.model_construct(
        name=cmd.name,
        executable_tag=cmd.executable.tag,
        description=cmd.description,
        requires_root=cmd.requires_root,
        parameters=[item.parameter.flag for item in cmd.items],
    )


def parse(data: CommandDoc | dict[str, Any], where: str = "command") -> CommandDoc:
    if isinstance(data, CommandDoc):
        return data
    try:
        return CommandDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def refuse_unless_valid(exe: Executable, doc: CommandDoc, where: str) -> None:
    verdict = _verdict(exe, doc.parameters)
    if not verdict.ok:
        hint = f" (complete: {' '.join(verdict.completion)})" if verdict.completion else ""
        raise Refused(
            f"{where} ({doc.name}): {'; '.join(verdict.messages)}{hint}",
            details=verdict.violations,
        )


def _fill(cmd: Command, exe: Executable, doc: CommandDoc) -> None:
    by_flag = {p.flag: p for p in exe.parameters}
    cmd.executable = exe
    cmd.description = doc.description
    cmd.requires_root = doc.requires_root
    cmd.items = [CommandParameter(index=i, parameter=by_flag[f]) for i, f in enumerate(doc.parameters)]


def save(db: Session, doc: CommandDoc, where: str, *, replace: bool) -> str:
    """Insert or update one command; returns created, updated or unchanged."""
    exe = lookups.executable(db, doc.executable_tag)
    current = db.scalar(select(Command).where(Command.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"{'' if where == 'command' else where + ': '}command {doc.name!r} already exists")
    refuse_unless_valid(exe, doc, where)
    if current is not None:
        if to_doc(current).model_dump() == doc.model_dump():
            return "unchanged"
        if current.executable_id != exe.id and _job_names(db, current):
            raise InUse(f"{where} ({doc.name}): its jobs depend on the executable; it cannot change")
        _fill(current, exe, doc)
        db.flush()
        _recheck_jobs(db, current, where)
        return "updated"
    cmd = Command(name=doc.name)
    _fill(cmd, exe, doc)
    db.add(cmd)
    db.flush()
    return "created"


def _recheck_jobs(db: Session, cmd: Command, where: str) -> None:
    from oto.services import jobs

    for job in db.scalars(select(Job).where(Job.command_id == cmd.id).order_by(Job.name)):
        jobs.check_values(cmd, job.values, where=f"{where}: the change would break job {job.name!r}")


def add(db: Session, data: CommandDoc | dict[str, Any]) -> CommandDoc:
    doc = parse(data)
    save(db, doc, "command", replace=False)
    return get(db, doc.name)


def update(db: Session, name: str, changes: dict[str, Any]) -> CommandDoc:
    current = lookups.command(db, name)
    lookups.claim(db, current, f"command {name!r}")
    doc = parse(to_doc(current).model_dump() | changes | {"name": name})
    save(db, doc, "command", replace=True)
    return get(db, name)


def get(db: Session, name: str) -> CommandDoc:
    return to_doc(lookups.command(db, name))


def list_all(db: Session, executable_tag: str | None = None) -> list[CommandDoc]:
    query = select(Command).order_by(Command.name)
    if executable_tag is not None:
        query = query.where(Command.executable_id == lookups.executable(db, executable_tag).id)
    return [to_doc(c) for c in db.scalars(query)]


def _job_names(db: Session, cmd: Command) -> list[str]:
    return list(db.scalars(select(Job.name).where(Job.command_id == cmd.id).order_by(Job.name)))


def schedules_deleted_with(db: Session, name: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: with cascade, those its jobs take
    along; without, none (and the same InUse as ``delete`` while jobs use it)."""
    from oto.services import jobs

    users = _job_names(db, lookups.command(db, name))
    if not cascade:
        lookups.refuse_if_used(f"command {name!r}", {"job": users})
        return []
    return sorted({s for job in users for s in jobs.schedules_deleted_with(db, job, cascade=True)})


def delete(db: Session, name: str, *, cascade: bool = False) -> None:
    """Delete a command; its jobs go too only with cascade."""
    from oto.services import jobs

    cmd = lookups.command(db, name)
    lookups.claim(db, cmd, f"command {name!r}")
    users = _job_names(db, cmd)
    if not cascade:
        lookups.refuse_if_used(f"command {name!r}", {"job": users})
    for job_name in users:
        jobs.delete(db, job_name, cascade=True)
    db.delete(cmd)
    db.flush()
