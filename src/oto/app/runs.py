"""Runs: start jobs, routines and ad-hoc combinations on Temporal; cancel, wait for, follow and list them.

Every run goes through Temporal: submitting records the queued run with its frozen spec and
starts the workflow whose id is the run id. Bad input is refused before Temporal is asked, so a
422 never waits on a connection. Only workers write what a run came to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from oto.domain.documents import Value
from oto.engine.follow import Event  # plain data and file reads: Temporal's SDK is not loaded
from oto.services import adhoc, jobs, lookups, retention, routines, run_pages, run_streams, runs
from oto.services.adhoc import AdHoc
from oto.services.retention import Pruned
from oto.services.run_pages import COUNT_CAP, RunPage


def _check_routine_values(db: Session, name: str, values: Mapping[str, Value]) -> None:
    routine = lookups.routine(db, name)
    routines.check_run_values(db, routine, values, f"routine {name!r}")


if TYPE_CHECKING:
    from oto.app.application import App

STATUSES = runs.STATUSES
FINAL = runs.FINAL
KINDS = runs.KINDS
SUCCEEDED, QUEUED, RUNNING = runs.SUCCEEDED, runs.QUEUED, runs.RUNNING
MAX_TIMEOUT = runs.MAX_TIMEOUT

__all__ = ["COUNT_CAP", "FINAL", "KINDS", "MAX_TIMEOUT", "STATUSES", "AdHoc", "Event", "Pruned", "RunPage", "Runs"]


class Runs:
    """Runs of jobs, routines (one record per step too) and ad-hoc flag combinations."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    # -- starting ----------------------------------------------------------------------------------

    async def submit_job(self, name: str, *, trigger: str = "cli", timeout: float | None = None,
                         rerun_of: str | None = None, values: Mapping[str, Value] | None = None) -> str:
        """Queue a run of job ``name`` with the input ``values`` (flag -> value) and start its workflow;
        returns the run id at once. A run's record keeps its values (``get(run)["inputs"]``, secret ones
        masked; its spec's ``inputs`` hold them as stored), so a later run can be given the same.
        ``rerun_of``: the run this one repeats (``rerun`` passes it), named in the new record."""
        from oto.engine import client

        runs.check_timeout(timeout)  # bad input is refused before Temporal is asked
        await self.database.run(jobs.resolve, name, given=values)
        return await client.submit_job(name, trigger=trigger, timeout=timeout, client=await self.app.temporal(),
                                       database=self.database, rerun_of=rerun_of, values=values)

    async def submit_routine(self, name: str, *, trigger: str = "cli", timeout: float | None = None,
                             rerun_of: str | None = None, failed_only: bool = False,
                             values: Mapping[str, Value] | None = None) -> str:
        """Queue a run of routine ``name`` with its input ``values`` (name -> value) and start its workflow;
        ``timeout`` limits the whole run. ``rerun_of`` with ``failed_only``: run again only what did not
        succeed in that run, in its folder."""
        from oto.engine import client

        runs.check_timeout(timeout)
        await self.database.run(_check_routine_values, name, values or {})
        return await client.submit_routine(name, trigger=trigger, timeout=timeout,
                                           client=await self.app.temporal(), database=self.database,
                                           rerun_of=rerun_of, failed_only=failed_only, values=values)

    async def rerun(self, run_id: str, *, trigger: str = "cli", failed_only: bool = False) -> str:
        """Run a job or routine run's target again with the same input values, as a new run whose record
        names it (``rerun_of``).

        ``failed_only`` (a routine run that ended): only its steps that did not succeed, and those after
        them, run again, in its folder; the others are carried over. Returns the new run's id.
        """
        source = await self.database.run(runs.rerun_source, run_id, failed_only=failed_only)
        if source.kind == "job":
            return await self.submit_job(source.name, trigger=trigger, timeout=source.timeout,
                                         rerun_of=source.run_id, values=source.values)
        return await self.submit_routine(source.name, trigger=trigger, timeout=source.timeout,
                                         rerun_of=source.run_id, failed_only=failed_only, values=source.values)

    def input_values(self, run_id: str) -> dict[str, Value]:
        """The input values a run was given or took (as stored: secret ones sealed), to run it again with."""
        return self.database.call(runs.input_values_of, self.resolve(run_id))

    async def submit_adhoc(self, request: AdHoc, *, trigger: str, timeout: float | None = None) -> str:
        """Check an ad-hoc combination (flags and values of an executable, nothing saved), then run it once."""
        from oto.engine import client

        runs.check_timeout(timeout)
        await self.database.run(adhoc.resolve, request)
        return await client.submit_adhoc(request, trigger=trigger, timeout=timeout,
                                         client=await self.app.temporal(), database=self.database)

    # -- following ---------------------------------------------------------------------------------

    def resolve(self, run_id: str) -> str:
        """The full id of the run ``run_id`` names: itself, or a unique shortened id (``run-4aa3``)."""
        return self.database.call(runs.resolve_id, run_id)

    async def cancel(self, run_id: str) -> str:
        """Ask Temporal to cancel a queued or running run; its worker stops its processes and records it.

        Returns the run's full id.
        """
        from oto.engine import client

        run_id = await self.database.run(runs.resolve_id, run_id)
        _, status, _ = await self.database.run(runs.status_of, run_id)
        connected = await self.app.temporal() if status not in runs.FINAL else None
        await client.cancel(run_id, client=connected, database=self.database)
        return run_id

    async def wait(self, run_id: str, *, started: bool = False) -> dict[str, Any]:
        """Wait for a run's end; returns it as ``get`` does.

        ``started``: ``run_id`` is the full id a submit just returned. Its workflow's result is then
        awaited at once and the final record read once after it: nothing is read before.
        """
        from oto.engine import client

        if not started:
            run_id = await self.database.run(runs.resolve_id, run_id)
        return await client.wait(run_id, client=await self.app.temporal(), database=self.database, started=started)

    async def follow(self, run_id: str) -> AsyncIterator[Event]:
        """The run's status changes and output as they happen, ending with its final status."""
        from oto.engine.follow import follow

        async for event in follow(self.database, run_id):
            yield event

    def check_followable(self, run_id: str) -> str:
        """The full id of a run to follow; NotFound for an unknown run (a stream's answer must be known
        before it starts)."""
        run_id = self.resolve(run_id)
        self.database.call(run_streams.state, run_id)
        return run_id

    # -- reading -----------------------------------------------------------------------------------

    def get(self, run_id: str) -> dict[str, Any]:
        """A run with its argv, status, exit code, times, output and (for a routine) its steps."""
        return self.database.call(runs.get, self.resolve(run_id))

    def status(self, run_id: str) -> tuple[str, str, dict[str, int]]:
        """A run's kind, status, and for a routine how many steps are in each status."""
        return self.database.call(runs.status_of, self.resolve(run_id))

    def list_all(self, *, status: str | None = None, job: str | None = None, routine: str | None = None,
                 trigger: str | None = None, kind: str | None = None, offset: int = 0,
                 limit: int = 50) -> list[dict[str, Any]]:
        """Runs newest first (one page's items, nothing counted)."""
        return self.page(status=status, job=job, routine=routine, trigger=trigger, kind=kind, offset=offset,
                         limit=limit, count=False).items

    def per_hour(self, now: datetime, hours: int = 24) -> list[int]:
        """How many job and routine runs were submitted in each of the last ``hours`` hours, oldest first."""
        return self.database.call(run_pages.per_hour, now, hours)

    def page(self, *, status: str | None = None, job: str | None = None, routine: str | None = None,
             trigger: str | None = None, kind: str | None = None, after: str | None = None, offset: int = 0,
             limit: int = 50, count: bool = True) -> RunPage:
        """Runs newest first, ``after`` a cursor (``next_after`` of the page before) or past ``offset``,
        with the total the same filters match (exact up to ``COUNT_CAP``) unless ``count`` is False."""
        filters = run_pages.Filters(status=status, job=job, routine=routine, trigger=trigger, kind=kind)
        return self.database.call(run_pages.page, filters, after=after, offset=offset, limit=limit, count=count)

    # -- retention ---------------------------------------------------------------------------------

    def prune(self, *, older_than: str | None = None, keep_last: int | None = None,
              statuses: Sequence[str] = (), dry_run: bool = False,
              progress: Callable[[int, int], None] | None = None) -> Pruned:
        """Delete final runs (records, output, run folders, artifacts) older than ``older_than`` (30d)
        and beyond the newest ``keep_last`` of each job or routine, with one of ``statuses`` (any final
        one by default); ``dry_run`` says what would go and removes nothing. Never a run not final."""
        from oto.settings import get_settings

        criteria = retention.check(retention.Criteria(
            older_than=None if older_than is None else retention.parse_age(older_than),
            keep_last=keep_last, statuses=tuple(statuses)))
        return retention.prune(self.database, get_settings().home, criteria, dry_run=dry_run, progress=progress)
