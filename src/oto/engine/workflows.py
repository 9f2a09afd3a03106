"""The workflows: one job run, one routine run as a DAG of batched segments, and one fire of a schedule.

Workflow code must be deterministic: it imports only temporalio, the stdlib, the run contract
(``oto.domain.runs``) and the engine's stdlib-only modules, and it never touches the database or
the clock itself. The activities do.
Both run unsandboxed: they are small, reviewed for determinism, and the sandbox's per-run
module loading would cost more than the job they start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from oto.domain.runs import (
        FINAL,
        DeliverInput,
        FinishRoutineInput,
        FinishRunInput,
        JobAttempt,
        JobInput,
        JobProgress,
        JobResult,
        Limit,
        NotifyInput,
        PruneInput,
        RoutinePlan,
        RoutineResult,
        RunEnd,
        RunStatus,
        ScheduledInput,
        ScheduledStart,
        SegmentStatuses,
        StartScheduledRunInput,
        StepsInput,
        StepSlots,
        Watch,
        step_run_id,
    )
    from oto.engine.contracts import (
        DELIVER_NOTIFICATION,
        DELIVERY_ATTEMPTS,
        DELIVERY_TIMEOUT,
        FAST_WINDOW,
        FINISH_ROUTINE,
        FINISH_RUN,
        HEARTBEAT_TIMEOUT,
        JOB_WORKFLOW,
        MAX_ATTEMPTS,
        NOTIFY_ID_PREFIX,
        NOTIFY_WANTED,
        NOTIFY_WORKFLOW,
        PRUNE_RUNS,
        RETENTION_WORKFLOW,
        ROUTINE_WORKFLOW,
        RUN_JOB_NOW,
        RUN_STEPS,
        SCHEDULED_WORKFLOW,
        START_SCHEDULED_RUN,
        WATCH_JOB,
    )
    from oto.engine.dag import Dag
    from oto.engine.slots import Slots

T = TypeVar("T")
HEARTBEAT = timedelta(seconds=HEARTBEAT_TIMEOUT)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                    maximum_attempts=MAX_ATTEMPTS)
# A routine's running segments: each activity's handle (or the task awaiting a retried step's own
# workflow, or a step waiting for a slot of a concurrency limit), and the step indices it runs.
Segments = list[tuple[asyncio.Task[SegmentStatuses], list[int]]]
BOOKKEEPING = timedelta(seconds=60)
# Room after a run's own timeout for killing its group and writing its record.
MARGIN = 60.0


def _cancelled(error: BaseException) -> bool:
    return isinstance(error, asyncio.CancelledError | CancelledError) or (
        isinstance(error, ActivityError | ChildWorkflowError) and isinstance(error.cause, CancelledError)
    )


async def _despite_cancel(closing: Awaitable[T]) -> T:
    """Close a run's record even when a cancel arrives meanwhile: the run has ended already, and
    a cut-short closing activity would leave its record open for good."""
    task = asyncio.ensure_future(closing)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return await task


# Workflows that began before a run's end could notify replay without it (Temporal's patching).
NOTIFY_PATCH = "notify-at-end"
# Limited jobs that began before they gave their slots back during a retry's wait replay holding them.
FREE_SLOTS_WHILE_WAITING_PATCH = "free-slots-while-retry-waits"


async def _notify(run_id: str) -> None:
    """Start the notifications a run's end calls for, in a workflow of their own that this one abandons.

    Never the run's concern: whatever happens here (no worker reads the database, the notify workflow
    exists already), the run's status and result stay as they are, and its deliveries, retried for
    about an hour, never hold up the run's workflow or the next step of a routine.
    """
    if not workflow.patched(NOTIFY_PATCH):  # a run started before notifications replays as it ran
        return
    try:
        deliveries: list[list[str]] = await workflow.execute_local_activity(
            NOTIFY_WANTED, run_id, result_type=list[list[str]], start_to_close_timeout=BOOKKEEPING,
            retry_policy=RetryPolicy(maximum_attempts=3))
        if deliveries:
            await workflow.start_child_workflow(
                NOTIFY_WORKFLOW, NotifyInput(run_id, deliveries), id=f"{NOTIFY_ID_PREFIX}{run_id}",
                static_summary=f"notifications of {run_id}",
                parent_close_policy=workflow.ParentClosePolicy.ABANDON)
    except (ActivityError, ApplicationError, ChildWorkflowError, WorkflowAlreadyStartedError) as error:
        workflow.logger.warning("notifications of %s not started: %s", run_id, error)


def _reason(error: BaseException) -> str:
    """The innermost cause's first line, short enough for a table cell."""
    while isinstance(error, ActivityError) and error.cause is not None:
        error = error.cause
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the worker could not run it: {first[:200]}"


