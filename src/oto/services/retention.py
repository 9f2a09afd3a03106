"""Retention: deleting final runs (records, output, run folders, artifacts, stream files) past a limit.

``oto run prune`` and the daily retention schedule both come here. Only final runs go: every delete
is conditional on the run being final in the same statement, so a run that started again, or one
still queued or running, is never touched. The records go first, in batches (one transaction each),
then the files of the runs whose records went: a folder left behind by a failing disk is harmless,
a record whose folder vanished under a running job would not be.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from oto.domain.models import Run
from oto.domain.runs import FINAL
from oto.domain.valuetypes import parse_duration
from oto.errors import InvalidInput
from oto.services import notifications
from oto.services.database import Database

# Runs deleted per transaction: a commit each, and the write lock held for one batch at a time (on
# SQLite 1,000 runs cost a fraction of a second; batches of 200 took twice as long over 100,000 runs).
BATCH = 1000
MAX_KEEP = 1_000_000
STREAMS = "streams"
# The statuses a job or routine run can end with (a skipped one is only ever a step).
PRUNABLE = ("succeeded", "failed", "timed_out", "cancelled")


@dataclass(frozen=True)
class Criteria:
    """Which final runs go: older than ``older_than`` seconds (by their end), beyond the newest
    ``keep_last`` of each job or routine, with one of ``statuses`` (every final one when empty)."""

    older_than: float | None = None
    keep_last: int | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    run_id: str
    kind: str
    target: str
    status: str
    ended_at: datetime
    bytes: int = 0


@dataclass
class Pruned:
    """What a prune removed (or, with ``dry_run``, would remove) and the bytes it freed."""

    runs: list[Candidate] = field(default_factory=list)
    bytes: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run, "count": len(self.runs), "bytes": self.bytes,
            "runs": [{"run_id": c.run_id, "kind": c.kind, "target": c.target, "status": c.status,
                      "ended_at": c.ended_at.isoformat().replace("+00:00", "Z"), "bytes": c.bytes} for c in self.runs],
        }


def parse_age(text: str) -> float:
    """``--older-than``: a duration (30d, 12h, 90m, 0s); InvalidInput in one sentence otherwise."""
    try:
        seconds = parse_duration(text.strip())
    except ValueError as error:
        raise InvalidInput(f"--older-than: {error}") from None
    if seconds > 100 * 365 * 86400:
        raise InvalidInput(f"--older-than: {text[:50]!r} is longer than 100 years")
    return seconds


def check(criteria: Criteria) -> Criteria:
    """Refuse criteria that say nothing, or say it out of range."""
    if criteria.older_than is None and criteria.keep_last is None:
        raise InvalidInput("say which runs go: --older-than DURATION (30d), --keep-last N, or both")
    if criteria.older_than is not None and not (math.isfinite(criteria.older_than) and criteria.older_than >= 0):
        raise InvalidInput("--older-than must be a duration of 0s or more")
    if criteria.keep_last is not None and not 0 <= criteria.keep_last <= MAX_KEEP:
        raise InvalidInput(f"--keep-last must be a whole number from 0 to {MAX_KEEP}")
    bad = [s for s in criteria.statuses if s not in PRUNABLE]
    if bad:
        shown = bad[0][:40]
        raise InvalidInput(f"--status: {shown!r} is not a status a finished run can have "
                           f"(one of {', '.join(PRUNABLE)}); a queued or running run is never pruned")
    return criteria


def folder_of(home: Path, run_id: str) -> Path | None:
    """A run's folder, ``<home>/runs/<run id>``, or None when the id cannot name one (never outside)."""
    if not run_id or "/" in run_id or "\x00" in run_id or run_id in (".", ".."):
        return None
    return home / "runs" / run_id


def size_of(path: Path) -> int:
    """Bytes of the files under ``path`` (or of ``path`` itself), never following a symbolic link."""
    try:
        st = path.lstat()
    except OSError:
        return 0
    if not path.is_dir() or path.is_symlink():
        return st.st_size
    total = 0
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _files_of(home: Path, run_id: str, step_ids: list[str]) -> list[Path]:
    found = []
    folder = folder_of(home, run_id)
    if folder is not None:
        found.append(folder)
    for rid in [run_id, *step_ids]:
        if folder_of(home, rid) is not None:
            found += [home / STREAMS / f"{rid}.stdout", home / STREAMS / f"{rid}.stderr"]
    return found


