"""Schedules: every change written to the database and to its Temporal Schedule, both or neither.

The services validate first, in a dry run, so bad input is refused before Temporal is asked.
Then the database is written (flushed, not committed), Temporal is told, and the transaction
commits. If Temporal refuses, the transaction rolls back; if the commit fails, Temporal's change
is undone. How a schedule looks on Temporal lives in ``oto.engine.schedules``; what the
database holds, and every check, in ``oto.services.schedules``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from oto.domain.documents import ScheduleDoc
from oto.errors import InvalidInput, OtoError, Unavailable
from oto.services import deletions, listings, schedules
from oto.services.listings import Page

if TYPE_CHECKING:
    from temporalio.client import Client

    from oto.app.application import App
    from oto.engine.schedules import SyncReport

T = TypeVar("T")
POLL = 0.1
OVERLAP_POLICIES = schedules.OVERLAP_POLICIES


def trigger_of(name: str) -> str:
    """The trigger the runs of schedule ``name`` carry: ``schedule:<name>``."""
    return schedules.trigger_of(name)


def temporal_id(name: str) -> str:
    """The id of schedule ``name``'s Temporal Schedule."""
    from oto.engine.schedules import schedule_id

    return schedule_id(name)


def wrote_schedules(counts: dict[str, dict[str, int]]) -> bool:
    """Whether an import (its report's ``counts``) created or updated schedules."""
    written = counts.get("schedules", {})
    return bool(written.get("created") or written.get("updated"))