@workflow.defn(name=JOB_WORKFLOW, sandboxed=False)
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
        self._first: workflow.ActivityHandle[JobProgress] | None = None

    @workflow.run
    async def run(self, job: JobInput) -> JobResult:
        try:
            result = await self._limited(job)
        except asyncio.CancelledError:
            await _notify(job.run_id)
            raise
        await _notify(job.run_id)
        return result

    async def _limited(self, job: JobInput) -> JobResult:
        if not job.limits:
            return await self._run(job)
        # a limited job: a slot of each limit first (its record stays queued, saying why), given
        # back whatever the end (oto.engine.slots)
        slots = Slots()
        try:
            await slots.acquire(job.limits, ticket=job.run_id, since=workflow.info().workflow_start_time.timestamp(),
                                task_queue=workflow.info().task_queue)
        except (ActivityError, asyncio.CancelledError) as error:
            await slots.release(job.run_id)
            if _cancelled(error):
                await self._finish(job.run_id, RunStatus.CANCELLED, "cancelled while it waited for a slot")
                raise asyncio.CancelledError() from None
            await _despite_cancel(self._finish(job.run_id, RunStatus.FAILED, _reason(error)))
            return JobResult(job.run_id, RunStatus.FAILED)
        try:
            return await self._run(job, slots if workflow.patched(FREE_SLOTS_WHILE_WAITING_PATCH) else None)
        finally:
            await slots.release(job.run_id)

    async def _run(self, job: JobInput, slots: Slots | None = None) -> JobResult:
        """The attempts of the job's retry policy; with ``slots``, they are given back during each wait
        between attempts (other runs may use them) and waited for again after it."""
        try:
            while True:
                result = await self._attempt(job)
                if result.again < 0:
                    return result
                if slots is not None:
                    await slots.release(job.run_id)
                # the retry policy's wait: a durable timer, so a worker lost meanwhile loses nothing
                # (another replays this history and waits out the rest); a cancel ends it at once
                await workflow.sleep(timedelta(seconds=max(result.again, 0.001)))
                if slots is not None:  # behind the runs that asked meanwhile
                    await slots.acquire(job.limits, ticket=job.run_id, since=workflow.now().timestamp(),
                                        task_queue=workflow.info().task_queue)
        except (ActivityError, ApplicationError, asyncio.CancelledError) as error:
            if _cancelled(error):
                await self._stop_handed_over(job.run_id)
                await self._finish(job.run_id, RunStatus.CANCELLED, "cancelled")
                raise asyncio.CancelledError() from None
            await _despite_cancel(self._finish(job.run_id, RunStatus.FAILED, _reason(error)))
            return JobResult(job.run_id, RunStatus.FAILED)

    async def _attempt(self, job: JobInput) -> JobResult:
        """One attempt of the job's retry policy, started again on another worker when its worker is lost."""
        attempt = JobAttempt(job.run_id)
        for _ in range(MAX_ATTEMPTS):
            self._first = workflow.start_local_activity(
                RUN_JOB_NOW, attempt, result_type=JobProgress,
                start_to_close_timeout=timedelta(seconds=FAST_WINDOW + MARGIN), retry_policy=RETRY)
            first: JobProgress = await self._first
            if first.status != RunStatus.RUNNING:
                return JobResult(job.run_id, first.status, first.exit_code, first.again)
            try:
                watched: JobResult = await workflow.execute_activity(
                    WATCH_JOB, Watch(job.run_id), result_type=JobResult, task_queue=first.queue,
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
                attempt = JobAttempt(job.run_id, first.host, first.groups)
        raise ApplicationError(f"its worker was lost {MAX_ATTEMPTS} times")

    async def _stop_handed_over(self, run_id: str) -> None:
        """A run cancelled between its first second and its watch: stop it on the worker holding it."""
        first = self._first
        if first is None or not first.done() or first.cancelled() or first.exception() is not None:
            return
        progress = first.result()
        if progress.status != RunStatus.RUNNING:
            return
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(
                WATCH_JOB, Watch(run_id, stop=True), result_type=JobResult, task_queue=progress.queue,
                schedule_to_start_timeout=HEARTBEAT, start_to_close_timeout=BOOKKEEPING,
                retry_policy=RetryPolicy(maximum_attempts=1))

    async def _finish(self, run_id: str, status: RunStatus, error: str) -> None:
        """Close the record if no attempt did (it never started, or every attempt was lost)."""
        await workflow.execute_activity(FINISH_RUN, FinishRunInput(run_id, status, error),
                                        start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY)


@workflow.defn(name=ROUTINE_WORKFLOW, sandboxed=False)
class RoutineWorkflow:
    """A routine run: steps in segments, one activity per segment on the segment's task queue.

    A segment is every step one queue can run from here without waiting on another queue, so a
    routine on a single queue is a single activity, however many steps it has: that keeps the
    history short (thousands of steps are a handful of events) and the throughput high. Routines
    that hop between queues many times continue-as-new when Temporal suggests it.
    """

    @workflow.run
    async def run(self, plan: RoutinePlan) -> RoutineResult:
        try:
            result = await self._run(plan)
        except asyncio.CancelledError:
            await _notify(plan.run_id)
            raise
        await _notify(plan.run_id)
        return result

    async def _run(self, plan: RoutinePlan) -> RoutineResult:
        if plan.timeout > 0 and not plan.deadline:  # the clock starts with the workflow, in workflow time
            plan = replace(plan, deadline=workflow.now().timestamp() + plan.timeout)
        dag = Dag(plan.after, plan.statuses or None)
        retried = frozenset(plan.retried)  # steps with a retry policy run as job workflows of their own
        alone = {s.index: s for s in plan.slots}  # steps that need a slot run on their own, once they hold it
        slots = Slots() if alone else None
        per_segment = max(1, plan.concurrency // max(1, len(plan.queues)))
        running: Segments = []
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
                    workflow.continue_as_new(replace(plan, statuses=[s if s in FINAL else "" for s in dag.status]))
                if not wrap_up:
                    if slots is not None:
                        for i in dag.take_alone(alone):
                            running.append((asyncio.ensure_future(self._alone(plan, slots, alone[i], retried)), [i]))
                    segments, own = dag.take_work(plan.queue_of, retried | frozenset(alone))
                    for queue, steps in segments.items():
                        running.append((self._start(plan, queue, steps, per_segment), steps))
                    for i in own:
                        running.append((asyncio.ensure_future(self._retried(plan, i)), [i]))
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
        return RoutineResult(plan.run_id, status, counts)

    async def _stop(self, plan: RoutinePlan, dag: Dag, running: Segments, errors: dict[str, str]) -> None:
        """Cancel the running segments and wait for them: each stops its processes and records its steps."""
        for handle, _ in running:
            handle.cancel()
        for handle, steps in running:
            # a user's cancel arriving meanwhile interrupts one wait, not the stopping
            with contextlib.suppress(ActivityError, asyncio.CancelledError):
                await handle
            self._settle(plan, dag, handle, steps, errors)

    async def _alone(self, plan: RoutinePlan, slots: Slots, step: StepSlots, retried: frozenset[int]
                     ) -> SegmentStatuses:
        """A step that needs a slot: it waits for one (its record queued, saying why), runs (as a job
        workflow of its own when it has a retry policy), and gives it back."""
        queue = plan.queue_of[step.index]
        ticket = step_run_id(plan.run_id, plan.step_ids[step.index])  # its record says why it waits
        if step.index in retried and workflow.patched(FREE_SLOTS_WHILE_WAITING_PATCH):
            # its job workflow takes the slots itself, and gives them back while it waits to retry
            return await self._retried(plan, step.index, [plan.limits[i] for i in step.limits])
        try:
            await slots.acquire([plan.limits[i] for i in step.limits], ticket=ticket,
                                since=workflow.now().timestamp(), task_queue=plan.queues[queue])
            if step.index in retried:
                return await self._retried(plan, step.index)
            return await self._start(plan, queue, [step.index], 1)
        finally:
            await slots.release(ticket)

    def _start(self, plan: RoutinePlan, queue: int, steps: list[int], concurrency: int
               ) -> asyncio.Task[SegmentStatuses]:
        budget = sum(plan.timeouts[i] + 3 * plan.kill_grace for i in steps) / min(concurrency, len(steps))
        return workflow.start_activity(
            RUN_STEPS, StepsInput(plan.run_id, [plan.step_ids[i] for i in steps], concurrency),
            result_type=SegmentStatuses, task_queue=plan.queues[queue],
            start_to_close_timeout=timedelta(seconds=budget + max(plan.timeouts) + MARGIN),
            heartbeat_timeout=HEARTBEAT, retry_policy=RETRY,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )

    async def _retried(self, plan: RoutinePlan, i: int, limits: Sequence[Limit] = ()) -> SegmentStatuses:
        """A step with a retry policy: its own job workflow (child), whose waits between attempts are
        timers; it takes the slots of ``limits`` itself."""
        step_id = plan.step_ids[i]
        run_id = step_run_id(plan.run_id, step_id)
        try:
            result: JobResult = await workflow.execute_child_workflow(
                JOB_WORKFLOW, JobInput(run_id, plan.timeouts[i], plan.kill_grace, list(limits)), id=run_id,
                task_queue=plan.queues[plan.queue_of[i]], result_type=JobResult,
                static_summary=f"step {step_id} of {plan.run_id}")
        except ChildWorkflowError as error:
            if _cancelled(error):
                raise asyncio.CancelledError() from None
            raise
        return {step_id: result.status}

    def _settle(self, plan: RoutinePlan, dag: Dag, handle: asyncio.Task[SegmentStatuses],
                steps: list[int], errors: dict[str, str]) -> None:
        if not handle.done():
            return
        error = handle.exception() if not handle.cancelled() else asyncio.CancelledError()
        if error is None:
            result = handle.result()
            for i in steps:
                dag.settle(i, result.get(plan.step_ids[i], RunStatus.FAILED))
            return
        status = RunStatus.CANCELLED if _cancelled(error) else RunStatus.FAILED
        for i in steps:
            if status == RunStatus.FAILED:
                errors[plan.step_ids[i]] = _reason(error)
            dag.settle(i, status)

    async def _finish(self, plan: RoutinePlan, dag: Dag, errors: dict[str, str], *, cancelled: bool,
                      timed_out: str = "") -> RunStatus:
        open_steps = {plan.step_ids[i]: s for i, s in enumerate(dag.status) if s != RunStatus.SUCCEEDED}
        for child, cause in dag.skipped_because.items():
            errors.setdefault(plan.step_ids[child], f"skipped: step {plan.step_ids[cause]!r} did not succeed")
        status: RunStatus = await workflow.execute_activity(
            FINISH_ROUTINE, FinishRoutineInput(plan.run_id, cancelled, open_steps, errors, timed_out),
            result_type=RunStatus, start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY,
        )
        return status


# -- one fire of a schedule --------------------------------------------------------------------------

# OTO's refusals (a schedule or a target gone, a job that no longer resolves) are not retried.
NOT_RETRIED = ["NotFound", "InvalidInput", "Refused", "InUse", "AlreadyExists"]
SCHEDULED_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                    maximum_attempts=MAX_ATTEMPTS, non_retryable_error_types=NOT_RETRIED)


@workflow.defn(name=SCHEDULED_WORKFLOW, sandboxed=False)
class ScheduledRunWorkflow:
    """One fire of a schedule: a run record, then its job or routine workflow as a child."""

    def __init__(self) -> None:
        self._run_id = ""

    @workflow.query(name="run_id")
    def run_id(self) -> str:
        """The id of the run this fire started ("" until it is recorded)."""
        return self._run_id

    @workflow.run
    async def run(self, fire: ScheduledInput) -> RunEnd:
        start: ScheduledStart = await workflow.execute_activity(
            START_SCHEDULED_RUN, StartScheduledRunInput(fire.schedule, workflow.info().workflow_id),
            result_type=ScheduledStart, start_to_close_timeout=BOOKKEEPING, retry_policy=SCHEDULED_RETRY,
        )
        self._run_id = start.run_id
        job = start.kind == "job"
        try:
            result: JobResult | RoutineResult = await workflow.execute_child_workflow(
                JOB_WORKFLOW if job else ROUTINE_WORKFLOW, start.job if job else start.routine, id=start.run_id,
                task_queue=start.task_queue, result_type=JobResult if job else RoutineResult,
                static_summary=f"{start.kind} {start.target} (schedule {fire.schedule})",
                # a fire cancelled by the overlap policy, or terminated, cancels its run cleanly
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
            )
            return RunEnd(result.run_id, result.status)
        except ChildWorkflowError as error:
            if isinstance(error.cause, CancelledError):  # `oto run cancel` on the run itself
                return RunEnd(start.run_id, RunStatus.CANCELLED)
            await self._close(start, f"its workflow ended without a result: {error.cause or error}")
            return RunEnd(start.run_id, RunStatus.FAILED)
        except asyncio.CancelledError:
            raise  # the child was asked to cancel, and has: it recorded its run cancelled

    async def _close(self, start: ScheduledStart, reason: str) -> None:
        """Close a run its workflow left open (the writes are conditional: a final record stays)."""
        if start.kind == "job":
            await workflow.execute_activity(FINISH_RUN, FinishRunInput(start.run_id, RunStatus.FAILED, reason),
                                            start_to_close_timeout=BOOKKEEPING, retry_policy=SCHEDULED_RETRY)
        else:
            await workflow.execute_activity(
                FINISH_ROUTINE, FinishRoutineInput(start.run_id, False, {}, {}), result_type=RunStatus,
                start_to_close_timeout=BOOKKEEPING, retry_policy=SCHEDULED_RETRY)


# -- after runs: notifications and retention ----------------------------------------------------------

# A receiver down for a while still gets it: tried again after 1, 2, 4 ... 60 s, for about an hour.
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                             maximum_interval=timedelta(seconds=60), maximum_attempts=DELIVERY_ATTEMPTS,
                             non_retryable_error_types=["NotFound"])


@workflow.defn(name=NOTIFY_WORKFLOW, sandboxed=False)
class NotifyWorkflow:
    """The notifications of one run's end, each delivered by its own retried activity; how many got a 2xx."""

    @workflow.run
    async def run(self, request: NotifyInput) -> int:
        sending = [workflow.execute_activity(
            DELIVER_NOTIFICATION, DeliverInput(name, run_id), result_type=int,
            start_to_close_timeout=timedelta(seconds=DELIVERY_TIMEOUT + 20), retry_policy=DELIVERY_RETRY)
            for name, run_id in request.deliveries]
        results = await asyncio.gather(*sending, return_exceptions=True)
        return sum(1 for r in results if isinstance(r, int) and r > 0)


@workflow.defn(name=RETENTION_WORKFLOW, sandboxed=False)
class RetentionWorkflow:
    """The retention schedule's daily fire: prune the final runs older than OTO_RUN_RETENTION."""

    @workflow.run
    async def run(self, request: PruneInput) -> dict[str, int]:
        pruned: dict[str, int] = await workflow.execute_activity(
            PRUNE_RUNS, request, result_type=dict[str, int], start_to_close_timeout=timedelta(hours=6),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3))
        return pruned
