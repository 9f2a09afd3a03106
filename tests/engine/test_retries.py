"""Retries and reruns on a real Temporal dev server: attempts, durable waits, refusals, cancels, reruns."""

from __future__ import annotations

import json
import signal
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from temporalio.worker import Replayer

from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.engine.worker import WORKFLOWS
from oto.errors import InvalidInput
from oto.services import runs
from oto.services.database import Database
from tests.engine.test_lost_worker import Workers, workers  # noqa: F401 (a fixture)
from tests.support import until
from tests.support.engine import Engine, at, by_step, oto_process

# Fails until it has run ``N`` times in its run folder (its count is a file there), then succeeds.
FLAKY = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "try $n"; [ "$n" -ge {n} ]'


def flaky(engine: Engine, name: str, succeeds_at: int, retry: dict[str, Any] | None) -> None:
    engine.sh(name, FLAKY.format(n=succeeds_at))
    if retry is not None:
        engine.load({"jobs": [{"name": name, "command": f"sh-{engine.queue}",
                               "values": {"-c": FLAKY.format(n=succeeds_at)}, "retry": retry}]})


def gaps(run: dict[str, Any]) -> list[float]:
    """The waits between one attempt's end and the next one's start, in seconds."""
    tries = run["attempts"]
    return [(at(b["started_at"]) - at(a["finished_at"])).total_seconds() for a, b in pairwise(tries)]


async def test_a_job_failing_twice_then_succeeding_ends_succeeded_with_three_attempts(engine: Engine) -> None:
    flaky(engine, "flaky", 3, {"attempts": 3, "delay": "1s", "backoff": 2.0})
    run = await engine.run_job("flaky")
    assert run["status"] == "succeeded" and run["exit_code"] == 0, (run["error"], run["attempts"], run["stderr"])
    tries = run["attempts"]
    assert [(a["attempt"], a["status"], a["exit_code"]) for a in tries] == [
        (1, "failed", 1), (2, "failed", 1), (3, "succeeded", 0)]
    assert [a["stdout"] for a in tries] == ["try 1\n", "try 2\n", "try 3\n"]
    assert all(a["started_at"] and a["finished_at"] and a["duration"] is not None for a in tries)
    first, second = gaps(run)
    assert first >= 1.0 and second >= 2.0, (first, second)  # the delay, then the delay times the backoff
    assert run["stdout"] == "try 3\n" and run["error"] is None  # the run is its last attempt


async def test_the_last_attempts_status_is_the_runs_and_max_delay_caps_the_wait(engine: Engine) -> None:
    flaky(engine, "hopeless", 99, {"attempts": 3, "delay": "1s", "backoff": 10.0, "max_delay": "1s"})
    started = time.monotonic()
    run = await engine.run_job("hopeless")
    assert run["status"] == "failed" and run["exit_code"] == 1
    assert [a["status"] for a in run["attempts"]] == ["failed"] * 3
    assert all(gap >= 1.0 for gap in gaps(run))
    assert time.monotonic() - started < 9  # a wait of 10s was capped at 1s


async def test_a_status_the_policy_does_not_name_is_not_retried(engine: Engine) -> None:
    flaky(engine, "only-timeouts", 2, {"attempts": 3, "on": ["timed_out"]})
    run = await engine.run_job("only-timeouts")
    assert run["status"] == "failed" and len(run["attempts"]) == 1


async def test_a_timed_out_attempt_is_retried(engine: Engine) -> None:
    engine.sh("slow-once", "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 1 ] || sleep 30")
    engine.load({"jobs": [{"name": "slow-once", "command": f"sh-{engine.queue}",
                           "values": {"-c": "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
                                            "[ $n -ge 1 ] || sleep 30"},
                           "retry": {"attempts": 2, "on": ["timed_out"]}}]})
    run = await engine.run_job("slow-once", timeout=1)
    assert [a["status"] for a in run["attempts"]] == ["timed_out", "succeeded"]
    assert run["status"] == "succeeded"


