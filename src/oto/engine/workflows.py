"""The two workflows: one job run, and one routine run as a DAG of batched segments.

Workflow code must be deterministic: it imports only temporalio, the stdlib and the engine's
stdlib-only modules, and it never touches the database or the clock itself. The activities do.
Both run unsandboxed: they are small, reviewed for determinism, and the sandbox's per-run
module loading would cost more than the job they start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from oto.engine import contracts as c
    from oto.engine.dag import Dag

T = TypeVar("T")
HEARTBEAT = timedelta(seconds=c.HEARTBEAT_TIMEOUT)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                    maximum_attempts=c.MAX_ATTEMPTS)
BOOKKEEPING = timedelta(seconds=60)
# Room after a run's own timeout for killing its group and writing its record.
MARGIN = 60.0


def _cancelled(error: BaseException) -> bool:
    return isinstance(error, asyncio.CancelledError | CancelledError) or (
        isinstance(error, ActivityError) and isinstance(error.cause, CancelledError)
    )


async def _despite_cancel(closing: Coroutine[Any, Any, T]) -> T:
    """Close a run's record even when a cancel arrives meanwhile: the run has ended already, and
    a cut-short closing activity would leave its record open for good."""
    task = asyncio.ensure_future(closing)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return await task


def _reason(error: BaseException) -> str:
    """The innermost cause's first line, short enough for a table cell."""
    while isinstance(error, ActivityError) and error.cause is not None:
        error = error.cause
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the worker could not run it: {first[:200]}"


@workflow.defn(name=c.JOB_WORKFLOW, sandboxed=False)
class JobWorkflow:
    """One job run: its first second in a local activity, the rest watched by a heartbeating one.

    The local activity claims the run, starts the program on this workflow's worker and, for a
    quick job, records its end: one workflow task, as fast as the SDK's fastest path. A job still
    running then is watched by an activity on that worker's own task queue, which heartbeats, so
    a lost worker is noticed within the heartbeat timeout and the job starts again elsewhere
    (reaping what the lost try left when it is on the same machine). A non-zero exit is a
    result, never retried; conditional writes keep one final record whatever is retried.
    """

    def __init__(self) -> None:
        self._first: Any = None

    @workflow.run
    async def run(self, job: c.JobInput) -> dict[str, Any]:
        attempt = c.JobAttempt(job.run_id)
        try:
            for _ in range(c.MAX_ATTEMPTS):
                self._first = workflow.start_local_activity(
                    c.RUN_JOB_NOW, attempt, result_type=c.JobProgress,
                    start_to_close_timeout=timedelta(seconds=c.FAST_WINDOW + MARGIN), retry_policy=RETRY)
                first: c.JobProgress = await self._first
                if first.status != "running":
                    return {"run_id": job.run_id, "status": first.status, "exit_code": first.exit_code}
                try:
                    watched: dict[str, Any] = await workflow.execute_activity(
                        c.WATCH_JOB, c.Watch(job.run_id), result_type=dict, task_queue=first.queue,
                        schedule_to_start_timeout=HEARTBEAT,
                        start_to_close_timeout=timedelta(seconds=job.timeout + 3 * job.kill_grace + MARGIN),
                        heartbeat_timeout=HEARTBEAT, retry_policy=RetryPolicy(maximum_attempts=1),
                        cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                    )
                    return watched
                except ActivityError as error:
                    if _cancelled(error):
                        raise
                    # its worker is lost: start the job again, reaping what that try left if here
                    attempt = c.JobAttempt(job.run_id, first.host, first.groups)
            raise ApplicationError(f"its worker was lost {c.MAX_ATTEMPTS} times")
        except (ActivityError, ApplicationError, asyncio.CancelledError) as error:
            if _cancelled(error):
                await self._stop_handed_over(job.run_id)
                await self._finish(job.run_id, "cancelled", "cancelled")
                raise asyncio.CancelledError() from None
            await _despite_cancel(self._finish(job.run_id, "failed", _reason(error)))
            return {"run_id": job.run_id, "status": "failed", "exit_code": None}

    async def _stop_handed_over(self, run_id: str) -> None:
        """A run cancelled between its first second and its watch: stop it on the worker holding it."""
        first = self._first
        if first is None or not first.done() or first.cancelled() or first.exception() is not None:
            return
        progress: c.JobProgress = first.result()
        if progress.status != "running":
            return
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(
                c.WATCH_JOB, c.Watch(run_id, stop=True), result_type=dict, task_queue=progress.queue,
                schedule_to_start_timeout=HEARTBEAT, start_to_close_timeout=BOOKKEEPING,
                retry_policy=RetryPolicy(maximum_attempts=1))

    async def _finish(self, run_id: str, status: str, error: str) -> None:
        """Close the record if no attempt did (it never started, or every attempt was lost)."""
        await workflow.execute_activity(c.FINISH_RUN, c.FinishRunInput(run_id, status, error),
                                        start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY)


