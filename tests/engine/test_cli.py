"""``oto job run``, ``routine``, ``run`` and ``demo`` as separate processes, as a user runs them.

The worker runs in the test's event loop; each ``oto`` is its own process sharing the SQLite file,
so these also exercise the CLI and a worker writing one database concurrently.
"""

from __future__ import annotations

import json
from pathlib import Path

from oto.engine.devserver import DevServer, free_port
from oto.services import runs
from tests.support import until
from tests.support.engine import Engine, oto_process, status


async def test_job_run_wait_json_prints_the_finished_run(engine: Engine, temporal: DevServer) -> None:
    engine.sh("hello", "echo hello; echo warn >&2")
    result = await oto_process(engine, temporal, "job", "run", "hello", "--wait", "--json")
    assert result.code == 0, result.err
    run = json.loads(result.out)
    assert {"run_id", "status", "exit_code", "argv", "stdout", "stderr", "started_at", "finished_at"} <= set(run)
    assert (run["status"], run["exit_code"], run["stdout"], run["stderr"]) == ("succeeded", 0, "hello\n", "warn\n")
    assert run["argv"] == ["/bin/sh", "-c", "echo hello; echo warn >&2"]


async def test_job_run_wait_exits_1_when_the_job_fails(engine: Engine, temporal: DevServer) -> None:
    engine.sh("broken", "echo nope >&2; exit 4")
    result = await oto_process(engine, temporal, "job", "run", "broken", "--wait")
    assert result.code == 1
    assert "failed, exit 4" in result.out and "nope" in result.out


async def test_job_run_without_wait_prints_the_run_id_at_once(engine: Engine, temporal: DevServer) -> None:
    engine.sh("hello", "echo hi")
    result = await oto_process(engine, temporal, "job", "run", "hello")
    assert result.code == 0, result.err
    run_id = result.out.strip()
    assert run_id.startswith("run-")
    await engine.wait(run_id)
    shown = await oto_process(engine, temporal, "run", "show", run_id, "--json")
    assert json.loads(shown.out)["stdout"] == "hi\n"
    listed = await oto_process(engine, temporal, "run", "list", "--json", "--job", "hello")
    assert [r["run_id"] for r in json.loads(listed.out)] == [run_id]


async def test_routine_add_run_and_list(engine: Engine, temporal: DevServer) -> None:
    engine.sh("one", "echo one >> trail")
    engine.sh("two", "echo two >> trail; cat trail")
    added = await oto_process(engine, temporal, "routine", "add", "pair", "--step", "a=one", "--step", "b=two@a")
    assert added.code == 0, added.err
    listed = await oto_process(engine, temporal, "routine", "list", "--json")
    assert json.loads(listed.out)[0]["steps"][1] == {"id": "b", "job": "two", "after": ["a"], "retry": None,
                                                     "with": {}}
    result = await oto_process(engine, temporal, "routine", "run", "pair", "--wait", "--json")
    assert result.code == 0, result.err
    run = json.loads(result.out)
    assert run["status"] == "succeeded"
    assert [(s["step"], s["status"]) for s in run["steps"]] == [("a", "succeeded"), ("b", "succeeded")]
    assert run["steps"][1]["stdout"] == "one\ntwo\n"


async def test_a_routine_with_a_cycle_is_refused_in_one_sentence(engine: Engine, temporal: DevServer) -> None:
    engine.sh("one", "true")
    result = await oto_process(engine, temporal, "routine", "add", "loop", "--step", "a=one@b", "--step", "b=one@a")
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and "cycle" in result.err


async def test_run_cancel_and_a_second_cancel(engine: Engine, temporal: DevServer) -> None:
    engine.sleep("long", "30")
    run_id = await engine.submit_job("long")
    await until(lambda: status(engine, run_id) == "running")
    cancelled = await oto_process(engine, temporal, "run", "cancel", run_id)
    assert cancelled.code == 0, cancelled.err
    assert (await engine.wait(run_id))["status"] == "cancelled"
    again = await oto_process(engine, temporal, "run", "cancel", run_id)
    assert again.code == 2 and "already ended (cancelled)" in again.err


async def test_an_unreachable_temporal_is_one_sentence_and_leaves_no_record(engine: Engine,
                                                                             temporal: DevServer) -> None:
    engine.sh("hello", "true")
    result = await oto_process(engine, temporal, "job", "run", "hello", OTO_TEMPORAL_ADDRESS="127.0.0.1:9")
    assert result.code == 1
    assert result.err.startswith("Error: cannot reach Temporal at 127.0.0.1:9") and result.err.count("\n") == 1
    with engine.database.session() as db:
        assert runs.list_runs(db) == []


async def test_a_bad_timeout_is_bad_input(engine: Engine, temporal: DevServer) -> None:
    engine.sh("hello", "true")
    result = await oto_process(engine, temporal, "job", "run", "hello", "--timeout", "0")
    assert result.code == 2 and "the timeout must be a positive number of seconds" in result.err


async def test_demo_generates_and_checks_a_key_through_temporal(engine: Engine, temporal: DevServer) -> None:
    result = await oto_process(engine, temporal, "demo")
    assert result.code == 0, result.out + result.err
    assert "key check (openssl pkey -in key.pem -noout -check): Key is valid" in result.out
    key = next(line.split(": ", 1)[1] for line in result.out.splitlines() if line.startswith("private key:"))
    assert Path(key).read_text().startswith("-----BEGIN PRIVATE KEY-----")


async def test_doctor_says_what_is_in_place_and_what_is_not(engine: Engine, temporal: DevServer,
                                                             tmp_path: Path) -> None:
    engine.sh("hello", "echo hi")  # /bin/sh on the engine's queue, served by the test's worker
    engine.command("gone", str(tmp_path / "no-such-program"), [], "elsewhere")
    free = free_port()
    result = await oto_process(engine, temporal, "doctor", OTO_API_PORT=str(free))
    assert result.code == 1, result.out + result.err  # the API is not running, and a program is missing
    lines = result.out.splitlines()
    assert any(line.startswith("ok    database: sqlite:///") and "(schema " in line for line in lines)
    assert f"ok    temporal: {temporal.address}" in lines
    assert any(line.startswith(f"ok    workers of queue {engine.queue}: seen: ") for line in lines)
    assert any(line.startswith("FAIL  workers of queue elsewhere: none seen lately: start one with "
                               "`oto worker --task-queue elsewhere`") for line in lines)
    assert "ok    executable sh-" in result.out
    assert any(line.startswith("FAIL  executable gone - 1: ") and "is not an executable file" in line
               for line in lines)
    assert any(line.startswith(f"FAIL  api: no answer at http://127.0.0.1:{free}/health") for line in lines)
    shown = json.loads((await oto_process(engine, temporal, "doctor", "--json", OTO_API_PORT=str(free))).out)
    assert {c["check"] for c in shown} >= {"database", "temporal", "api"}
