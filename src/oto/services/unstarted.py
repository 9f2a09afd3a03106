"""Runs recorded but perhaps never started: the candidates a reconciler asks Temporal about.

Submitting records a queued run, then starts its workflow. A process stopped between the two
(killed, its host lost, Temporal frozen) leaves a record no workflow will ever close. Only
Temporal can say whether the workflow exists; this module finds the records worth asking about.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.models import Run
from oto.domain.runs import RunStatus


def queued_before(db: Session, before: datetime, limit: int = 100) -> list[str]:
    """Ids of the oldest runs still queued that were recorded before ``before`` (steps excluded:
    they close with their routine's run)."""
    query = (
        select(Run.id).where(Run.status == RunStatus.QUEUED, Run.parent_id.is_(None), Run.created_at < before)
        .order_by(Run.created_at).limit(limit)
    )
    return list(db.scalars(query))
