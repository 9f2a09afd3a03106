"""Waiting on a run just started: its workflow's result at once, then one read of its final record.

The same answers as waiting on any run: the final record, an orphan closed once, an unknown id
refused, and a step's id sent to its routine run.
"""

from __future__ import annotations

import pytest

from oto.engine import client as engine_client
from oto.errors import InvalidInput, NotFound
from oto.services import runs
from tests.support import processes_in, until
from tests.support.engine import Engine, status


async def _wait(engine: Engine, run_id: str) -> dict[str, object]:
    return await engine_client.wait(run_id, client=engine.client, database=engine.database, started=True)


async def test_a_started_job_is_answered_with_its_final_record(any_engine: Engine) -> None:
    any_engine.sh("talk", "echo said; exit 3")
    run = await _wait(any_engine, await any_engine.submit_job("talk"))
    assert (run["status"], run["exit_code"], run["stdout"]) == ("failed", 3, "said\n")
    assert run == await any_engine.wait(str(run["run_id"]))  # as a later wait reads it


async def test_a_started_run_whose_workflow_is_terminated_is_closed_once(engine: Engine) -> None:
    engine.sleep("long", "30")
    run_id = await engine.submit_job("long")
    await until(lambda: status(engine, run_id) == "running" and processes_in(engine.home / "runs" / run_id) != [])
    await engine.client.get_workflow_handle(run_id).terminate("by hand")
    run = await _wait(engine, run_id)
    assert (run["status"], run["error"]) == ("failed", "its workflow ended without a result")


async def test_an_id_without_a_workflow_is_answered_from_its_record(engine: Engine) -> None:
    with pytest.raises(NotFound):
        await _wait(engine, "run-0000-nothing")
    engine.sh("ok", "true")
    engine.routine("pair", [("a", "ok", []), ("b", "ok", ["a"])])
    run = await engine.run_routine("pair")
    with pytest.raises(InvalidInput, match="is a step of a routine run"):
        await _wait(engine, run["steps"][0]["run_id"])
    with engine.database.session() as db:
        assert runs.get(db, run["run_id"])["status"] == "succeeded"
