"""A cancel that arrives while a routine's record is being closed does not leave it open.

The workflow is the real RoutineWorkflow on the real dev server; its two activities are small
stand-ins, so the test can hold the closing write open exactly when the cancel arrives.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from oto.domain.runs import FinishRoutineInput, RoutinePlan, RoutineResult, RunStatus, SegmentStatuses, StepsInput
from oto.engine.contracts import FINISH_ROUTINE, NOTIFY_WANTED, ROUTINE_WORKFLOW, RUN_STEPS
from oto.engine.workflows import RoutineWorkflow


async def test_a_cancel_during_the_closing_write_still_closes_the_record(temporal_client: Client) -> None:
    closing_started = asyncio.Event()
    closed: list[FinishRoutineInput] = []

    @activity.defn(name=RUN_STEPS)
    async def run_steps(segment: StepsInput) -> SegmentStatuses:
        return dict.fromkeys(segment.step_ids, RunStatus.SUCCEEDED)

    @activity.defn(name=FINISH_ROUTINE)
    async def finish_routine(request: FinishRoutineInput) -> RunStatus:
        closing_started.set()
        await asyncio.sleep(1.5)  # the record's write, slow: the database is busy
        closed.append(request)
        return RunStatus.SUCCEEDED

    @activity.defn(name=NOTIFY_WANTED)
    async def notify_wanted(run_id: str) -> list[list[str]]:
        return []  # no notification listens

    queue = f"closing-{uuid.uuid4().hex[:12]}"
    plan = RoutinePlan(f"run-{uuid.uuid4().hex}", ["only"], [queue], [0], [[]], [10.0], 1.0, 1)
    async with Worker(temporal_client, task_queue=queue, workflows=[RoutineWorkflow],
                      activities=[run_steps, finish_routine, notify_wanted]):
        handle = await temporal_client.start_workflow(ROUTINE_WORKFLOW, plan, id=plan.run_id, task_queue=queue,
                                                      result_type=RoutineResult)
        await asyncio.wait_for(closing_started.wait(), 30)
        await handle.cancel()
        result = await handle.result()

    assert result.status == RunStatus.SUCCEEDED  # the run had ended; the late cancel changes nothing
    assert [r.run_id for r in closed] == [plan.run_id], "the closing write was cut short"