@workflow.defn(name=c.ROUTINE_WORKFLOW, sandboxed=False)
class RoutineWorkflow:
    """A routine run: steps in segments, one activity per segment on the segment's task queue.

    A segment is every step one queue can run from here without waiting on another queue, so a
    routine on a single queue is a single activity, however many steps it has: that keeps the
    history short (thousands of steps are a handful of events) and the throughput high. Routines
    that hop between queues many times continue-as-new when Temporal suggests it.
    """

    @workflow.run
    async def run(self, plan: c.RoutineInput) -> dict[str, Any]:
        if plan.timeout > 0 and not plan.deadline:  # the clock starts with the workflow, in workflow time
            plan = _carry(plan, plan.statuses, workflow.now().timestamp() + plan.timeout)
        dag = Dag(plan.after, plan.statuses or None)
        per_segment = max(1, plan.concurrency // max(1, len(plan.queues)))
        running: list[tuple[Any, list[int]]] = []
        errors: dict[str, str] = {}
        timed_out = False
        try:
            while True:
                left = plan.deadline - workflow.now().timestamp() if plan.deadline else None
                if left is not None and left <= 0 and (running or not dag.done):
                    timed_out = True
                    break
                wrap_up = workflow.info().is_continue_as_new_suggested()
                if wrap_up and not running:
                    statuses = [s if s in ("succeeded", "failed", "timed_out", "cancelled", "skipped") else ""
                                for s in dag.status]
                    workflow.continue_as_new(_carry(plan, statuses, plan.deadline))
                if not wrap_up:
                    for queue, steps in dag.take_segments(plan.queue_of).items():
                        running.append((self._start(plan, queue, steps, per_segment), steps))
                if not running:
                    break
                with contextlib.suppress(asyncio.TimeoutError):  # the deadline: the next turn sees it
                    await workflow.wait_condition(lambda: any(handle.done() for handle, _ in running),
                                                  timeout=None if left is None else max(left, 0.001))
                for handle, steps in [r for r in running if r[0].done()]:
                    running.remove((handle, steps))
                    self._settle(plan, dag, handle, steps, errors)
        except asyncio.CancelledError:
            await self._stop(plan, dag, running, errors)
            await self._finish(plan, dag, errors, cancelled=True)
            raise
        if timed_out:
            # as on a cancel, but the routine ends timed_out and its workflow does not fail
            await self._stop(plan, dag, running, errors)
            status = await _despite_cancel(self._finish(
                plan, dag, errors, cancelled=False, timed_out=f"the routine ran past its timeout of {plan.timeout:g}s"))
        else:
            status = await _despite_cancel(self._finish(plan, dag, errors, cancelled=False))
        counts: dict[str, int] = {}
        for s in dag.status:
            counts[s] = counts.get(s, 0) + 1
        return {"run_id": plan.run_id, "status": status, "steps": counts}

    async def _stop(self, plan: c.RoutineInput, dag: Dag, running: list[tuple[Any, list[int]]],
                    errors: dict[str, str]) -> None:
        """Cancel the running segments and wait for them: each stops its processes and records its steps."""
        for handle, _ in running:
            handle.cancel()
        for handle, steps in running:
            # a user's cancel arriving meanwhile interrupts one wait, not the stopping
            with contextlib.suppress(ActivityError, asyncio.CancelledError):
                await handle
            self._settle(plan, dag, handle, steps, errors)

    def _start(self, plan: c.RoutineInput, queue: int, steps: list[int], concurrency: int) -> Any:
        budget = sum(plan.timeouts[i] + 3 * plan.kill_grace for i in steps) / min(concurrency, len(steps))
        return workflow.start_activity(
            c.RUN_STEPS, c.StepsInput(plan.run_id, [plan.step_ids[i] for i in steps], concurrency),
            result_type=dict, task_queue=plan.queues[queue],
            start_to_close_timeout=timedelta(seconds=budget + max(plan.timeouts) + MARGIN),
            heartbeat_timeout=HEARTBEAT, retry_policy=RETRY,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )

    def _settle(self, plan: c.RoutineInput, dag: Dag, handle: Any, steps: list[int],
                errors: dict[str, str]) -> None:
        if not handle.done():
            return
        error = handle.exception() if not handle.cancelled() else asyncio.CancelledError()
        if error is None:
            result: dict[str, str] = handle.result()
            for i in steps:
                dag.settle(i, result.get(plan.step_ids[i], "failed"))
            return
        status = "cancelled" if _cancelled(error) else "failed"
        for i in steps:
            if status == "failed":
                errors[plan.step_ids[i]] = _reason(error)
            dag.settle(i, status)

    async def _finish(self, plan: c.RoutineInput, dag: Dag, errors: dict[str, str], *, cancelled: bool,
                      timed_out: str = "") -> str:
        open_steps = {plan.step_ids[i]: s for i, s in enumerate(dag.status) if s != "succeeded"}
        for child, cause in dag.skipped_because.items():
            errors.setdefault(plan.step_ids[child], f"skipped: step {plan.step_ids[cause]!r} did not succeed")
        status: str = await workflow.execute_activity(
            c.FINISH_ROUTINE, c.FinishRoutineInput(plan.run_id, cancelled, open_steps, errors, timed_out),
            result_type=str, start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY,
        )
        return status


def _carry(plan: c.RoutineInput, statuses: list[str], deadline: float) -> c.RoutineInput:
    """The plan with progress and deadline, for the next run of the workflow (continue-as-new)."""
    return c.RoutineInput(plan.run_id, plan.step_ids, plan.queues, plan.queue_of, plan.after, plan.timeouts,
                          plan.kill_grace, plan.concurrency, statuses, plan.timeout, deadline)
