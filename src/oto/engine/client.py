"""How the CLI and the API start, cancel and follow runs: always through Temporal.

Every run goes through Temporal. These functions write the queued record (with its immutable
spec) and start the workflow whose id is the run id; they never spawn a job's process. Only a
worker's activity does, and only the worker writes what happened, with one named exception:
a record no workflow will ever close is closed through ``runs.close_orphan`` (Temporal refused
to start its workflow, a cancel finds no workflow, or ``wait`` sees its workflow end without
closing it).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from oto.domain.documents import Value
from oto.domain.models import Run
from oto.domain.runs import JobInput, JobSpec, RoutinePlan, RunKind, RunStatus
from oto.engine.contracts import JOB_WORKFLOW, ROUTINE_WORKFLOW
from oto.errors import InvalidInput, NotFound, Unavailable
from oto.services import adhoc, runs
from oto.services.database import Database, get_database
from oto.settings import get_settings

T = TypeVar("T")
CONNECT_TIMEOUT = 5.0
_clients: dict[tuple[str, str, int], Client] = {}


async def connect(address: str | None = None, namespace: str | None = None, *,
                  runtime: Runtime | None = None) -> Client:
    """A client for OTO_TEMPORAL_ADDRESS (one per event loop), or Unavailable in one sentence.

    TLS and API keys: see oto.engine.connection. ``runtime`` (a worker's, serving the SDK's
    metrics) applies to the loop's first connection.
    """
    from oto.engine.connection import connect_config

    settings = get_settings()
    address = address or settings.temporal_address
    namespace = namespace or settings.temporal_namespace
    key = (address, namespace, id(asyncio.get_running_loop()))
    if key not in _clients:
        config = connect_config(settings, address, namespace)
        try:
            _clients[key] = await asyncio.wait_for(Client.connect(**config, runtime=runtime), CONNECT_TIMEOUT)
        except (RuntimeError, OSError, TimeoutError) as error:
            raise Unavailable(
                f"cannot reach Temporal at {address} ({_short(error)}): start it with `oto dev`, "
                "or point OTO_TEMPORAL_ADDRESS at your cluster"
            ) from None
    return _clients[key]


def _short(error: BaseException) -> str:
    """A few words for what the native client says at length."""
    text = str(error).lower()
    for clue, words in (("refused", "connection refused"), ("dns", "unknown host"), ("resolve", "unknown host"),
                        ("timed out", "timed out"), ("deadline", "timed out")):
        if clue in text:
            return words
    return "timed out" if isinstance(error, TimeoutError) else "no answer"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine for a short-lived process (the CLI), and let Temporal's threads settle after.

    Temporal's native client can crash the interpreter at exit (temporalio/sdk-python#300) when
    it is still referenced; collecting it while Python is whole avoids that.
    """
    try:
        return asyncio.run(coroutine)
    finally:
        settle()


def settle() -> None:
    """Drop this process's clients and let Temporal's native threads wind down while Python is whole."""
    _clients.clear()
    gc.collect()
    time.sleep(0.05)


async def _in_db(database: Database | None, fn: Any, *args: Any, **kwargs: Any) -> Any:
    db_ = database or get_database()

    def work() -> Any:
        with db_.session() as db:
            return fn(db, *args, **kwargs)

    return await asyncio.to_thread(work)


# Refusals of Temporal's that hold whenever the same request is sent (a payload over its limits).
_FOR_GOOD = (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.OUT_OF_RANGE)


async def _start(client: Client, database: Database | None, run_id: str, workflow: str,
                 arg: JobInput | RoutinePlan, queue: str, summary: str) -> None:
    try:
        await client.start_workflow(workflow, arg, id=run_id, task_queue=queue, static_summary=summary,
                                    request_eager_start=True)
    except RPCError as error:
        # no workflow will ever close this record (nor its steps: close_orphan closes them too)
        await _in_db(database, runs.close_orphan, run_id, RunStatus.FAILED,
                     f"Temporal refused its workflow: {error.message}")
        if error.status in _FOR_GOOD:  # asking again cannot help: not a 503 with Retry-After
            raise InvalidInput(f"Temporal refused to start run {run_id}: {error.message}") from None
        raise Unavailable(f"Temporal refused to start run {run_id}: {error.message}") from None


def _job_input(run: Run) -> JobInput:
    spec = JobSpec.from_json(run.spec)
    return JobInput(run.id, spec.timeout, spec.kill_grace, list(spec.limits))


async def _connect_or_discard(database: Database | None, run_id: str) -> Client:
    """Bad input is refused before Temporal is asked; a Temporal that does not answer leaves no record."""
    try:
        return await connect()
    except Unavailable:
        await _in_db(database, runs.discard, run_id)
        raise


async def submit_job(name: str, *, trigger: str = "cli", timeout: float | None = None,
                     client: Client | None = None, database: Database | None = None,
                     rerun_of: str | None = None, values: Mapping[str, Value] | None = None) -> str:
    """Queue a run of job ``name`` with the input ``values`` and start its workflow; returns the run id at once."""
    run: Run = await _in_db(database, runs.create_job_run, name, trigger=trigger, timeout=timeout,
                            rerun_of=rerun_of, values=values)
    client = client or await _connect_or_discard(database, run.id)
    await _start(client, database, run.id, JOB_WORKFLOW, _job_input(run), run.task_queue, f"job {name}")
    return str(run.id)


