"""Job runs on a real Temporal dev server: results, failures, timeouts, cancellation, argv safety."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from oto.engine import client as engine_client
from tests.support import processes_in, until
from tests.support.engine import Engine, status


async def test_a_job_succeeds_and_its_record_holds_everything(any_engine: Engine) -> None:
    any_engine.sh("hello", "echo out; echo err >&2; echo data > made.txt; mkdir sub; echo x > sub/deep.txt")
    run = await any_engine.run_job("hello")
    assert run["status"] == "succeeded"
    assert run["exit_code"] == 0
    assert run["argv"] == ["/bin/sh", "-c", "echo out; echo err >&2; echo data > made.txt; mkdir sub; "
                           "echo x > sub/deep.txt"]
    assert run["stdout"] == "out\n" and run["stderr"] == "err\n"
    assert run["started_at"] and run["finished_at"] and run["started_at"] <= run["finished_at"]
    assert run["worker"] and run["starts"] == 1
    assert {a["path"] for a in run["artifacts"]} == {"made.txt", "sub/deep.txt"}
    folder = Path(run["workdir"])
    assert folder == any_engine.home / "runs" / run["run_id"]
    assert (folder / "made.txt").read_text() == "data\n"
    stdout = any_engine.home / "streams" / f"{run['run_id']}.stdout"  # beside the run folders, not in one
    assert stdout.read_text() == "out\n" and not (folder / ".oto").exists()
    assert stdout.stat().st_mode & 0o777 == 0o600 and stdout.parent.stat().st_mode & 0o777 == 0o700


async def test_a_failing_job_ends_failed_with_its_exit_code_and_stderr(engine: Engine) -> None:
    engine.sh("broken", "echo 'no such thing' >&2; exit 3")
    run = await engine.run_job("broken")
    assert run["status"] == "failed"
    assert run["exit_code"] == 3
    assert run["stderr"] == "no such thing\n"
    assert run["starts"] == 1  # a non-zero exit is a result, never retried


async def test_a_timeout_kills_the_job_and_leaves_no_process(engine: Engine) -> None:
    engine.sleep("long", "30")
    started = time.monotonic()
    run = await engine.run_job("long", timeout=1)
    assert run["status"] == "timed_out"
    assert time.monotonic() - started < 10
    assert processes_in(run["workdir"]) == []


async def test_a_timeout_kills_the_whole_group_even_children_that_ignore_sigterm(engine: Engine) -> None:
    engine.sh("stubborn", "trap '' TERM; (trap '' TERM; sleep 60) & sleep 60; wait")
    run = await engine.run_job("stubborn", timeout=1)
    assert run["status"] == "timed_out"
    assert processes_in(run["workdir"]) == []


async def test_a_cancelled_run_ends_cancelled_and_leaves_no_process(engine: Engine) -> None:
    engine.sleep("long", "30")
    run_id = await engine.submit_job("long")
    await until(lambda: status(engine, run_id) == "running")
    folder = engine.home / "runs" / run_id
    await until(lambda: processes_in(folder) != [])
    started = time.monotonic()
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    run = await engine.wait(run_id)
    assert run["status"] == "cancelled"
    assert time.monotonic() - started < 8
    assert processes_in(folder) == []


@pytest.mark.parametrize("value", ["; rm -rf / $(reboot)", "a b\tc\nd", "' \" `id` $HOME *", "-rf", ""])
async def test_a_value_reaches_the_program_as_one_literal_argument(engine: Engine, value: str) -> None:
    code = "import json, sys; print(json.dumps(sys.argv[1:]))"
    if value.startswith("-"):  # a positional value starting with "-" needs the catalog's leave (else refused)
        engine.python("show", code, "placeholder")
        engine.load({"parameters": [{"flag": "arg", "executable_tag": "python - 1", "value_type": "string",
                                     "style": "positional", "allow_leading_dash": True}],
                     "jobs": [{"name": "show", "command": "python", "values": {"-c": code, "arg": value}}]})
    else:
        engine.python("show", code, value)
    run = await engine.run_job("show")
    assert run["status"] == "succeeded", run["stderr"]
    assert json.loads(run["stdout"]) == [value]


def _root_job(engine: Engine) -> None:
    engine.command("rootly", "/bin/echo", ["word"], None, positional=frozenset({"word"}), root=True)
    engine.job("needs-root", "rootly", word="hi")


async def test_a_root_job_on_a_worker_without_root_is_refused_before_it_starts(user_engine: Engine) -> None:
    engine = user_engine
    _root_job(engine)
    run = await engine.run_job("needs-root")
    assert run["status"] == "failed"
    assert run["error"] == ("job 'needs-root' needs root: run the worker as root, or set OTO_ALLOW_SUDO=1 "
                            "to let it use sudo -n")
    assert run["started_at"] is None and run["exit_code"] is None
    assert not (engine.home / "streams" / f"{run['run_id']}.stdout").exists()  # nothing ran


async def test_a_root_job_goes_through_sudo_only_when_allowed(user_engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = user_engine
    monkeypatch.setenv("OTO_ALLOW_SUDO", "1")
    from oto.settings import get_settings

    get_settings.cache_clear()
    _root_job(engine)
    run = await engine.run_job("needs-root")
    assert run["argv"] == ["sudo", "-n", "--", "/bin/echo", "hi"]
    if shutil.which("sudo"):
        assert run["status"] in ("succeeded", "failed")  # sudo -n never prompts: it runs or refuses
    else:
        assert run["status"] == "failed" and run["error"] == "cannot start sudo: No such file or directory"


async def test_a_root_job_runs_directly_on_a_root_worker(root_engine: Engine) -> None:
    engine = root_engine
    _root_job(engine)
    run = await engine.run_job("needs-root")
    assert run["status"] == "succeeded" and run["argv"] == ["/bin/echo", "hi"] and run["stdout"] == "hi\n"


async def test_a_program_that_cannot_start_fails_with_the_reason(engine: Engine) -> None:
    engine.command("ghost", "/nonexistent/ghost", [], None)
    engine.job("ghost", "ghost")
    run = await engine.run_job("ghost")
    assert run["status"] == "failed"
    assert run["error"] == "cannot start /nonexistent/ghost: No such file or directory"


async def test_output_beyond_one_mib_is_cut_in_the_record_but_whole_in_the_run_folder(engine: Engine) -> None:
    engine.python("chatty", "import sys; sys.stdout.write('x' * (3 << 20))", "unused")
    run = await engine.run_job("chatty")
    assert run["status"] == "succeeded"
    assert run["stdout"].startswith("x" * (1 << 20)) and "cut at 1 MiB" in run["stdout"]
    assert len(run["stdout"]) < (1 << 20) + 500
    assert (engine.home / "streams" / f"{run['run_id']}.stdout").stat().st_size == 3 << 20


async def test_a_job_longer_than_its_first_second_is_watched_to_its_end(engine: Engine) -> None:
    engine.sh("slowish", "sleep 1.5; echo done")
    run = await engine.run_job("slowish")
    assert run["status"] == "succeeded" and run["stdout"] == "done\n" and run["starts"] == 1
    events = [e async for e in engine.client.get_workflow_handle(run["run_id"]).fetch_history_events()]
    assert any(e.activity_task_scheduled_event_attributes.activity_type.name == "oto.watch_job" for e in events)


async def test_a_cancel_right_after_the_start_still_stops_the_process(engine: Engine) -> None:
    engine.sleep("long", "30")
    run_id = await engine.submit_job("long")
    folder = engine.home / "runs" / run_id
    await until(lambda: processes_in(folder) != [])
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)  # within its first second
    run = await engine.wait(run_id)
    assert run["status"] == "cancelled"
    await until(lambda: processes_in(folder) == [], timeout=5)
