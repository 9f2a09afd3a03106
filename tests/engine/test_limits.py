"""Concurrency limits: at most N runs of a limited executable or job at once, cluster-wide, in submission order.

Real Temporal, real workers (in-process, or two ``oto worker`` processes, one of them SIGKILLed
while its job holds the slot). Each test names its executable afresh: semaphores are Temporal
workflows (``oto-slots-<key>``) and the dev server is shared by every test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.services import runs
from oto.services.database import Database
from tests.engine.test_lost_worker import Workers
from tests.support import until
from tests.support.engine import Engine, at, by_step, use_home


def limited(engine: Engine, seconds: str = "1", *, on_executable: int | None = 1,
            on_job: int | None = None, job: str = "nap") -> str:
    """A job ``job`` sleeping ``seconds`` of an executable of its own; returns the executable's tag."""
    name = f"nap{uuid.uuid4().hex[:8]}"
    tag = f"{name} - 1"
    engine.load({
        "executables": [{"name": name, "version": "1", "path": "/bin/sleep", "task_queue": engine.queue,
                         **({"max_concurrent": on_executable} if on_executable else {})}],
        "parameters": [{"flag": "seconds", "executable_tag": tag, "value_type": "string", "style": "positional"}],
        "commands": [{"name": name, "executable_tag": tag, "parameters": ["seconds"]}],
        "jobs": [{"name": job, "command": name, "values": {"seconds": seconds},
                  **({"max_concurrent": on_job} if on_job else {})}],
    })
    return tag


def assert_one_at_a_time(ended: list[dict[str, Any]]) -> None:
    """Every run succeeded, none overlapped another, and they ran in the order given (of submission)."""
    assert [r["status"] for r in ended] == ["succeeded"] * len(ended), ended
    for before, after in itertools.pairwise(ended):
        assert at(before["finished_at"]) <= at(after["started_at"]), (before, after)


def waiting_of(engine: Engine, run_id: str) -> str | None:
    with engine.database.session() as db:
        return runs.get(db, run_id)["waiting"]


async def test_a_limit_of_one_runs_them_one_at_a_time_in_order_saying_why_the_others_wait(engine: Engine) -> None:
    tag = limited(engine)
    ids = [await engine.submit_job("nap") for _ in range(3)]
    await until(lambda: (waiting_of(engine, ids[2]) or "").endswith("1 ahead of it in line"), timeout=20,
                what="the last run saying why it waits")
    note = waiting_of(engine, ids[2]) or ""
    assert note.startswith(f"waiting for a slot of {tag}: 1 of 1 taken by run-"), note
    shown = engine.app.runs.get(ids[2])
    assert shown["status"] != "queued" or shown["waiting"].startswith("waiting for a slot of")
    ended = [await engine.wait(i) for i in ids]
    assert_one_at_a_time(ended)
    assert all(r["waiting"] is None for r in ended)


async def test_a_job_limit_of_two_lets_two_run_at_once_never_three(engine: Engine) -> None:
    limited(engine, on_executable=None, on_job=2)
    ids = [await engine.submit_job("nap") for _ in range(4)]
    ended = [await engine.wait(i) for i in ids]
    assert [r["status"] for r in ended] == ["succeeded"] * 4
    spans = [(at(r["started_at"]), at(r["finished_at"])) for r in ended]
    for start, _ in spans:
        assert sum(1 for s, f in spans if s <= start < f) <= 2
    assert ended[2]["started_at"] >= min(ended[0]["finished_at"], ended[1]["finished_at"])


async def test_a_cancelled_waiting_run_leaves_the_line_at_once(engine: Engine) -> None:
    limited(engine, "3")
    first = await engine.submit_job("nap")
    second = await engine.submit_job("nap")
    third = await engine.submit_job("nap")
    await until(lambda: waiting_of(engine, third) is not None, timeout=20, what="the third run waiting")
    await engine_client.cancel(second, client=engine.client, database=engine.database)
    cancelled = await engine.wait(second)
    assert cancelled["status"] == "cancelled"
    assert cancelled["started_at"] is None
    ended = [await engine.wait(first), await engine.wait(third)]
    assert_one_at_a_time(ended)
    # the third did not wait for the cancelled one's turn
    assert (at(ended[1]["started_at"]) - at(ended[0]["finished_at"])).total_seconds() < 2.5


