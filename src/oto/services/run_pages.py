"""Pages of runs at any size of history: by keyset cursor or offset, with totals only where cheap.

A run listing reads newest first by ``(created_at, id)``. Its next page starts ``after`` a cursor,
an opaque token naming the last run shown: the database walks its index from there, so the
thousandth page costs what the first does (an ``offset`` must step over every run it skips).

Counting every match would cost as much as the history is long, so a total is exact up to
``COUNT_CAP`` runs only; past it, the page says ``total_exact: false`` and ``total`` is the cap:
there are more than that many.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

from oto.domain.models import Run
from oto.errors import InvalidInput
from oto.services import runs
from oto.services.listings import check_window

COUNT_CAP = 10_000
# A cursor names a run's creation time and id (at most 100 characters): never longer than this.
MAX_CURSOR = 200
_CURSOR = re.compile(r"^[A-Za-z0-9_-]+$")
_VERSION = "1"


@dataclass(frozen=True)
class Filters:
    """What a listing of runs keeps: jobs and routines unless ``kind`` says."""

    status: str | None = None
    job: str | None = None
    routine: str | None = None
    trigger: str | None = None
    kind: str | None = None

    def given(self) -> dict[str, str | None]:
        return {"status": self.status, "job": self.job, "routine": self.routine, "trigger": self.trigger,
                "kind": self.kind}


@dataclass(frozen=True)
class RunPage:
    """One page of runs, newest first.

    ``total`` counts every run the filters match when ``total_exact``; otherwise there are more
    than ``total`` (counting stopped at ``COUNT_CAP``), or it was not asked for (``count=False``:
    ``total`` is then what this page holds). ``next_after`` is the cursor of the page that follows,
    None on the last page.
    """

    items: list[dict[str, Any]]
    total: int
    total_exact: bool
    offset: int
    limit: int
    after: str | None
    next_after: str | None

    @property
    def total_text(self) -> str:
        """The total as a person reads it: ``1,234`` or ``more than 10,000``."""
        return f"{self.total:,}" if self.total_exact else f"more than {self.total:,}"


def cursor_of(run: dict[str, Any]) -> str:
    """The cursor of the page after ``run`` (a listed run: its ``created_at`` and id)."""
    text = f"{_VERSION}|{run['created_at']}|{run['run_id']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[datetime, str]:
    """The creation time and id of the run a cursor names; a cursor no listing gave is refused."""
    shown = repr(cursor[:40]) + ("…" if len(cursor) > 40 else "")
    refused = InvalidInput(f"cursor {shown} (after) is not one a listing of runs gave: "
                           "take next_after from the previous page, or leave it out for the newest runs")
    if len(cursor) > MAX_CURSOR or not _CURSOR.match(cursor):
        raise refused
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise refused from None
    parts = text.split("|")
    if len(parts) != 3 or parts[0] != _VERSION or not 0 < len(parts[2]) <= 100 or not parts[2].isprintable():
        raise refused
    try:
        created = datetime.fromisoformat(parts[1])
    except ValueError:
        raise refused from None
    if created.tzinfo is None or created.utcoffset() != timedelta(0):
        raise refused
    return created, parts[2]


def count_query(filters: Filters) -> Select[Any]:
    """How many runs the filters match, counting no further than one past the cap: a walk of at
    most ``COUNT_CAP + 1`` entries of the filter's index, which holds every column it tests."""
    capped = runs.filtered(select(literal(1)).select_from(Run), **filters.given()).limit(COUNT_CAP + 1)
    return select(func.count()).select_from(capped.subquery())


def _count(db: Session, filters: Filters) -> tuple[int, bool]:
    found = db.scalar(count_query(filters)) or 0
    return (found, True) if found <= COUNT_CAP else (COUNT_CAP, False)


def page(db: Session, filters: Filters = Filters(), *, after: str | None = None, offset: int = 0,
         limit: int = 50, count: bool = True) -> RunPage:
    """Runs newest first, ``after`` a cursor or past ``offset`` (not both), with the next page's cursor.

    With ``count``, the total the filters match (exact up to ``COUNT_CAP``); without, no count is
    made (the CLI shows none).
    """
    check_window(offset, limit)
    if after is not None and offset:
        raise InvalidInput("give a cursor (after) or an offset, not both")
    start = read_cursor(after) if after is not None else None
    found = runs.list_runs(db, **filters.given(), after=start, offset=offset, limit=limit + 1)
    items, more = found[:limit], len(found) > limit
    next_after = cursor_of(items[-1]) if more else None
    if start is None and not more and (items or offset == 0):  # the listing ends on this page: counted
        total, exact = offset + len(items), True
    elif count:
        total, exact = _count(db, filters)
    else:
        total, exact = len(items), False
    return RunPage(items, total, exact, offset, limit, after, next_after)


def per_hour(db: Session, now: datetime, hours: int = 24) -> list[int]:
    """How many job and routine runs were submitted in each of the last ``hours`` hours, the hour
    of ``now`` last: counted in the database, over the index of top-level runs by creation time."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    edges = [end - timedelta(hours=hours - i) for i in range(hours + 1)]
    created = Run.created_at
    columns = [func.count().filter(created >= edges[i], created < edges[i + 1]) for i in range(hours)]
    row = db.execute(select(*columns).where(Run.parent_id.is_(None), created >= edges[0], created < end)).one()
    return [int(n or 0) for n in row]