def select_runs(db: Session, criteria: Criteria, *, at: datetime | None = None) -> list[Candidate]:
    """The final job and routine runs the criteria take, oldest first."""
    at = at or datetime.now(UTC)
    ended = func.coalesce(Run.finished_at, Run.created_at)
    rows = db.execute(
        select(Run.id, Run.kind, Run.job_name, Run.routine_name, Run.status, Run.finished_at, Run.created_at)
        .where(Run.parent_id.is_(None), Run.status.in_(PRUNABLE)).order_by(ended.desc(), Run.id.desc())).all()
    seen: dict[tuple[str, str], int] = {}
    limit = at - timedelta(seconds=criteria.older_than) if criteria.older_than is not None else None
    chosen = []
    for run_id, kind, job, routine, status, finished, created in rows:
        target = (routine if kind == "routine" else job) or ""
        n = seen.get((kind, target), 0)
        seen[(kind, target)] = n + 1
        if criteria.keep_last is not None and n < criteria.keep_last:
            continue
        when = finished or created
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if limit is not None and when > limit:
            continue
        if criteria.statuses and status not in criteria.statuses:
            continue
        chosen.append(Candidate(run_id, kind, target, status, when))
    chosen.reverse()
    return chosen


def _delete_batch(db: Session, ids: list[str]) -> dict[str, list[str]]:
    """Delete these runs if still final, with their steps; each deleted run id with its steps' ids."""
    final = [s.value for s in FINAL]
    # ``status || ''``: no index of status may serve these two statements. Given a thousand ids,
    # SQLite's planner walked every final run by the status index instead of looking the ids up
    # (a prune of half a million runs took minutes, growing with the history's square).
    status = Run.status + ""
    still = list(db.scalars(select(Run.id).where(Run.id.in_(ids), status.in_(final))))
    if not still:
        return {}
    steps: dict[str, list[str]] = {rid: [] for rid in still}
    for step_id, parent in db.execute(select(Run.id, Run.parent_id).where(Run.parent_id.in_(still))):
        steps[str(parent)].append(step_id)
    open_steps = set(db.scalars(select(Run.parent_id).where(Run.parent_id.in_(still), Run.status.not_in(final))))
    for parent in open_steps:  # a routine whose step is still open is not over: keep it whole
        steps.pop(str(parent), None)
    gone = list(steps)
    every = gone + [s for p in gone for s in steps[p]]
    notifications.delete_for_runs(db, every)
    db.execute(delete(Run).where(Run.parent_id.in_(gone)))
    db.execute(delete(Run).where(and_(Run.id.in_(gone), status.in_(final))))
    return steps


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def prune(database: Database, home: Path, criteria: Criteria, *, dry_run: bool = False,
          at: datetime | None = None, progress: Callable[[int, int], None] | None = None) -> Pruned:
    """Delete the runs the criteria take (or, ``dry_run``, only say which) and their files.

    ``progress(done, total)`` is called after each batch.
    """
    check(criteria)
    with database.session() as db:
        chosen = select_runs(db, criteria, at=at)
        step_ids: dict[str, list[str]] = {}
        for i in range(0, len(chosen), 500):
            part = [c.run_id for c in chosen[i:i + 500]]
            for step_id, parent in db.execute(select(Run.id, Run.parent_id).where(Run.parent_id.in_(part))):
                step_ids.setdefault(str(parent), []).append(step_id)
    result = Pruned(dry_run=dry_run)
    sized = [Candidate(c.run_id, c.kind, c.target, c.status, c.ended_at,
                       sum(size_of(p) for p in _files_of(home, c.run_id, step_ids.get(c.run_id, []))))
             for c in chosen]
    if dry_run:
        result.runs, result.bytes = sized, sum(c.bytes for c in sized)
        if progress is not None:
            progress(len(sized), len(sized))
        return result
    for i in range(0, len(sized), BATCH):
        batch = sized[i:i + BATCH]
        with database.session() as db:
            deleted = _delete_batch(db, [c.run_id for c in batch])
        for candidate in batch:
            if candidate.run_id not in deleted:
                continue
            for path in _files_of(home, candidate.run_id, deleted[candidate.run_id]):
                _remove(path)
            result.runs.append(candidate)
            result.bytes += candidate.bytes
        if progress is not None:
            progress(min(i + BATCH, len(sized)), len(sized))
    return result


def folders_bytes(home: Path) -> int:
    """Bytes under ``<home>/runs`` (the gauge oto_run_folders_bytes)."""
    return size_of(home / "runs")
