"""Deleting a catalog item by kind, and which schedules the delete takes along.

A cascading delete of an executable, a parameter, a command, a job or a routine may remove
schedules; their Temporal copies must go too, so the interfaces delete through
``oto.engine.schedules.delete_with_schedules``, which asks ``schedules_removed`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from sqlalchemy.orm import Session

from oto.services import commands, executables, jobs, parameters, routines

Kind = Literal["executable", "parameter", "command", "job", "routine"]

# The key of each kind: a tag, a tag and a flag, or a name.
_SCHEDULES: dict[str, Callable[..., list[str]]] = {
    "executable": executables.schedules_deleted_with,
    "parameter": parameters.schedules_deleted_with,
    "command": commands.schedules_deleted_with,
    "job": jobs.schedules_deleted_with,
    "routine": routines.schedules_deleted_with,
}
_DELETE: dict[str, Callable[..., None]] = {
    "executable": executables.delete,
    "parameter": parameters.delete,
    "command": commands.delete,
    "job": jobs.delete,
    "routine": routines.delete,
}


def schedules_removed(db: Session, kind: Kind, *key: str, cascade: bool = False) -> list[str]:
    """The names of the schedules deleting this item would remove, writing nothing.

    Refused as the delete itself would be: NotFound, or InUse when something uses it and not ``cascade``.
    """
    return _SCHEDULES[kind](db, *key, cascade=cascade)


def delete(db: Session, kind: Kind, *key: str, cascade: bool = False) -> None:
    """Delete the item (and with ``cascade`` what uses it) from the database only."""
    _DELETE[kind](db, *key, cascade=cascade)
