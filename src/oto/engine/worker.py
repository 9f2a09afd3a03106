"""Workers: serve OTO's workflows and activities on task queues, in-process or as ``oto worker``.

A job runs on a worker of its executable's task queue, so one worker per queue (or one process
serving several queues) is all a deployment needs; workers share the database with the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import signal
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from oto.engine import containment
from oto.engine.activities import Activities
from oto.engine.client import connect
from oto.engine.contracts import HEARTBEAT_EVERY
from oto.engine.reconcile import reconcile_forever
from oto.engine.schedules import sync_on_start
from oto.engine.slot_activities import SlotActivities
from oto.engine.slots import SlotsWorkflow
from oto.engine.workflows import (
    JobWorkflow,
    NotifyWorkflow,
    RetentionWorkflow,
    RoutineWorkflow,
    ScheduledRunWorkflow,
)
from oto.services.database import Database, get_database
from oto.settings import get_settings

WORKFLOWS = [JobWorkflow, RoutineWorkflow, ScheduledRunWorkflow, NotifyWorkflow, RetentionWorkflow, SlotsWorkflow]


def build(client: Client, task_queue: str, activities: Activities) -> Worker:
    """One Temporal worker for ``task_queue``, serving both workflows and all activities."""
    return Worker(
        client, task_queue=task_queue, workflows=WORKFLOWS,
        activities=[*activities.all(), *SlotActivities(activities.database).all()],
        # heartbeats reach the server each second, so a cancellation reaches the job within one
        max_heartbeat_throttle_interval=timedelta(seconds=HEARTBEAT_EVERY),
        default_heartbeat_throttle_interval=timedelta(seconds=HEARTBEAT_EVERY),
        # a worker that stops cancels its activities at once: their runs go to another worker
        graceful_shutdown_timeout=timedelta(0),
    )


@functools.cache
def sdk_runtime() -> Runtime | None:
    """With OTO_METRICS_PORT set, a Temporal runtime serving the SDK's metrics on the next port.

    One per process (it binds its port); the worker's client must be connected with it.
    """
    port = get_settings().metrics_port
    if port is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port + 1}")))


@asynccontextmanager
async def serving(client: Client, task_queues: Iterable[str], database: Database | None = None, *,
                  is_root: bool | None = None) -> AsyncIterator[list[Worker]]:
    """Workers for the given queues, running in this event loop until the block ends.

    ``is_root``: whether the worker runs jobs as root (by default, whether this process runs as root).
    """
    activities = Activities(database or get_database(), is_root=is_root)
    await asyncio.to_thread(containment.clean_up_after_lost_workers)  # what a killed worker here left
    async with AsyncExitStack() as stack:
        stack.push_async_callback(activities.close)
        # this worker's own queue, where it watches the jobs it started (see JobWorkflow)
        own = Worker(client, task_queue=activities.own_queue, activities=activities.own(),
                     max_heartbeat_throttle_interval=timedelta(seconds=HEARTBEAT_EVERY),
                     default_heartbeat_throttle_interval=timedelta(seconds=HEARTBEAT_EVERY),
                     graceful_shutdown_timeout=timedelta(0))
        workers = [await stack.enter_async_context(own)]
        workers += [await stack.enter_async_context(build(client, queue, activities))
                    for queue in dict.fromkeys(task_queues)]
        # runs recorded whose workflow never started: closed at start, then every minute
        reconciler = asyncio.create_task(reconcile_forever(client, activities.database))
        stack.push_async_callback(_stop, reconciler)
        settle_heap()
        yield workers


def settle_heap() -> None:
    """Set aside what the process holds once it serves (modules, the SDK, the database engine): the
    garbage collector then never walks it again. Each run makes objects by the thousand, and every
    collection they trigger used to traverse the whole heap: a sixth of a busy worker's CPU."""
    gc.collect()
    gc.freeze()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def run_worker(task_queues: Iterable[str], *, database: Database | None = None,
                     client: Client | None = None, ready: asyncio.Event | None = None) -> None:
    """Serve the queues until SIGINT or SIGTERM (``oto worker``)."""
    database = database or get_database()
    database.check_schema()
    client = client or await connect(runtime=sdk_runtime())
    port = get_settings().metrics_port
    if port is not None:  # OTO's own metrics; the SDK's are on port + 1 (sdk_runtime)
        start_http_server(port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await sync_on_start(client, database)  # schedules missing on Temporal are recreated at start
    async with serving(client, task_queues, database):
        if ready is not None:
            ready.set()
        await stop.wait()
