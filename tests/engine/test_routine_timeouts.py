"""A routine run's timeout on a real Temporal dev server: the whole run's wall clock, from its workflow's start.

At the deadline the workflow cancels the running segments (their processes stop and their steps are
recorded, as on a user cancel), closes the steps not started, and ends the routine ``timed_out``
without failing. The deadline is absolute, so it survives continue-as-new.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Replayer

from oto.domain.runs import RoutinePlan
from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.engine.worker import WORKFLOWS, serving
from tests.support import processes_in, until
from tests.support.engine import Engine, at, by_step, oto_process, status


async def plans(engine: Engine, run_id: str) -> list[tuple[datetime, RoutinePlan]]:
    """Each run of a routine's workflow (continue-as-new makes more): when it started, and its input."""
    found = []
    async for execution in engine.client.list_workflows(f'WorkflowId = "{run_id}"'):
        handle = engine.client.get_workflow_handle(run_id, run_id=execution.run_id)
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [plan] = await engine.client.data_converter.decode(payloads, [RoutinePlan])
            found.append((event.event_time.ToDatetime().astimezone(), plan))
            break
    return sorted(found, key=lambda found: found[0])


async def replays(engine: Engine, run_id: str) -> None:
    """Every run of the workflow replays deterministically from its history (workflow time only)."""
    async for execution in engine.client.list_workflows(f'WorkflowId = "{run_id}"'):
        history = await engine.client.get_workflow_handle(run_id, run_id=execution.run_id).fetch_history()
        await Replayer(workflows=WORKFLOWS).replay_workflow(history)


async def test_a_routine_past_its_timeout_stops_its_steps_and_ends_timed_out(any_engine: Engine) -> None:
    e = any_engine
    e.sleep("long", "30")
    e.sleep("short", "1")
    e.routine("slow", [("first", "long", []), ("second", "short", ["first"])])
    started = time.monotonic()
    run_id = await e.submit_routine("slow", timeout=2)
    folder = e.home / "runs" / run_id
    await until(lambda: processes_in(folder) != [])
    run = await e.wait(run_id)
    assert time.monotonic() - started < 8  # 2 s, then a heartbeat to hear of it and the grace to stop
    assert run["status"] == "timed_out" and run["timeout"] == 2
    assert run["error"] == "the routine ran past its timeout of 2s"
    assert 2 <= (at(run["finished_at"]) - at(run["started_at"])).total_seconds() < 7
    first, second = by_step(run)["first"], by_step(run)["second"]
    assert first["status"] in ("cancelled", "timed_out") and first["started_at"] and first["finished_at"]
    assert "the routine ran past its timeout of 2s" in first["error"]
    assert second["status"] == "cancelled" and second["started_at"] is None and second["starts"] == 0
    assert "the routine ran past its timeout of 2s" in second["error"]
    assert processes_in(folder) == []
    # the workflow itself ended normally: a timeout is the run's result, not the workflow's failure
    described = await e.client.get_workflow_handle(run_id).describe()
    assert described.status == WorkflowExecutionStatus.COMPLETED
    assert await e.client.get_workflow_handle(run_id).result() == {
        "run_id": run_id, "status": "timed_out", "steps": {"cancelled": 2}}
    await replays(e, run_id)


async def test_a_routine_that_ends_before_its_timeout_is_unaffected(engine: Engine) -> None:
    engine.sh("ok", "echo ok")
    engine.sh("bad", "exit 3")
    engine.routine("quick", [("a", "ok", []), ("b", "ok", ["a"])])
    run = await engine.run_routine("quick", timeout=30)
    assert (run["status"], run["error"], run["timeout"]) == ("succeeded", None, 30)
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    engine.routine("broken", [("a", "bad", []), ("b", "ok", ["a"])])
    run = await engine.run_routine("broken", timeout=30)
    assert run["status"] == "failed" and [s["status"] for s in run["steps"]] == ["failed", "skipped"]
    untimed = await engine.run_routine("quick")
    assert untimed["status"] == "succeeded" and untimed["timeout"] is None


async def test_a_cancel_before_the_deadline_still_ends_cancelled(engine: Engine) -> None:
    engine.sleep("long", "30")
    engine.routine("slow", [("one", "long", []), ("two", "long", ["one"])])
    run_id = await engine.submit_routine("slow", timeout=60)
    folder = engine.home / "runs" / run_id
    await until(lambda: processes_in(folder) != [])
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    run = await engine.wait(run_id)
    assert run["status"] == "cancelled" and {s["status"] for s in run["steps"]} == {"cancelled"}
    assert all("timeout" not in s["error"] for s in run["steps"])
    assert processes_in(folder) == []


async def test_the_deadline_survives_continue_as_new(engine: Engine) -> None:
    other = f"{engine.queue}-other"
    engine.sh("here", "echo here >> trail.txt", queue=engine.queue)
    engine.sh("there", "echo there >> trail.txt", queue=other)
    engine.sleep("long", "30")
    hops = 30  # as in test_routines: enough segments for Temporal to suggest continuing as new
    steps = [(f"s{i}", "here" if i % 2 == 0 else "there", [f"s{i - 1}"] if i else []) for i in range(hops)]
    engine.routine("hops", [*steps, ("last", "long", [f"s{hops - 1}"]), ("never", "here", ["last"])])
    async with serving(engine.client, [other], engine.database):
        run = await engine.run_routine("hops", timeout=6)
    assert run["status"] == "timed_out" and run["error"] == "the routine ran past its timeout of 6s"
    steps_of = by_step(run)
    assert all(steps_of[f"s{i}"]["status"] == "succeeded" for i in range(hops))
    assert steps_of["last"]["status"] == "cancelled" and steps_of["never"]["status"] == "cancelled"
    assert processes_in(engine.home / "runs" / run["run_id"]) == []
    made = await plans(engine, run["run_id"])
    assert len(made) > 1  # it continued as new, and every run kept the first one's deadline
    (first_start, first), *later = made
    assert first.timeout == 6 and first.deadline == 0  # the clock starts with the workflow, not at submission
    deadlines = {plan.deadline for _, plan in later}
    assert len(deadlines) == 1
    assert abs(deadlines.pop() - first_start.timestamp() - 6) < 1.5
    assert (at(run["finished_at"]) - at(run["started_at"])).total_seconds() < 10
    await replays(engine, run["run_id"])


async def test_routine_run_wait_with_a_timeout_exits_1(engine: Engine, temporal: DevServer) -> None:
    engine.sleep("long", "30")
    engine.routine("slow", [("one", "long", [])])
    result = await oto_process(engine, temporal, "routine", "run", "slow", "--timeout", "1.5", "--wait", "--json")
    assert result.code == 1, result.err
    run = json.loads(result.out)
    assert (run["status"], run["timeout"]) == ("timed_out", 1.5)
    assert run["error"] == "the routine ran past its timeout of 1.5s"
    shown = await oto_process(engine, temporal, "run", "show", run["run_id"])
    assert "timed_out" in shown.out and "  timeout: 1.5s" in shown.out
    assert "the routine ran past its timeout of 1.5s" in shown.out
    assert status(engine, run["steps"][0]["run_id"]) == "cancelled"