async def test_a_program_that_cannot_start_is_refused_once_never_retried(engine: Engine) -> None:
    engine.command("ghost", "/nonexistent/ghost", [], None)
    engine.load({"jobs": [{"name": "ghost", "command": "ghost", "retry": {"attempts": 5, "delay": "1s"}}]})
    started = time.monotonic()
    run = await engine.run_job("ghost")
    assert run["status"] == "failed" and "cannot start" in run["error"]
    assert len(run["attempts"]) == 1 and time.monotonic() - started < 5


async def test_a_job_without_a_policy_shows_its_one_attempt(engine: Engine) -> None:
    engine.sh("plain", "echo hi; exit 4")
    run = await engine.run_job("plain")
    assert [(a["attempt"], a["status"], a["exit_code"], a["stdout"]) for a in run["attempts"]] == [
        (1, "failed", 4, "hi\n")]


async def test_a_cancel_during_the_wait_stops_retrying_at_once(engine: Engine) -> None:
    flaky(engine, "waits", 99, {"attempts": 5, "delay": "1m"})
    run_id = await engine.submit_job("waits")

    def waiting() -> bool:
        with engine.database.session() as db:
            view = runs.get(db, run_id)
        return view["status"] == "running" and [a["status"] for a in view["attempts"]] == ["failed"]

    await until(waiting, timeout=20, what="the wait after attempt 1")
    cancelled_at = time.monotonic()
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    run = await engine.wait(run_id)
    assert run["status"] == "cancelled" and time.monotonic() - cancelled_at < 10
    assert [a["status"] for a in run["attempts"]] == ["failed"]


async def test_a_worker_killed_during_the_wait_loses_nothing(
        workers: Workers, temporal_client: object, sqlite_database: Database, oto_home: Path) -> None:  # noqa: F811
    engine = Engine(temporal_client, sqlite_database, workers.queue, oto_home)  # type: ignore[arg-type]
    flaky(engine, "survivor", 2, {"attempts": 3, "delay": "6s"})
    first = workers.start()
    run_id = await engine.submit_job("survivor")

    def first_attempt_over() -> bool:
        with sqlite_database.session() as db:
            view = runs.get(db, run_id)
        return [a["status"] for a in view["attempts"]] == ["failed"] and view["status"] == "running"

    await until(first_attempt_over, timeout=30, what="the first attempt's end")
    first.send_signal(signal.SIGKILL)  # in the wait: only Temporal's timer holds what comes next
    first.wait()
    workers.start()
    run = await engine.wait(run_id)
    assert run["status"] == "succeeded", run
    assert [(a["attempt"], a["status"]) for a in run["attempts"]] == [(1, "failed"), (2, "succeeded")]
    assert gaps(run)[0] >= 6.0
    assert (oto_home / "runs" / run_id / "count").read_text() == "2\n"  # run twice, not three times
    with sqlite_database.session() as db:
        assert [r["run_id"] for r in runs.list_runs(db, job="survivor")] == [run_id]


async def test_a_routine_steps_retries_happen_inside_the_run_and_its_dependents_wait(engine: Engine) -> None:
    engine.sh("first", "echo one > one.txt")
    engine.sh("shaky", FLAKY.format(n=2))
    engine.sh("after", "cat one.txt count")
    engine.load({"routines": [{"name": "shaky-routine", "steps": [
        {"id": "a", "job": "first"},
        {"id": "b", "job": "shaky", "after": ["a"], "retry": {"attempts": 3, "delay": "1s"}},
        {"id": "c", "job": "after", "after": ["b"]}]}]})
    run = await engine.run_routine("shaky-routine")
    assert run["status"] == "succeeded", run
    steps = by_step(run)
    assert [a["status"] for a in steps["b"]["attempts"]] == ["failed", "succeeded"]
    assert len(steps["a"]["attempts"]) == 1 and len(steps["c"]["attempts"]) == 1
    assert at(steps["c"]["started_at"]) >= at(steps["b"]["attempts"][-1]["finished_at"])
    assert steps["c"]["stdout"] == "one\n2\n"
    assert {s["workdir"] for s in steps.values()} == {run["workdir"]}