async def test_cancelling_the_run_that_holds_the_slot_frees_it_at_once(engine: Engine) -> None:
    limited(engine, "30")
    holder = await engine.submit_job("nap")
    waiting = await engine.submit_job("nap")
    await until(lambda: engine.app.runs.get(holder)["status"] == "running", timeout=20, what="the holder running")
    await engine_client.cancel(holder, client=engine.client, database=engine.database)
    assert (await engine.wait(holder))["status"] == "cancelled"
    await until(lambda: engine.app.runs.get(waiting)["status"] == "running", timeout=10, what="the next one running")
    await engine_client.cancel(waiting, client=engine.client, database=engine.database)
    assert (await engine.wait(waiting))["status"] == "cancelled"


async def test_a_waiting_run_terminated_by_hand_does_not_keep_the_line_waiting(engine: Engine) -> None:
    limited(engine, "2")
    holder = await engine.submit_job("nap")
    gone = await engine.submit_job("nap")
    last = await engine.submit_job("nap")
    await until(lambda: waiting_of(engine, last) is not None, timeout=20, what="the last run waiting")
    await engine.client.get_workflow_handle(gone).terminate("by hand")
    ended = [await engine.wait(holder), await engine.wait(last)]
    assert_one_at_a_time(ended)
    assert (at(ended[1]["started_at"]) - at(ended[0]["finished_at"])).total_seconds() < 2.5
    assert (await engine.wait(gone))["status"] == "failed"


