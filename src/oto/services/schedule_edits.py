"""Changing a stored schedule: the given fields replace the stored ones, the rest stay."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oto.domain.documents import ScheduleDoc
from oto.services import lookups, schedules


def update(db: Session, name: str, changes: dict[str, Any]) -> ScheduleDoc:
    """Apply ``changes`` to a schedule; naming a job drops its routine and vice versa."""
    current = schedules.to_doc(lookups.schedule(db, name)).model_dump()
    if changes.get("job") is not None:
        current["routine"] = None
    if changes.get("routine") is not None:
        current["job"] = None
    if changes.get("cron") is not None:
        current["every"] = None
    if changes.get("every") is not None:
        current["cron"] = None
    doc = schedules.parse(current | changes | {"name": name}, f"schedule {name!r}")
    schedules.save(db, doc, "schedule", replace=True)
    return schedules.get(db, name)