async def test_a_failed_only_rerun_runs_the_failed_step_and_those_after_it_in_the_same_folder(
        engine: Engine) -> None:
    engine.sh("s1", "echo ran >> s1.log")
    engine.sh("s2", "echo two > two.txt")
    engine.sh("s3", "cat two.txt && test -f fixed")
    engine.sh("s4", "echo four > four.txt")
    engine.routine("four", [("one", "s1", []), ("two", "s2", ["one"]), ("three", "s3", ["two"]),
                            ("four", "s4", ["three"])])
    first = await engine.run_routine("four")
    assert [s["status"] for s in first["steps"]] == ["succeeded", "succeeded", "failed", "skipped"]
    folder = Path(first["workdir"])
    (folder / "fixed").write_text("")  # what the user fixed before running it again

    rerun_id = await engine.app.runs.rerun(first["run_id"], failed_only=True)
    run = await engine.wait(rerun_id)
    assert run["status"] == "succeeded", run
    assert run["rerun_of"] == first["run_id"] and run["run_id"] != first["run_id"]
    assert run["workdir"] == first["workdir"]
    steps = by_step(run)
    assert [(k, s["status"], s["carried_over"]) for k, s in steps.items()] == [
        ("one", "succeeded", True), ("two", "succeeded", True), ("three", "succeeded", False),
        ("four", "succeeded", False)]
    assert steps["one"]["attempts"] == [] and steps["one"]["rerun_of"] == by_step(first)["one"]["run_id"]
    assert steps["three"]["stdout"] == "two\n"  # step 2's file, made by the first run
    assert (folder / "s1.log").read_text() == "ran\n"  # step 1 did not run again
    assert (folder / "four.txt").exists()


async def test_a_rerun_repeats_a_job_run_as_a_new_run_naming_it(engine: Engine) -> None:
    engine.sh("again", "echo $OTO_RUN_ID")
    first = await engine.run_job("again")
    run = await engine.wait(await engine.app.runs.rerun(first["run_id"][:12]))
    assert run["status"] == "succeeded" and run["rerun_of"] == first["run_id"]
    assert run["job"] == "again" and run["workdir"] != first["workdir"]
    assert run["stdout"] == f"{run['run_id']}\n"


async def test_what_a_rerun_refuses(engine: Engine) -> None:
    engine.sh("ok", "true")
    engine.routine("fine", [("only", "ok", [])])
    job_run = await engine.run_job("ok")
    routine_run = await engine.run_routine("fine")
    app = engine.app
    refusals = {
        "job": (job_run["run_id"], True, "--failed-only reruns the failed steps of a routine run"),
        "succeeded": (routine_run["run_id"], True, "every step of it succeeded"),
        "step": (routine_run["steps"][0]["run_id"], False, "is a step of routine run"),
    }
    for what, (run_id, failed_only, words) in refusals.items():
        with pytest.raises(InvalidInput, match=words):
            await app.runs.rerun(run_id, failed_only=failed_only)
        assert what
    with engine.database.session() as db:
        assert len(runs.list_runs(db)) == 2  # nothing was written


