"""Records no workflow will ever close: closed once, by the one operation named for it.

Only workers write a run's outcome. A run whose workflow is gone (terminated by hand, or never
there) is closed by ``runs.close_orphan``, the routine's open steps with it.
"""

from __future__ import annotations

from oto.engine import client as engine_client
from oto.services import runs
from tests.support import processes_in, until
from tests.support.engine import Engine, status


async def test_waiting_on_a_routine_whose_workflow_was_terminated_closes_it_and_its_steps(engine: Engine) -> None:
    engine.sleep("long", "30")
    engine.routine("slow", [("first", "long", []), ("second", "long", ["first"])])
    run_id = await engine.submit_routine("slow")
    await until(lambda: status(engine, run_id) == "running" and processes_in(engine.home / "runs" / run_id) != [])
    await engine.client.get_workflow_handle(run_id).terminate("by hand")
    run = await engine.wait(run_id)
    assert (run["status"], run["error"]) == ("failed", "its workflow ended without a result")
    assert all(s["status"] == "failed" and s["error"] == run["error"] for s in run["steps"])
    assert (await engine.wait(run_id))["finished_at"] == run["finished_at"]  # closed once


async def test_cancelling_a_run_that_has_no_workflow_closes_its_record(engine: Engine) -> None:
    engine.sleep("long", "30")
    with engine.database.session() as db:
        run_id = runs.create_job_run(db, "long").id  # recorded, never started on Temporal
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    with engine.database.session() as db:
        run = runs.get(db, run_id)
    assert (run["status"], run["error"]) == ("cancelled", "cancelled; its workflow was not found")


async def test_cancelling_a_run_whose_workflow_already_ended_closes_its_record(engine: Engine) -> None:
    engine.sleep("long", "30")
    run_id = await engine.submit_job("long")
    await until(lambda: status(engine, run_id) == "running")
    await engine.client.get_workflow_handle(run_id).terminate("by hand")  # the record stays running
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    with engine.database.session() as db:
        run = runs.get(db, run_id)
    assert (run["status"], run["error"]) == ("cancelled", "cancelled; its workflow had already ended (terminated)")
