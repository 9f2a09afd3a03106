"""Finding catalog records by their natural keys, with the NotFound a user should see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from oto.domain.models import Command, Executable, Job, Parameter, Routine, Schedule
from oto.errors import InUse, NotFound

# How to delete what uses something too, in the words of both the CLI and the API.
CASCADE = "delete with cascade (--cascade; in the API ?cascade=true)"


def claim(db: Session, record: Any, what: str) -> None:
    """Hold ``record`` for this transaction before changing or deleting it; NotFound when another
    request deleted it since it was read.

    An UPDATE that changes nothing takes the row's lock (PostgreSQL) or the database's write lock
    (SQLite) and sees the latest commit: of two deletes of one item, exactly one goes on, and a
    change racing a delete is told the truth instead of failing in the flush.
    """
    connection = db.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and raw is not None and not getattr(raw, "in_transaction", True):
        # Take the write lock first (waiting as long as the busy timeout says): the deferred
        # transaction the UPDATE would open reads first, and fails at once with "database is
        # locked" when another writer commits before it gets the lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    table: Table = record.__table__
    found = db.execute(update(table).where(table.c.id == record.id).values(id=table.c.id))
    if getattr(found, "rowcount", 1) != 1:
        raise NotFound(f"{what} was deleted at the same time by another request")


def executable(db: Session, tag: str) -> Executable:
    found = db.scalar(select(Executable).where(Executable.tag == tag))
    if found is None:
        raise NotFound(f"no executable {tag!r} (tags look like 'openssl - 3.5.3'; see `oto executable list`)")
    return found


def parameter(db: Session, tag: str, flag: str) -> Parameter:
    exe = executable(db, tag)
    found = db.scalar(select(Parameter).where(Parameter.executable_id == exe.id, Parameter.flag == flag))
    if found is None:
        raise NotFound(f"{flag} is not a parameter of {tag}")
    return found


def command(db: Session, name: str) -> Command:
    found = db.scalar(select(Command).where(Command.name == name))
    if found is None:
        raise NotFound(f"no command {name!r}")
    return found


def job(db: Session, name: str) -> Job:
    found = db.scalar(select(Job).where(Job.name == name))
    if found is None:
        raise NotFound(f"no job {name!r}")
    return found


def routine(db: Session, name: str) -> Routine:
    found = db.scalar(select(Routine).where(Routine.name == name))
    if found is None:
        raise NotFound(f"no routine {name!r}")
    return found


def schedule(db: Session, name: str) -> Schedule:
    found = db.scalar(select(Schedule).where(Schedule.name == name))
    if found is None:
        raise NotFound(f"no schedule {name!r}")
    return found


def refuse_if_used(what: str, users: dict[str, list[str]]) -> None:
    """Refuse deleting ``what`` (``"job 'x'"``) while anything uses it: ``users`` by kind, e.g.
    ``{"routine": [...], "schedule": [...]}``. InUse names them all, in the message and in its details."""
    used = {kind: names for kind, names in users.items() if names}
    if used:
        parts = " and ".join(f"{kind}s {', '.join(names)}" for kind, names in used.items())
        raise InUse(f"{what} is used by {parts}; delete them first, or {CASCADE}",
                    details=[{"kind": kind, "name": n} for kind, names in used.items() for n in names])
