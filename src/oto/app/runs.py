"""Runs: start jobs, routines and ad-hoc combinations on Temporal; cancel, wait for, follow and list them.

Every run goes through Temporal: submitting records the queued run with its frozen spec and
starts the workflow whose id is the run id. Bad input is refused before Temporal is asked, so a
422 never waits on a connection. Only workers write what a run came to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oto.engine.follow import Event  # plain data and file reads: Temporal's SDK is not loaded
from oto.services import adhoc, jobs, lookups, run_pages, run_streams, runs
from oto.services.adhoc import AdHoc
from oto.services.run_pages import COUNT_CAP, RunPage

if TYPE_CHECKING:
    from oto.app.application import App

STATUSES = runs.STATUSES
FINAL = runs.FINAL
KINDS = runs.KINDS
SUCCEEDED, QUEUED, RUNNING = runs.SUCCEEDED, runs.QUEUED, runs.RUNNING
MAX_TIMEOUT = runs.MAX_TIMEOUT

__all__ = ["COUNT_CAP", "FINAL", "KINDS", "MAX_TIMEOUT", "STATUSES", "AdHoc", "Event", "RunPage", "Runs"]


class Runs:
    """Runs of jobs, routines (one record per step too) and ad-hoc flag combinations."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    # -- starting ----------------------------------------------------------------------------------

    async def submit_job(self, name: str, *, trigger: str = "cli", timeout: float | None = None) -> str:
        """Queue a run of job ``name`` and start its workflow; returns the run id at once."""
        from oto.engine import client

        runs.check_timeout(timeout)  # bad input is refused before Temporal is asked
        await self.database.run(jobs.resolve, name)
        return await client.submit_job(name, trigger=trigger, timeout=timeout, client=await self.app.temporal(),
                                       database=self.database)

    async def submit_routine(self, name: str, *, trigger: str = "cli", timeout: float | None = None) -> str:
        """Queue a run of routine ``name`` and start its workflow; ``timeout`` limits the whole run."""
        from oto.engine import client

        runs.check_timeout(timeout)
        await self.database.run(lookups.routine, name)
        return await client.submit_routine(name, trigger=trigger, timeout=timeout,
                                           client=await self.app.temporal(), database=self.database)

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
