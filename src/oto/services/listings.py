"""Paged, filtered listings of the catalog, counted and cut in SQL so large catalogs stay cheap."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic_core import from_json
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session

from oto.domain.documents import CommandDoc, ExecutableDoc, JobDoc, ParameterDoc, RoutineDoc, ScheduleDoc
from oto.domain.models import Command, Executable, Job, Parameter, Routine, RoutineStep, Schedule
from oto.errors import InvalidInput
from oto.services import commands, executables, lookups, parameters

# The job, routine and schedule services are imported by their own listings: a CLI verb over
# executables does not load them (nor the cipher and cron parser they bring).

T = TypeVar("T")
MAX_LIMIT = 1000
# Far beyond any catalog, yet small enough for every database's integer type.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def check_window(offset: int, limit: int) -> None:
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}, not {offset}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")


def _page(
    db: Session, query: Select[Any], order: Any, render: Callable[[Any], T], offset: int, limit: int
) -> Page[T]:
    check_window(offset, limit)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(order).offset(offset).limit(limit))
    return Page([render(r) for r in rows], total, offset, limit)


def executable_page(db: Session, *, offset: int = 0, limit: int = 100) -> Page[ExecutableDoc]:
    return _page(db, select(Executable), Executable.tag, executables.to_doc, offset, limit)


def parameter_page(db: Session, tag: str, *, offset: int = 0, limit: int = 100) -> Page[ParameterDoc]:
    """An executable's parameters in the order they were added (the order of its document)."""
    query = select(Parameter).where(Parameter.executable_id == lookups.executable(db, tag).id)
    return _page(db, query, Parameter.id, lambda p: parameters.to_doc(p, tag), offset, limit)


def command_page(
    db: Session, *, executable_tag: str | None = None, offset: int = 0, limit: int = 100
) -> Page[CommandDoc]:
    query = select(Command)
    if executable_tag is not None:
        query = query.where(Command.executable_id == lookups.executable(db, executable_tag).id)
    return _page(db, query, Command.name, commands.to_doc, offset, limit)


def job_page(db: Session, *, command: str | None = None, offset: int = 0, limit: int = 100) -> Page[JobDoc]:
    """Read as columns, not ORM objects (the most listed resource; a page costs a third as much)."""
    from oto.services import jobs

    return _job_page(db, jobs.doc_of, command, offset, limit)


def job_documents(
    db: Session, *, command: str | None = None, offset: int = 0, limit: int = 100
) -> Page[dict[str, Any]]:
    """``job_page`` with each job as the JSON data of its document (``jobs.document_of``): what the
    API sends, built without a model per job."""
    from oto.services import jobs

    return _job_page(db, jobs.document_of, command, offset, limit)


def _job_page(db: Session, render: Callable[..., T], command: str | None, offset: int, limit: int) -> Page[T]:
    from oto.services import jobs

    check_window(offset, limit)
    # The JSON columns as their text, parsed here by pydantic's parser: SQLAlchemy's JSON type (the
    # json module, through a processor per value) cost as much as the rest of reading the rows.
    query = select(Job.name, Job.description, cast(Job.values, Text), cast(Job.inputs, Text), cast(Job.retry, Text),
                   Job.command_id, Job.max_concurrent, Command.name).join(Command, Job.command_id == Command.id)
    if command is not None:
        query = query.where(Job.command_id == lookups.command(db, command).id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(Job.name).offset(offset).limit(limit)).all()
    secret = jobs.secret_flags(db, {row[5] for row in rows})
    # unpacked, not read by attribute: a Row's attributes cost more than the rest of building the page
    return Page([render(name, command_name, description, _json(values), secret.get(command_id, ()), _json(inputs),
                        retry=_json(retry), max_concurrent=max_concurrent)
                 for name, description, values, inputs, retry, command_id, max_concurrent, command_name in rows],
                total, offset, limit)


def _json(text: str | None) -> Any:
    """A JSON column's value from its text (None for SQL NULL), as SQLAlchemy's JSON type would read it."""
    if text is None:
        return None
    try:
        return from_json(text)
    except ValueError:  # what only the json module reads, such as a lone surrogate's escape
        return json.loads(text)


def routine_page(db: Session, *, job: str | None = None, offset: int = 0, limit: int = 100) -> Page[RoutineDoc]:
    from oto.services import routines

    query = select(Routine)
    if job is not None:
        step_of_job = select(RoutineStep.routine_id).where(RoutineStep.job_id == lookups.job(db, job).id)
        query = query.where(Routine.id.in_(step_of_job))
    return _page(db, query, Routine.name, routines.to_doc, offset, limit)


def schedule_page(
    db: Session, *, job: str | None = None, routine: str | None = None, offset: int = 0, limit: int = 100
) -> Page[ScheduleDoc]:
    from oto.services import schedules

    query = select(Schedule)
    if job is not None:
        query = query.where(Schedule.job_id == lookups.job(db, job).id)
    if routine is not None:
        query = query.where(Schedule.routine_id == lookups.routine(db, routine).id)
    return _page(db, query, Schedule.name, schedules.to_doc, offset, limit)
