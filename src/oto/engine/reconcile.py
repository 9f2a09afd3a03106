"""Closing the runs that were recorded but whose workflow never started.

Submitting records a queued run, then asks Temporal to start its workflow. A process stopped
between the two (killed, its host lost, Temporal frozen at that moment) leaves a record that no
workflow will ever close. Every worker looks for such runs when it starts and then every
``EVERY`` seconds: a run still queued ``GRACE`` seconds after it was recorded, whose workflow
Temporal does not know, is closed ``failed`` with ``REASON`` (``services.runs.close_orphan``,
its routine steps with it). It is not started again: whoever submitted it was told of a
failure, or never heard back, and a run that starts long after it was asked for may surprise
more than one that is plainly closed. A queued run whose workflow exists (waiting for a worker
of its queue) is left alone. The notifications that listen to failed runs are told, as when a
workflow ends (a ``NotifyWorkflow`` on the run's task queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from oto.domain.runs import NotifyInput, RunStatus
from oto.engine.contracts import NOTIFY_ID_PREFIX, NOTIFY_WORKFLOW
from oto.services import notifications, runs, unstarted
from oto.services.database import Database

log = logging.getLogger(__name__)

GRACE = 300.0
EVERY = 60.0
REASON = "its workflow was never started (the process that recorded the run stopped before Temporal took it)"


async def close_unstarted(client: Client, database: Database, *, grace: float = GRACE) -> list[str]:
    """Close the runs queued for more than ``grace`` seconds whose workflow Temporal does not know;
    returns their ids."""
    before = runs.now() - timedelta(seconds=grace)
    closed = []
    for run_id in await database.run(unstarted.queued_before, before):
        try:
            await client.get_workflow_handle(run_id).describe()
            continue  # it exists: a worker of its queue will take it
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        if await database.run(runs.close_orphan, run_id, RunStatus.FAILED, REASON):
            closed.append(run_id)
            await notify(client, database, run_id)
    return closed


async def notify(client: Client, database: Database, run_id: str) -> None:
    """Start the notifications a run closed here calls for, as its workflow would have at its end."""
    deliveries = await database.run(notifications.wanted, run_id)
    if not deliveries:
        return
    queue = str((await database.run(runs.get, run_id))["task_queue"])
    with contextlib.suppress(WorkflowAlreadyStartedError):  # told already
        await client.start_workflow(NOTIFY_WORKFLOW, NotifyInput(run_id, deliveries), id=f"{NOTIFY_ID_PREFIX}{run_id}",
                                    task_queue=queue, static_summary=f"notifications of {run_id}")


async def reconcile_forever(client: Client, database: Database, *, every: float = EVERY,
                            grace: float = GRACE) -> None:
    """``close_unstarted`` now and every ``every`` seconds; a failure is logged, never fatal."""
    while True:
        try:
            closed = await close_unstarted(client, database, grace=grace)
        except Exception as error:  # Temporal or the database away: the next round tries again
            log.warning("could not look for runs whose workflow never started: %s", error)
        else:
            if closed:
                log.warning("closed %d run(s) whose workflow never started: %s", len(closed), ", ".join(closed))
        await asyncio.sleep(every)
