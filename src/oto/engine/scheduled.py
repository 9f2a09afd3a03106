"""The workflow each fire of a Temporal Schedule starts: record the run, then run it as a child.

A Temporal Schedule of OTO (``oto.engine.schedules``) starts ``ScheduledRunWorkflow`` on OTO's
default task queue (OTO_TASK_QUEUE when the schedule was written). Its first step is an
activity that writes the run's records through the same service as ``oto job run`` and
``oto routine run`` (trigger ``schedule:<name>``); then it runs the ordinary job or routine
workflow as a child whose id is the run id, on the target's own task queue, and waits for it.
So a schedule's overlap policy applies to whole runs, a run started by a schedule is the same
run as any other (``oto run show``, ``oto run cancel``), and a schedule that fires while no
worker serves its queue still shows as a fire waiting on Temporal, never as nothing.

Stdlib and temporalio only at the top, like ``workflows``: the activity lives in
``oto.engine.schedules``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from oto.domain.runs import (
        FinishRoutineInput,
        FinishRunInput,
        JobInput,
        JobResult,
        RoutinePlan,
        RoutineResult,
        RunEnd,
        RunStatus,
    )
    from oto.engine.contracts import FINISH_ROUTINE, FINISH_RUN, JOB_WORKFLOW, MAX_ATTEMPTS, ROUTINE_WORKFLOW

SCHEDULED_WORKFLOW = "oto.scheduled"
START_SCHEDULED_RUN = "oto.start_scheduled_run"
# OTO's refusals (a schedule or a target gone, a job that no longer resolves) are not retried.
NOT_RETRIED = ["NotFound", "InvalidInput", "Refused", "InUse", "AlreadyExists"]
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                    maximum_attempts=MAX_ATTEMPTS, non_retryable_error_types=NOT_RETRIED)
BOOKKEEPING = timedelta(seconds=60)


@dataclass
class ScheduledInput:
    """What a schedule's action passes: the schedule's name; its target as it was when written.

    The target is only for people reading Temporal's history: at each fire the activity reads the
    schedule from OTO's database, which decides.
    """

    schedule: str
    kind: str
    target: str


@dataclass
class StartScheduledRunInput:
    schedule: str
    fire_id: str


@dataclass
class ScheduledStart:
    """The run one fire made, and the workflow input that runs it."""

    run_id: str
    kind: str
    target: str
    task_queue: str
    job: JobInput | None = None
    routine: RoutinePlan | None = None


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
            result_type=ScheduledStart, start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY,
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
                                            start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY)
        else:
            await workflow.execute_activity(
                FINISH_ROUTINE, FinishRoutineInput(start.run_id, False, {}, {}), result_type=RunStatus,
                start_to_close_timeout=BOOKKEEPING, retry_policy=RETRY)
