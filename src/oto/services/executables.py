"""Executables: the programs OTO may run. Only what is registered here ever runs."""

from __future__ import annotations

from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from oto.domain.documents import ExecutableDoc, make_tag
from oto.domain.models import Command, Executable
from oto.errors import AlreadyExists
from oto.services import bulk, lookups, schemas
from oto.services.schemas import new_revision
from oto.services.validation import invalid
from oto.settings import get_settings


def to_doc(exe: Executable) -> ExecutableDoc:
    return ExecutableDoc(
        name=exe.name,
        version=exe.version,
        path=exe.path,
        description=exe.description,
        task_queue=exe.task_queue,
        end_of_options=exe.end_of_options,
        max_concurrent=exe.max_concurrent,
    )


def _new_doc(data: ExecutableDoc | dict[str, Any]) -> ExecutableDoc:
    try:
        doc = data if isinstance(data, ExecutableDoc) else ExecutableDoc.model_validate(data)
    except ValidationError as error:
        raise invalid("executable", error) from None
    if not doc.task_queue:
        doc = doc.model_copy(update={"task_queue": get_settings().task_queue})
    return doc


def add(db: Session, data: ExecutableDoc | dict[str, Any]) -> ExecutableDoc:
    doc = _new_doc(data)
    if db.scalar(select(Executable.id).where(Executable.tag == doc.tag)) is not None:
        raise AlreadyExists(f"executable {doc.tag!r} already exists")
    exe = Executable(**_columns(doc))
    db.add(exe)
    db.flush()
    return to_doc(exe)


def _columns(doc: ExecutableDoc) -> dict[str, Any]:
    """A new executable's row: every column but its id."""
    return {"name": doc.name, "version": doc.version, "tag": doc.tag, "path": doc.path, "description": doc.description,
            "task_queue": doc.task_queue or get_settings().task_queue, "end_of_options": doc.end_of_options,
            "max_concurrent": doc.max_concurrent, "rules_revision": new_revision()}


def add_many(db: Session, docs: list[ExecutableDoc]) -> dict[str, int]:
    """Insert new executables (their tags checked free by the caller) in bulk; returns each tag's id.

    An import of a large catalog adds tens of thousands at once: a few statements for all of them,
    not a flush per executable."""
    bulk.insert(db, cast(Table, Executable.__table__), [_columns(doc) for doc in docs])
    tags = [doc.tag for doc in docs]
    ids: dict[str, int] = {}
    for start in range(0, len(tags), 500):
        chunk = select(Executable.tag, Executable.id).where(Executable.tag.in_(tags[start:start + 500]))
        ids.update((tag, id_) for tag, id_ in db.execute(chunk))
    return ids


def get(db: Session, tag: str) -> ExecutableDoc:
    return to_doc(lookups.executable(db, tag))


def list_all(db: Session) -> list[ExecutableDoc]:
    return [to_doc(e) for e in db.scalars(select(Executable).order_by(Executable.tag))]


def update(db: Session, tag: str, changes: dict[str, Any]) -> ExecutableDoc:
    """Change path, description, task queue, end of options or the concurrency limit (``max_concurrent``
    None removes it); name and version make the tag and stay fixed."""
    exe = lookups.executable(db, tag)
    lookups.claim(db, exe, f"executable {tag!r}")
    fixed = {"name", "version"} & {k for k, v in changes.items() if v != getattr(exe, k)}
    if fixed:
        raise invalid("executable", f"{' and '.join(sorted(fixed))} cannot change (they form the tag)")
    merged = to_doc(exe).model_dump() | {k: v for k, v in changes.items() if v is not None or k == "max_concurrent"}
    doc = _new_doc(merged)
    dropped_end_of_options = exe.end_of_options and not doc.end_of_options
    exe.path, exe.description, exe.task_queue = doc.path, doc.description, doc.task_queue
    exe.end_of_options, exe.max_concurrent = doc.end_of_options, doc.max_concurrent
    if dropped_end_of_options:
        _recheck_jobs(db, exe)
    db.flush()
    return to_doc(exe)


def _recheck_jobs(db: Session, exe: Executable) -> None:
    """Refuse dropping end_of_options while a job's positional value relies on the "--" it gave."""
    from oto.domain.models import Job
    from oto.services import jobs

    query = select(Job).join(Command, Job.command_id == Command.id).where(Command.executable_id == exe.id)
    for job in db.scalars(query.order_by(Job.name)):
        jobs.check_values(job.command, job.values, where=f"the change would break job {job.name!r}")


def _command_names(db: Session, exe: Executable) -> list[str]:
    return list(db.scalars(select(Command.name).where(Command.executable_id == exe.id).order_by(Command.name)))


def schedules_deleted_with(db: Session, tag: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: with cascade, those its commands take
    along; without, none (and the same InUse as ``delete`` while commands use it)."""
    from oto.services import commands

    users = _command_names(db, lookups.executable(db, tag))
    if not cascade:
        lookups.refuse_if_used(f"executable {tag!r}", {"command": users})
        return []
    return sorted({s for name in users for s in commands.schedules_deleted_with(db, name, cascade=True)})


def delete(db: Session, tag: str, *, cascade: bool = False) -> None:
    """Delete an executable with its parameters; its commands (and their jobs) only with cascade."""
    from oto.services import commands

    exe = lookups.executable(db, tag)
    lookups.claim(db, exe, f"executable {tag!r}")
    users = _command_names(db, exe)
    if not cascade:
        lookups.refuse_if_used(f"executable {tag!r}", {"command": users})
    for name in users:
        commands.delete(db, name, cascade=True)
    schemas.forget(exe.rules_revision)
    db.delete(exe)
    db.flush()


__all__ = ["add", "delete", "get", "list_all", "make_tag", "schedules_deleted_with", "to_doc", "update"]
