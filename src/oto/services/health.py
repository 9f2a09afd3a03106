"""Whether the services OTO depends on answer, for ``GET /health`` and ``oto dev``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from oto.errors import OtoError
from oto.services.database import Database


@dataclass(frozen=True)
class Status:
    ok: bool
    detail: str


def database_status(database: Database) -> Status:
    """Up when the database answers and holds the current schema (asked afresh every time)."""
    try:
        database.check_schema(again=True)
    except OtoError as error:
        return Status(False, error.message)
    except SQLAlchemyError as error:
        return Status(False, f"cannot reach the database at {database.safe_url}: {type(error).__name__}")
    return Status(True, database.safe_url)