async def test_a_holder_terminated_by_hand_has_its_slot_taken_back(engine: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from oto.engine import slots

    monkeypatch.setattr(slots, "CHECK_EVERY", 2.0)  # a minute in production
    limited(engine, "30")
    holder = await engine.submit_job("nap")
    waiting = await engine.submit_job("nap")
    await until(lambda: engine.app.runs.get(holder)["status"] == "running", timeout=20, what="the holder running")
    await engine.client.get_workflow_handle(holder).terminate("by hand")
    await until(lambda: engine.app.runs.get(waiting)["status"] == "running", timeout=15, what="the next one running")
    await engine_client.cancel(waiting, client=engine.client, database=engine.database)
    assert (await engine.wait(waiting))["status"] == "cancelled"


async def test_a_busy_semaphore_continues_as_new_and_keeps_its_line(engine: Engine) -> None:
    tag = limited(engine, "0.1", on_executable=2)
    ids = [await engine.submit_job("nap") for _ in range(16)]
    ended = [await engine.wait(i) for i in ids]
    assert [r["status"] for r in ended] == ["succeeded"] * 16
    spans = [(at(r["started_at"]), at(r["finished_at"])) for r in ended]
    for start, _ in spans:
        assert sum(1 for s, f in spans if s <= start < f) <= 2
    found = [w async for w in engine.client.list_workflows(f"WorkflowId = 'oto-slots-executable:{tag}'")]
    # it continued as new at least once (the test server suggests it early) and lost nobody doing so
    assert WorkflowExecutionStatus.CONTINUED_AS_NEW in {w.status for w in found}


async def test_routine_steps_of_a_limited_executable_take_slots_too(engine: Engine) -> None:
    limited(engine)
    engine.routine("fan", [("a", "nap", []), ("b", "nap", []), ("c", "nap", ["a"])])
    other = await engine.submit_job("nap")
    routine = await engine.run_routine("fan")
    job = await engine.wait(other)
    assert routine["status"] == "succeeded", routine
    steps = by_step(routine)
    ended = sorted([job, steps["a"], steps["b"], steps["c"]], key=lambda r: r["started_at"])
    assert_one_at_a_time(ended)
    assert steps["c"]["started_at"] >= steps["a"]["finished_at"]


async def test_a_scheduled_run_of_a_limited_job_waits_for_its_slot_too(engine: Engine) -> None:
    limited(engine, "2")
    schedule = f"limited-{uuid.uuid4().hex[:8]}"
    app = engine.app
    await app.schedules.add({"name": schedule, "job": "nap", "cron": "0 3 * * *", "paused": True})
    try:
        first = await engine.submit_job("nap")
        await until(lambda: engine.app.runs.get(first)["status"] == "running", timeout=20, what="the first running")
        fired = await app.schedules.trigger(schedule)
        assert fired is not None
        await until(lambda: waiting_of(engine, fired) is not None, timeout=20, what="the scheduled run waiting")
        ended = [await engine.wait(first), await engine.wait(fired)]
        assert_one_at_a_time(ended)
        assert ended[1]["trigger"] == f"schedule:{schedule}"
    finally:
        await app.schedules.delete(schedule)


# -- two worker processes ---------------------------------------------------------------------------


@pytest.fixture
def workers(temporal: DevServer, sqlite_database: Database, oto_home: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Workers]:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    use_home(monkeypatch, queue)
    env = os.environ | {"OTO_HOME": str(oto_home), "OTO_DATABASE_URL": sqlite_database.url,
                        "OTO_TEMPORAL_ADDRESS": temporal.address, "OTO_TASK_QUEUE": queue}
    pool = Workers(env, queue, oto_home.parent / "workers.log")
    yield pool
    pool.stop_all()


async def _six(workers: Workers, client: Client, database: Database, home: Path) -> tuple[Engine, list[str]]:
    engine = Engine(client, database, workers.queue, home)
    limited(engine)
    workers.start()
    workers.start()
    return engine, [await engine.submit_job("nap") for _ in range(6)]


async def _all_ended(engine: Engine, ids: list[str]) -> list[dict[str, Any]]:
    """Each run as it ended, failing rather than hanging when workers never come (a broken worker start)."""
    return [await asyncio.wait_for(engine.wait(i), timeout=120) for i in ids]


async def test_two_workers_run_six_limited_runs_one_at_a_time_in_submission_order(
        workers: Workers, temporal_client: Client, sqlite_database: Database, oto_home: Path) -> None:
    engine, ids = await _six(workers, temporal_client, sqlite_database, oto_home)
    ended = await _all_ended(engine, ids)
    assert_one_at_a_time(ended)


async def test_a_worker_killed_while_it_holds_the_slot_loses_no_run_and_frees_the_slot(
        workers: Workers, temporal_client: Client, sqlite_database: Database, oto_home: Path) -> None:
    engine, ids = await _six(workers, temporal_client, sqlite_database, oto_home)
    pids = {w.pid: w for w in workers.started}

    def holder() -> int | None:
        with sqlite_database.session() as db:
            running = [r for r in runs.list_runs(db, status="running") if r["run_id"] in ids]
        pid = int(running[0]["worker"].split("@")[0]) if running else None
        return pid if pid in pids else None

    await until(lambda: holder() is not None and ids.index(_running(sqlite_database, ids)) >= 1, timeout=60,
                what="a run past the first holding the slot")
    victim = holder()
    assert victim is not None
    pids[victim].send_signal(signal.SIGKILL)
    pids[victim].wait()
    ended = await _all_ended(engine, ids)
    assert_one_at_a_time(ended)
    assert [r["starts"] for r in ended].count(2) == 1  # the killed one ran again, holding its slot
    with sqlite_database.session() as db:
        assert len([r for r in runs.list_runs(db, job="nap")]) == 6


def _running(database: Database, ids: list[str]) -> str:
    with database.session() as db:
        running = [r["run_id"] for r in runs.list_runs(db, status="running") if r["run_id"] in ids]
    return running[0] if running else ids[0]


@pytest.mark.parametrize("as_step", [False, True], ids=["job", "routine step"])
async def test_a_limited_run_gives_its_slot_back_while_it_waits_to_retry(engine: Engine, as_step: bool) -> None:
    name = f"retry{uuid.uuid4().hex[:8]}"
    tag = f"{name} - 1"
    fails_once = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ "$n" -ge 2 ]'
    engine.load({
        "executables": [{"name": name, "version": "1", "path": "/bin/sh", "task_queue": engine.queue,
                         "max_concurrent": 1}],
        "parameters": [{"flag": "-c", "executable_tag": tag, "value_type": "string"}],
        "commands": [{"name": name, "executable_tag": tag, "parameters": ["-c"]}],
        "jobs": [{"name": f"{name}-flaky", "command": name, "values": {"-c": fails_once},
                  "retry": {"attempts": 2, "delay": "4s"}},
                 {"name": f"{name}-quick", "command": name, "values": {"-c": "true"}}],
        "routines": [{"name": f"{name}-routine", "steps": [{"id": "f", "job": f"{name}-flaky", "after": []}]}],
    })
    if as_step:
        routine = await engine.submit_routine(f"{name}-routine")
        flaky = next(s["run_id"] for s in engine.app.runs.get(routine)["steps"])
    else:
        flaky = await engine.submit_job(f"{name}-flaky")
    await until(lambda: len(engine.app.runs.get(flaky)["attempts"]) >= 1
                and engine.app.runs.get(flaky)["attempts"][0]["finished_at"] is not None,
                what="the first attempt to fail")
    quick = await engine.run_job(f"{name}-quick")  # runs in the flaky run's wait, not after it
    done = await (engine.wait(routine) if as_step else engine.wait(flaky))
    assert done["status"] == "succeeded", done
    tried = engine.app.runs.get(flaky)["attempts"]
    assert [a["status"] for a in tried] == ["failed", "succeeded"]
    assert quick["status"] == "succeeded" and at(quick["finished_at"]) <= at(tried[1]["started_at"]), (quick, tried)
