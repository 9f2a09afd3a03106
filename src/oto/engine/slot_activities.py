"""The activities of concurrency limits: ask a semaphore for a slot, note why runs wait, find closed holders.

See ``oto.engine.slots`` for the semaphore itself.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from oto.domain.runs import SlotRequest, SlotsState
from oto.engine.contracts import ACQUIRE_SLOT, NOTE_WAITING, SIGNAL_ACQUIRE, SLOT_HOLDERS_CLOSED, SLOTS_WORKFLOW
from oto.engine.slots import semaphore_id
from oto.services import runs
from oto.services.database import Database


class SlotActivities:
    """A worker's activities of concurrency limits, writing notes to ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @activity.defn(name=ACQUIRE_SLOT)
    async def acquire_slot(self, request: SlotRequest) -> None:
        """Join the line of the request's semaphore, starting the semaphore if none runs (a local activity)."""
        await activity.client().start_workflow(
            SLOTS_WORKFLOW, SlotsState(request.limit), id=semaphore_id(request.limit.key),
            task_queue=request.task_queue, start_signal=SIGNAL_ACQUIRE, start_signal_args=[request],
            static_summary=f"slots of {request.limit.label}")

    @activity.defn(name=NOTE_WAITING)
    async def note_waiting(self, notes: dict[str, str]) -> None:
        """Write why each queued run waits into its record ("" clears it)."""
        await self._db(runs.note_waiting, notes)

    @activity.defn(name=SLOT_HOLDERS_CLOSED)
    async def slot_holders_closed(self, holders: list[str]) -> list[str]:
        """The workflows among ``holders`` that no longer run (closed, or never found)."""
        client = activity.client()
        closed = []
        for holder in holders:
            try:
                described = await client.get_workflow_handle(holder).describe()
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                closed.append(holder)
                continue
            if described.status != WorkflowExecutionStatus.RUNNING:
                closed.append(holder)
        return closed

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        def work() -> Any:
            with self.database.session() as db:
                return fn(db, *args)

        return await asyncio.to_thread(functools.partial(work))

    def all(self) -> list[Callable[..., Any]]:
        return [self.acquire_slot, self.note_waiting, self.slot_holders_closed]
