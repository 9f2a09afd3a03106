"""Pages of runs for the API: the runs service's listing, with the total the same filters match."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oto.domain.models import Run
from oto.services import runs
from oto.services.listings import Page, check_window


def page(
    db: Session, *, status: str | None = None, job: str | None = None, routine: str | None = None,
    trigger: str | None = None, kind: str | None = None, offset: int = 0, limit: int = 50,
) -> Page[dict[str, Any]]:
    """Runs newest first (job and routine runs unless ``kind`` says), and how many match in all."""
    check_window(offset, limit)
    items = runs.list_runs(db, status=status, job=job, routine=routine, trigger=trigger, kind=kind,
                           offset=offset, limit=limit)
    query = select(func.count()).select_from(Run)
    query = query.where(Run.kind == kind) if kind is not None else query.where(Run.parent_id.is_(None))
    for column, value in ((Run.status, status), (Run.job_name, job), (Run.routine_name, routine),
                          (Run.trigger, trigger)):
        if value is not None:
            query = query.where(column == value)
    return Page(items, db.scalar(query) or 0, offset, limit)
