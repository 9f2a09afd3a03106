"""Runs: start jobs, routines and ad-hoc combinations on Temporal; cancel, wait for, follow and list them.

Every run goes through Temporal: submitting records the queued run with its frozen spec and
starts the workflow whose id is the run id. Bad input is refused before Temporal is asked, so a
422 never waits on a connection. Only workers write what a run came to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from oto.domain.documents import Value
from oto.engine.follow import Event  # plain data and file reads: Temporal's SDK is not loaded
from oto.services import adhoc, jobs, lookups, routines, run_pages, run_streams, runs
from oto.services.adhoc import AdHoc
from oto.services.listings import Page


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

__all__ = ["FINAL", "KINDS", "MAX_TIMEOUT", "STATUSES", "AdHoc", "Event", "Runs"]


class Runs:
    """Runs of jobs, routines (one record per step too) and ad-hoc flag combinations."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    # -- starting ----------------------------------------------------------------------------------

    async def submit_job(self, name: str, *, trigger: str = "cli", timeout: float | None = None,
                         values: Mapping[str, Value] | None = None) -> str:
        """Queue a run of job ``name`` with the input ``values`` (flag -> value) and start its workflow;
        returns the run id at once. A run's record keeps its values (``get(run)["inputs"]``, secret ones
        masked; its spec's ``inputs`` hold them as stored), so a later run can be given the same."""
        from oto.engine import client

        runs.check_timeout(timeout)  # bad input is refused before Temporal is asked
        await self.database.run(jobs.resolve, name, given=values)
        return await client.submit_job(name, trigger=trigger, timeout=timeout, client=await self.app.temporal(),
                                       database=self.database, values=values)

    async def submit_routine(self, name: str, *, trigger: str = "cli", timeout: float | None = None,
                             values: Mapping[str, Value] | None = None) -> str:
        """Queue a run of routine ``name`` with its input ``values`` (name -> value) and start its workflow;
        ``timeout`` limits the whole run."""
        from oto.engine import client

        runs.check_timeout(timeout)
        await self.database.run(_check_routine_values, name, values or {})
        return await client.submit_routine(name, trigger=trigger, timeout=timeout,
                                           client=await self.app.temporal(), database=self.database, values=values)

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

    async def wait(self, run_id: str) -> dict[str, Any]:
        """Wait for a run's end; returns it as ``get`` does."""
        from oto.engine import client

        run_id = await self.database.run(runs.resolve_id, run_id)
        return await client.wait(run_id, client=await self.app.temporal(), database=self.database)

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
        return self.database.call(runs.list_runs, status=status, job=job, routine=routine, trigger=trigger,
                                  kind=kind, offset=offset, limit=limit)

    def submitted_since(self, since: datetime) -> list[datetime]:
        """When each job and routine run submitted since ``since`` was, newest first."""
        return self.database.call(runs.submitted_since, since)

    def page(self, *, status: str | None = None, job: str | None = None, routine: str | None = None,
             trigger: str | None = None, kind: str | None = None, offset: int = 0,
             limit: int = 50) -> Page[dict[str, Any]]:
        """``list`` with the total the same filters match."""
        return self.database.call(run_pages.page, status=status, job=job, routine=routine, trigger=trigger,
                                  kind=kind, offset=offset, limit=limit)