async def test_the_cli_sets_a_policy_runs_shows_attempts_and_reruns(engine: Engine, temporal: DevServer) -> None:
    engine.sh("cli-flaky", FLAKY.format(n=2))
    edited = await oto_process(engine, temporal, "job", "edit", "cli-flaky", "--retries", "2", "--retry-delay", "1s",
                               "--backoff", "2", "--max-retry-delay", "5m", "--retry-on", "failed")
    assert edited.code == 0, edited.err
    shown = await oto_process(engine, temporal, "job", "show", "cli-flaky")
    assert "3 attempts, waiting 1s x2 (at most 5m), after failed" in shown.out
    result = await oto_process(engine, temporal, "job", "run", "cli-flaky", "--wait", "--json")
    assert result.code == 0, result.err
    run = json.loads(result.out)
    assert [(a["attempt"], a["status"], a["exit_code"]) for a in run["attempts"]] == [(1, "failed", 1),
                                                                                       (2, "succeeded", 0)]
    assert {"started_at", "finished_at", "stdout", "stderr", "duration", "error"} <= set(run["attempts"][0])
    text = await oto_process(engine, temporal, "run", "show", run["run_id"])
    assert "1\tfailed\t1\t" in text.out and "2\tsucceeded\t0\t" in text.out  # the attempts table
    again = await oto_process(engine, temporal, "run", "rerun", run["run_id"], "--wait", "--json")
    assert again.code == 0, again.err
    rerun = json.loads(again.out)
    assert rerun["rerun_of"] == run["run_id"] and rerun["status"] == "succeeded"
    refused = await oto_process(engine, temporal, "run", "rerun", run["run_id"], "--failed-only")
    assert refused.code == 2 and refused.err.count("\n") == 1 and "routine run" in refused.err
    gone = await oto_process(engine, temporal, "run", "rerun", "run-nonexistent")
    assert gone.code == 2 and "no run" in gone.err


async def test_cancelling_a_routine_while_a_step_waits_to_retry_stops_it_at_once(engine: Engine) -> None:
    engine.sh("never", "exit 1")
    engine.sh("later", "true")
    engine.load({"routines": [{"name": "stuck", "steps": [
        {"id": "a", "job": "never", "retry": {"attempts": 5, "delay": "1m"}},
        {"id": "b", "job": "later", "after": ["a"]}]}]})
    run_id = await engine.submit_routine("stuck")

    def waiting() -> bool:
        with engine.database.session() as db:
            step = runs.get(db, run_id)["steps"][0]
        return [a["status"] for a in step["attempts"]] == ["failed"] and step["status"] == "running"

    await until(waiting, timeout=20, what="step a's wait after its first attempt")
    cancelled_at = time.monotonic()
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    run = await engine.wait(run_id)
    assert run["status"] == "cancelled" and time.monotonic() - cancelled_at < 15
    assert [(s["step"], s["status"]) for s in run["steps"]] == [("a", "cancelled"), ("b", "skipped")]
    assert len(run["steps"][0]["attempts"]) == 1


async def test_histories_with_retry_waits_and_retried_steps_replay_deterministically(engine: Engine) -> None:
    flaky(engine, "replayed", 2, {"attempts": 2, "delay": "100ms"})
    job_run = await engine.run_job("replayed")
    engine.sh("before", "true")
    engine.sh("shaky2", FLAKY.format(n=2))
    engine.load({"routines": [{"name": "replayed-routine", "steps": [
        {"id": "a", "job": "before"}, {"id": "b", "job": "shaky2", "after": ["a"], "retry": {"attempts": 2}}]}]})
    routine_run = await engine.run_routine("replayed-routine")
    assert job_run["status"] == routine_run["status"] == "succeeded"
    for run_id in (job_run["run_id"], routine_run["run_id"], routine_run["steps"][1]["run_id"]):
        history = await engine.client.get_workflow_handle(run_id).fetch_history()
        await Replayer(workflows=WORKFLOWS).replay_workflow(history)


async def test_a_job_needing_root_on_a_worker_without_it_is_refused_once_never_retried(user_engine: Engine) -> None:
    engine = user_engine
    engine.command("rooty", "/bin/true", [], None, root=True)
    engine.load({"jobs": [{"name": "rooty", "command": "rooty", "retry": {"attempts": 5, "delay": "1s"}}]})
    started = time.monotonic()
    run = await engine.run_job("rooty")
    assert run["status"] == "failed" and "needs root" in run["error"]
    assert run["attempts"] == [] and run["starts"] == 0 and time.monotonic() - started < 5