async def submit_adhoc(request: adhoc.AdHoc, *, trigger: str, timeout: float | None = None,
                       client: Client | None = None, database: Database | None = None) -> str:
    """Check an ad-hoc combination (``POST /api/v1/run``), queue its run and start its workflow."""
    # bad input is refused before Temporal is asked for anything: a 422 should not wait on a connection
    await _in_db(database, adhoc.resolve, request)
    client = client or await connect()
    run: Run = await _in_db(database, adhoc.create_run, request, trigger=trigger, timeout=timeout)
    await _start(client, database, run.id, JOB_WORKFLOW, _job_input(run), run.task_queue,
                 f"ad hoc run of {request.executable_tag}")
    return str(run.id)


async def submit_routine(name: str, *, trigger: str = "cli", timeout: float | None = None,
                         client: Client | None = None, database: Database | None = None,
                         rerun_of: str | None = None, failed_only: bool = False,
                         values: Mapping[str, Value] | None = None) -> str:
    """Queue a run of routine ``name`` (one record per step) and start its workflow; returns the run id.

    ``timeout`` limits the whole run, from its workflow's start: past it, the routine ends ``timed_out``.
    ``rerun_of`` / ``failed_only``: see ``runs.create_routine_run``.
    """
    plan: RoutinePlan = await _in_db(database, runs.create_routine_run, name, trigger=trigger, timeout=timeout,
                                     rerun_of=rerun_of, failed_only=failed_only, values=values)
    client = client or await _connect_or_discard(database, plan.run_id)
    # the routine's workflow runs on its first step's queue: a one-queue routine needs one worker
    await _start(client, database, plan.run_id, ROUTINE_WORKFLOW, plan, plan.queues[0], f"routine {name}")
    return plan.run_id


async def _top_level(database: Database | None, run_id: str) -> tuple[str, str]:
    kind, status, _ = await _in_db(database, runs.status_of, run_id)
    if kind == RunKind.STEP:
        raise InvalidInput(f"run {run_id!r} is a step of a routine run: use the routine's run id")
    return kind, status


async def cancel(run_id: str, *, client: Client | None = None, database: Database | None = None) -> None:
    """Ask Temporal to cancel a queued or running run; the worker stops its processes and records it."""
    _, status = await _top_level(database, run_id)
    if status in runs.FINAL:
        raise InvalidInput(f"run {run_id!r} already ended ({status}); only queued or running runs can be cancelled")
    client = client or await connect()
    handle = client.get_workflow_handle(run_id)
    try:
        await handle.cancel()
        described = await handle.describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise Unavailable(f"Temporal did not cancel run {run_id}: {error.message}") from None
        # no workflow will ever run it, nor close its record
        await _in_db(database, runs.close_orphan, run_id, RunStatus.CANCELLED, "cancelled; its workflow was not found")
        return
    if described.status is not None and described.status != WorkflowExecutionStatus.RUNNING:
        # Its workflow ended (terminated by hand, timed out) without closing the record, and takes no
        # cancellation: nothing else would ever close it. A workflow that ended normally closed the
        # record first, and close_orphan leaves a final record alone.
        await _in_db(database, runs.close_orphan, run_id, RunStatus.CANCELLED,
                     f"cancelled; its workflow had already ended ({described.status.name.lower()})")


WORKFLOW_APPEARS_WITHIN = 10.0


async def wait(run_id: str, *, client: Client | None = None, database: Database | None = None,
               started: bool = False) -> dict[str, Any]:
    """Wait for a run's workflow to end; returns the run as ``oto run show`` shows it.

    Waiting reads; it writes nothing, but in one case, through ``runs.close_orphan``: Temporal says
    the run's workflow has ended yet the record is still open (the workflow was terminated by hand,
    or ran past its execution timeout, so no code of OTO's ran to close it). Nothing else ever will
    close such a record, and leaving it ``running`` would be a lie, so it is closed ``failed`` with
    that reason. A workflow that ends normally has closed its record before it ends, so a record
    still open after it is always such an orphan.

    ``started``: the caller has just started this run's workflow (``?wait=true``, ``job run --wait``),
    so the record is not read before its result: the answer comes as soon as the workflow ends,
    after one read of the final record.
    """
    if started:
        client = client or await connect()
        try:
            await client.get_workflow_handle(run_id).result()
        except WorkflowFailureError:
            pass  # cancelled or failed: the record says how
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise Unavailable(f"cannot follow run {run_id} on Temporal: {error.message}") from None
            return await wait(run_id, client=client, database=database)
        return await _final_view(database, run_id)
    _, status = await _top_level(database, run_id)
    # A run is recorded just before its workflow starts (a schedule's fire records it, then starts
    # the run as a child workflow), so a queued run may briefly have no workflow yet.
    deadline = time.monotonic() + WORKFLOW_APPEARS_WITHIN
    while status not in runs.FINAL:
        client = client or await connect()
        try:
            await client.get_workflow_handle(run_id).result()
            break
        except WorkflowFailureError:
            break  # cancelled or failed: the record says how
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise Unavailable(f"cannot follow run {run_id} on Temporal: {error.message}") from None
            if status != runs.QUEUED or time.monotonic() >= deadline:
                raise NotFound(
                    f"run {run_id!r} has no workflow on Temporal at {get_settings().temporal_address}"
                ) from None
        await asyncio.sleep(0.1)
        _, status = await _top_level(database, run_id)
    return await _final_view(database, run_id)


async def _final_view(database: Database | None, run_id: str) -> dict[str, Any]:
    """The run once its workflow has ended, closing it first if that workflow never did (see ``wait``)."""
    view: dict[str, Any] = await _in_db(database, runs.get, run_id)
    if view["status"] not in runs.FINAL:
        await _in_db(database, runs.close_orphan, run_id, RunStatus.FAILED, "its workflow ended without a result")
        view = await _in_db(database, runs.get, run_id)
    return view
