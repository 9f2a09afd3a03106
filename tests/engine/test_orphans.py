"""Records no workflow will ever close: closed once, by the one operation named for it.

Only workers write a run's outcome. A run whose workflow is gone (terminated by hand, or never
there) is closed by ``runs.close_orphan``, the routine's open steps with it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from oto.domain.models import Run
from oto.engine import client as engine_client
from oto.engine import reconcile
from oto.engine.worker import serving
from oto.errors import InvalidInput
from oto.services import routines, runs
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


async def test_a_routine_temporal_refuses_for_good_is_422_and_closes_its_steps(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan over Temporal's 2 MB (saved before the cap on plans): a retry cannot help, so no 503."""
    monkeypatch.setattr(routines, "MAX_PLAN_BYTES", 10**9, raising=False)
    engine.sh("a", "true")
    engine.routine("huge", [(f"{i:05d}" + "s" * 185, "a", []) for i in range(12_000)])
    with pytest.raises(InvalidInput, match="Temporal refused to start run "):
        await engine.submit_routine("huge")
    with engine.database.session() as db:
        found = runs.list_runs(db, routine="huge", limit=5)
        assert len(found) == 1 and found[0]["status"] == "failed"
        counts = runs.status_of(db, found[0]["run_id"])[2]
    assert counts == {"failed": 12_000}


def _recorded_ago(engine: Engine, run_id: str, seconds: float) -> None:
    with engine.database.session() as db:
        db.execute(sa.update(Run).where(Run.id == run_id).values(created_at=runs.now() - timedelta(seconds=seconds)))


async def test_a_run_recorded_but_never_started_is_closed_after_the_grace(engine: Engine) -> None:
    engine.sleep("long", "30")
    engine.routine("pair", [("first", "long", []), ("second", "long", ["first"])])
    with engine.database.session() as db:
        lost = runs.create_job_run(db, "long").id  # recorded; the process stopped before Temporal took it
        lost_routine = runs.create_routine_run(db, "pair").run_id
        recent = runs.create_job_run(db, "long").id
    started = await engine.submit_job("long")
    for run_id in (lost, lost_routine, started):
        _recorded_ago(engine, run_id, reconcile.GRACE + 1)

    closed = await reconcile.close_unstarted(engine.client, engine.database)
    assert sorted(closed) == sorted([lost, lost_routine])
    with engine.database.session() as db:
        assert (runs.get(db, lost)["status"], runs.get(db, lost)["error"]) == ("failed", reconcile.REASON)
        assert {s["status"] for s in runs.get(db, lost_routine)["steps"]} == {"failed"}
        assert runs.get(db, recent)["status"] == "queued"  # within the grace: its start may be under way
    assert status(engine, started) in ("queued", "running")  # its workflow exists
    await engine_client.cancel(started, client=engine.client, database=engine.database)


async def test_every_worker_closes_unstarted_runs_when_it_starts(engine: Engine) -> None:
    engine.sleep("long", "30")
    with engine.database.session() as db:
        lost = runs.create_job_run(db, "long").id
    _recorded_ago(engine, lost, reconcile.GRACE + 1)
    async with serving(engine.client, [f"{engine.queue}-other"], engine.database):
        await until(lambda: status(engine, lost) == "failed", timeout=10)
