"""Routine runs on a real Temporal dev server: DAG order, concurrency, skips, cancellation, scale."""

from __future__ import annotations

import time

import pytest
from temporalio.api.enums.v1 import EventType

from oto.engine import client as engine_client
from oto.engine.worker import serving
from oto.services import runs
from tests.support import processes_in, until
from tests.support.engine import Engine, at, by_step, status


async def test_a_diamond_runs_in_order_with_its_middle_steps_overlapping(any_engine: Engine) -> None:
    e = any_engine
    e.sh("make-a", "echo a > a.txt")
    e.sh("copy-b", "sleep 1; cat a.txt > b.txt")
    e.sh("copy-c", "sleep 1; cat a.txt > c.txt")
    e.sh("join-d", "cat b.txt c.txt")
    e.routine("diamond", [("a", "make-a", []), ("b", "copy-b", ["a"]), ("c", "copy-c", ["a"]),
                          ("d", "join-d", ["b", "c"])])
    run = await e.run_routine("diamond")
    assert run["status"] == "succeeded"
    steps = by_step(run)
    assert [s["step"] for s in run["steps"]] == ["a", "b", "c", "d"]
    assert all(s["status"] == "succeeded" and s["exit_code"] == 0 for s in steps.values())
    a, b, c, d = (steps[k] for k in "abcd")
    assert at(a["finished_at"]) <= at(b["started_at"]) and at(a["finished_at"]) <= at(c["started_at"])
    assert at(b["started_at"]) < at(c["finished_at"]) and at(c["started_at"]) < at(b["finished_at"])  # overlap
    assert at(d["started_at"]) >= max(at(b["finished_at"]), at(c["finished_at"]))
    # every step worked in the routine's one folder, so d read what b and c wrote
    assert d["stdout"] == "a\na\n"
    assert {s["workdir"] for s in steps.values()} == {run["workdir"]}
    assert all(s["parent_id"] == run["run_id"] and s["kind"] == "step" for s in steps.values())
    assert a["artifacts"] == [{"path": "a.txt", "size": 2}]
    # steps that overlap in one folder may each list what the other wrote in the meantime
    assert {"path": "b.txt", "size": 2} in b["artifacts"]


async def test_a_failed_step_skips_its_dependents_and_nothing_else(engine: Engine) -> None:
    engine.sh("ok", "true")
    engine.sh("bad", "echo broken >&2; exit 2")
    engine.routine("partial", [("a", "ok", []), ("b", "bad", ["a"]), ("c", "ok", ["b"]), ("d", "ok", ["c"]),
                               ("e", "ok", ["a"]), ("f", "ok", ["e", "b"])])
    run = await engine.run_routine("partial")
    assert run["status"] == "failed"
    steps = by_step(run)
    assert {k: s["status"] for k, s in steps.items()} == {
        "a": "succeeded", "b": "failed", "c": "skipped", "d": "skipped", "e": "succeeded", "f": "skipped"}
    assert steps["b"]["exit_code"] == 2 and steps["b"]["stderr"] == "broken\n"
    assert steps["c"]["started_at"] is None and "'b'" in steps["c"]["error"]
    with engine.database.session() as db:
        assert len(runs.list_runs(db, parent_id=run["run_id"])) == 6  # one record per step


async def test_a_cancelled_routine_stops_its_processes_and_closes_every_step(engine: Engine) -> None:
    engine.sleep("long", "30")
    engine.routine("slow", [("one", "long", []), ("two", "long", []), ("after", "long", ["one"])])
    run_id = await engine_client.submit_routine("slow", client=engine.client, database=engine.database)
    folder = engine.home / "runs" / run_id
    await until(lambda: len(processes_in(folder)) == 2)
    started = time.monotonic()
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    run = await engine.wait(run_id)
    assert time.monotonic() - started < 8
    assert run["status"] == "cancelled"
    assert {s["status"] for s in run["steps"]} == {"cancelled"}
    assert processes_in(folder) == []


async def test_concurrency_is_limited_by_the_setting(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_ROUTINE_CONCURRENCY", "2")
    from oto.settings import get_settings

    get_settings.cache_clear()
    engine.sh("nap", "sleep 0.3")
    engine.routine("wide", [(f"s{i}", "nap", []) for i in range(6)])
    run = await engine.run_routine("wide")
    assert run["status"] == "succeeded"
    spans = [(at(s["started_at"]), at(s["finished_at"])) for s in run["steps"]]
    most = max(sum(1 for b, e in spans if b <= start < e) for start, _ in spans)
    assert most == 2


async def test_steps_run_on_their_own_queues_and_long_hops_continue_as_new(engine: Engine) -> None:
    other = f"{engine.queue}-other"
    engine.sh("here", "echo here >> trail.txt", queue=engine.queue)
    engine.sh("there", "echo there >> trail.txt", queue=other)
    hops = 30  # each hop is a segment of its own: more history than the server's suggestion allows
    engine.routine("hops", [(f"s{i}", "here" if i % 2 == 0 else "there", [f"s{i - 1}"] if i else [])
                            for i in range(hops)])
    async with serving(engine.client, [other], engine.database):
        run = await engine.run_routine("hops")
    assert run["status"] == "succeeded"
    trail = (engine.home / "runs" / run["run_id"] / "trail.txt").read_text().split()
    assert trail == ["here", "there"] * (hops // 2)
    for s in run["steps"]:
        assert s["worker"].endswith(f"({engine.queue})" if s["job"] == "here" else f"({other})")
    runs_of_workflow = [w async for w in engine.client.list_workflows(f'WorkflowId = "{run["run_id"]}"')]
    assert len(runs_of_workflow) > 1  # it continued as new at least once


async def test_a_routine_of_two_thousand_steps_stays_a_short_history(engine: Engine) -> None:
    engine.sh("t", "true")
    n = 2000
    engine.routine("big", [("root", "t", [])] + [(f"s{i}", "t", ["root"]) for i in range(n - 2)]
                   + [("last", "t", [f"s{i}" for i in range(n - 2)])])
    run = await engine.run_routine("big")
    assert run["status"] == "succeeded"
    assert len(run["steps"]) == n and {s["status"] for s in run["steps"]} == {"succeeded"}
    events = [e async for e in engine.client.get_workflow_handle(run["run_id"]).fetch_history_events()]
    assert len(events) < 40
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert status(engine, run["run_id"]) == "succeeded"