class Schedules:
    """Schedules of jobs and routines, on a cron or an interval, fired by Temporal."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    # -- reads -------------------------------------------------------------------------------------

    def get(self, name: str) -> ScheduleDoc:
        return self.database.call(schedules.get, name)

    def list_all(self) -> list[ScheduleDoc]:
        return self.database.call(schedules.list_all)

    def page(self, *, job: str | None = None, routine: str | None = None, offset: int = 0,
             limit: int = 100) -> Page[ScheduleDoc]:
        return self.database.call(listings.schedule_page, job=job, routine=routine, offset=offset, limit=limit)

    @staticmethod
    def next_fires(doc: ScheduleDoc, count: int = 5) -> list[datetime]:
        """When it fires next, computed from its spec as Temporal does (no Temporal needed)."""
        return schedules.next_fire_times(doc, count)

    def recent_runs(self, name: str, limit: int = 5) -> list[dict[str, Any]]:
        return self.database.call(schedules.recent_runs, name, limit=limit)

    # -- both places ---------------------------------------------------------------------------------

    async def _both(self, write: Callable[[Session], T], tell: Callable[[T], Awaitable[Any]],
                    undo: Callable[[T], Awaitable[None]]) -> T:
        """``write`` in the database (flushed), then ``tell`` Temporal, then commit.

        Refused by the services or by Temporal: the transaction rolls back, nothing is written. The
        commit fails after Temporal was told: ``undo`` puts Temporal back as it was.
        """
        told: list[T] = []
        try:
            async with self.database.transaction() as transaction:
                written = await transaction.run(write)
                await tell(written)
                told.append(written)
        except BaseException:
            if told:
                await undo(told[0])
            raise
        return written

    async def add(self, data: ScheduleDoc | dict[str, Any]) -> ScheduleDoc:
        """Add a schedule to OTO and to Temporal; refused with nothing written in either on any error."""
        from oto.engine.schedules import delete_quietly, put

        doc = schedules.parse(data)

        def write(db: Session) -> ScheduleDoc:
            return schedules.add(db, doc)

        await self.database.check(write)
        temporal = await self.app.temporal()

        async def undo(saved: ScheduleDoc) -> None:
            await delete_quietly(temporal, saved.name)

        return await self._both(write, lambda saved: put(temporal, saved), undo)

    async def update(self, name: str, changes: dict[str, Any]) -> ScheduleDoc:
        """Change a schedule (the given fields replace the stored ones) in OTO and on Temporal."""
        from oto.engine.schedules import put, put_quietly

        def write(db: Session) -> ScheduleDoc:
            return schedules.update(db, name, changes)

        await self.database.check(write)
        temporal = await self.app.temporal()
        before = await self.database.run(schedules.get, name)

        async def undo(_: ScheduleDoc) -> None:
            await put_quietly(temporal, before)

        return await self._both(write, lambda after: put(temporal, after), undo)

    async def _set_paused(self, name: str, paused: bool, note: str) -> ScheduleDoc:
        from temporalio.service import RPCError

        from oto.engine.schedules import PAUSED_NOTE, RESUMED_NOTE, is_missing, put, put_quietly, refused, schedule_id

        before = await self.database.run(schedules.get, name)  # NotFound before Temporal is asked
        temporal = await self.app.temporal()

        async def tell(doc: ScheduleDoc) -> None:
            handle = temporal.get_schedule_handle(schedule_id(name))
            try:
                if paused:
                    await handle.pause(note=note or PAUSED_NOTE)
                else:
                    await handle.unpause(note=note or RESUMED_NOTE)
            except RPCError as error:
                if not is_missing(error):
                    raise refused(name, "pause" if paused else "resume", error) from None
                await put(temporal, doc)  # deleted behind OTO's back: recreated, in its new state

        async def undo(_: ScheduleDoc) -> None:
            await put_quietly(temporal, before)

        def write(db: Session) -> ScheduleDoc:
            return schedules.set_paused(db, name, paused, note)

        return await self._both(write, tell, undo)

    async def pause(self, name: str, note: str = "") -> ScheduleDoc:
        """Pause a schedule: no fire until it is resumed."""
        return await self._set_paused(name, True, note)

    async def resume(self, name: str, note: str = "") -> ScheduleDoc:
        return await self._set_paused(name, False, note)

    async def delete(self, name: str) -> None:
        """Delete a schedule from OTO and from Temporal (runs it already started go on)."""
        from oto.engine.schedules import delete_on_server, put_quietly

        await self.database.run(schedules.get, name)  # NotFound before Temporal is asked
        temporal = await self.app.temporal()

        def write(db: Session) -> ScheduleDoc:
            doc = schedules.get(db, name)
            schedules.delete(db, name)
            return doc

        async def tell(_: ScheduleDoc) -> None:
            await delete_on_server(temporal, name)

        async def undo(doc: ScheduleDoc) -> None:
            await put_quietly(temporal, doc)

        await self._both(write, tell, undo)

    async def delete_with(self, kind: deletions.Kind, *key: str, cascade: bool = False) -> list[str]:
        """Delete a catalog item and, with ``cascade``, what uses it; the schedules that go with it
        are deleted on Temporal too. Returns those schedules' names.

        Refusals (NotFound, InUse) come before Temporal is asked, and a delete that removes no
        schedule never asks it. Otherwise Temporal must answer (else Unavailable, nothing deleted).
        The database delete is flushed, the Temporal schedules are deleted, then the transaction
        commits; if Temporal refuses one or the commit fails, the Temporal schedules already deleted
        are put back. Should that fail too, ``oto schedule sync`` recreates them from the database.
        """
        doomed = await self.database.run(deletions.schedules_removed, kind, *key, cascade=cascade)
        temporal: Client | None = await self.app.temporal() if doomed else None
        deleted: list[ScheduleDoc] = []

        def write(db: Session) -> list[ScheduleDoc]:
            docs = [schedules.get(db, name) for name in deletions.schedules_removed(db, kind, *key, cascade=cascade)]
            deletions.delete(db, kind, *key, cascade=cascade)
            return docs

        async def put_back() -> None:
            from oto.engine.schedules import put_quietly

            if temporal is not None:
                for doc in deleted:
                    await put_quietly(temporal, doc)

        async def tell(docs: list[ScheduleDoc]) -> None:
            from oto.engine.schedules import delete_on_server

            nonlocal temporal
            if not docs:
                return
            server = temporal = temporal or await self.app.temporal()  # none yet: added since the first look
            try:
                for doc in docs:
                    deleted.append(doc)  # before the call: a delete whose answer is lost is put back too
                    await delete_on_server(server, doc.name)
            except BaseException:
                await put_back()
                raise

        async def undo(_: list[ScheduleDoc]) -> None:
            await put_back()

        return [doc.name for doc in await self._both(write, tell, undo)]

    # -- Temporal's side ---------------------------------------------------------------------------

    async def trigger(self, name: str, *, wait: float = 5.0) -> str | None:
        """Fire a schedule now, whatever its overlap policy and even when paused.

        Returns the id of the run it started once a worker has recorded it (within ``wait``
        seconds), or None when none has yet (the fire waits on Temporal for a worker).
        """
        from temporalio.client import ScheduleOverlapPolicy
        from temporalio.service import RPCError

        from oto.engine.schedules import handle, refused

        doc = await self.database.run(schedules.get, name)  # NotFound before Temporal is asked
        found = await handle(await self.app.temporal(), doc)
        before = set(await self.database.run(schedules.fire_runs, name))
        try:
            await found.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        except RPCError as error:
            raise refused(name, "trigger", error) from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            made = await self.database.run(schedules.fire_runs, name)
            new = [(fire, run_id) for fire, run_id in made.items() if fire not in before]
            if new:
                return new[0][1]
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(POLL)

    async def backfill(self, name: str, start: datetime, end: datetime, *,
                       overlap: str = "buffer_all") -> list[datetime]:
        """Fire a schedule for each of its times in (start, end], as if they were now; returns those times."""
        from temporalio.client import ScheduleBackfill
        from temporalio.service import RPCError

        from oto.engine.schedules import BACKFILL_OVERLAP, handle, refused

        if overlap not in BACKFILL_OVERLAP:
            raise InvalidInput(f"overlap must be one of {', '.join(BACKFILL_OVERLAP)}, not {overlap!r}")
        doc = await self.database.run(schedules.get, name)
        first, last = schedules.check_backfill(doc, start, end)
        found = await handle(await self.app.temporal(), doc)
        try:
            await found.backfill(ScheduleBackfill(first, last, overlap=BACKFILL_OVERLAP[overlap]))
        except RPCError as error:
            raise refused(name, "backfill", error) from None
        return schedules.fires_between(doc, first, last)

    async def describe(self, name: str, *, count: int = 5) -> dict[str, Any]:
        """A schedule as ``oto schedule show`` shows it: its spec, next fire times, recent runs, and
        Temporal's view (fires taken, skipped by the overlap policy, missed outside the catch-up window).

        The next fire times are computed from the spec (they need no Temporal); Temporal's own are
        under ``server.next``. With Temporal unreachable, ``server.state`` says so and the rest stands.
        """
        from oto.engine.schedules import ServerView, schedule_id, server_view

        def local(db: Session) -> tuple[ScheduleDoc, list[dict[str, Any]], dict[str, str]]:
            return (schedules.get(db, name), schedules.recent_runs(db, name, limit=count),
                    schedules.fire_runs(db, name))

        doc, recent, fired = await self.database.run(local)
        try:
            server = await server_view(await self.app.temporal(), doc, fired, count)
        except Unavailable as error:
            server = ServerView("unreachable", schedule_id(name), error=error.message)
        return {
            "schedule": doc.model_dump(mode="json"),
            "trigger": schedules.trigger_of(name),
            "next": [t.isoformat() for t in schedules.next_fire_times(doc, count)],
            "recent_runs": recent,
            "server": _plain(asdict(server)),
        }

    async def sync(self, *, prune: bool = False) -> SyncReport:
        """Make Temporal's schedules match the database; report (or ``prune``) the ones OTO does not know."""
        from oto.engine.schedules import sync

        return await sync(await self.app.temporal(), self.database, prune=prune)

    async def sync_imported(self) -> str | None:
        """After an import that wrote schedules: ``sync``, so Temporal gets them.

        The import stands whatever happens here: returns None when Temporal took every schedule, else
        one sentence saying what did not reach Temporal and that ``oto schedule sync`` finishes it.
        """
        try:
            report = await self.sync()
        except Exception as error:  # the import is committed: whatever fails now must not read as a refusal
            reason = error.message if isinstance(error, OtoError) else f"{type(error).__name__}: {error}"
            return (f"the import stands, but Temporal did not get its schedules ({reason}): "
                    "`oto schedule sync` will finish it")
        if report.failed:
            return (f"the import stands, but Temporal did not take schedule(s) {', '.join(sorted(report.failed))}: "
                    "`oto schedule sync` will finish it")
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
