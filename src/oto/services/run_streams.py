"""What following a run's output needs from its records: where each stream is written, and how far along it is.

A job run has one pair of streams; a routine run has one pair per step, read in step order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.models import Run
from oto.domain.runs import JobSpec, RunKind
from oto.errors import NotFound


@dataclass(frozen=True)
class Source:
    """One run whose process writes output: a job run, or one step of a routine run."""

    run_id: str
    step: str | None
    status: str
    workdir: str
    index: int


@dataclass(frozen=True)
class State:
    """Where a followed run stands: its own status and each of its output sources."""

    run_id: str
    kind: str
    status: str
    sources: list[Source]


def state(db: Session, run_id: str) -> State:
    """The run's status and its sources, reading no output (cheap enough to poll)."""
    row = db.execute(select(Run.kind, Run.status, Run.workdir).where(Run.id == run_id)).first()
    if row is None:
        raise NotFound(f"no run {run_id!r}")
    if row.kind != RunKind.ROUTINE:
        return State(run_id, row.kind, row.status, [Source(run_id, None, row.status, row.workdir, 0)])
    steps = db.execute(
        select(Run.id, Run.step_id, Run.status, Run.workdir, Run.spec).where(Run.parent_id == run_id)
    ).all()
    sources = [Source(s.id, s.step_id, s.status, s.workdir, JobSpec.from_json(s.spec).step_index) for s in steps]
    return State(run_id, row.kind, row.status, sorted(sources, key=lambda s: s.index))


def recorded_output(db: Session, run_id: str) -> tuple[str, str]:
    """The stdout and stderr the worker recorded when the run ended (the first MiB of each)."""
    row = db.execute(select(Run.stdout, Run.stderr).where(Run.id == run_id)).first()
    if row is None:
        raise NotFound(f"no run {run_id!r}")
    return row.stdout, row.stderr
