"""Inputs on the real Temporal dev server: one job run with different values, routines passing their
inputs to their steps, schedules firing with theirs, and secret inputs never shown."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from oto.engine.devserver import DevServer
from oto.errors import InvalidInput
from oto.services import schedules as service_schedules
from tests.engine.test_schedules import Scheduler, scheduler  # noqa: F401 (a fixture)
from tests.support.engine import Engine, oto_process

SECRET = "engine-input-secret-41c9"
# Prints its argv as JSON, and -k's value only when it came in clear (never in the record's argv).
PRINT_ARGV = "import json, sys; print(json.dumps(sys.argv[1:]))"


def _echo(engine: Engine) -> None:
    """Job ``Scan``: python -c PRINT_ARGV -n N HOST, with HOST an input (no default) and -n one (default 1)."""
    tag = "py - 1"
    engine.load({
        "executables": [{"name": "py", "version": "1", "path": sys.executable, "task_queue": engine.queue}],
        "parameters": [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "-n", "executable_tag": tag, "value_type": "int"},
            {"flag": "-k", "executable_tag": tag, "value_type": "string", "secret": True},
            {"flag": "HOST", "executable_tag": tag, "value_type": "string", "style": "positional"},
        ],
        "commands": [{"name": "Py", "executable_tag": tag, "parameters": ["-c", "-n", "-k", "HOST"]}],
        "jobs": [{"name": "Scan", "command": "Py", "values": {"-c": PRINT_ARGV},
                  "inputs": {"HOST": None, "-n": "1", "-k": "default-key"}}],
    })


async def test_three_values_give_three_argvs(engine: Engine) -> None:
    _echo(engine)
    app = engine.app
    seen = []
    for host in ("10.0.0.5", "a host with spaces", "ünïcødé;$(rm -rf /)"):
        run = await engine.wait(await app.runs.submit_job("Scan", values={"HOST": host}))
        assert run["status"] == "succeeded", run
        assert run["argv"][-1] == host and run["argv"][1:] == ["-c", PRINT_ARGV, "-n", "1", "-k", "***", host]
        assert json.loads(run["stdout"])[-1] == host
        assert run["inputs"] == {"HOST": host, "-n": "1", "-k": "***"}
        seen.append(run["argv"])
    assert len({tuple(a) for a in seen}) == 3
    # the values a run ran with are kept (secret ones sealed) to run it again with the same
    again = app.runs.input_values(run["run_id"])
    assert again["HOST"] == host and again["-k"].startswith("enc:")
    rerun = await engine.wait(await app.runs.submit_job("Scan", values=again))
    assert rerun["argv"] == run["argv"] and json.loads(rerun["stdout"]) == json.loads(run["stdout"])


async def test_a_secret_input_reaches_the_program_and_is_masked_everywhere(engine: Engine) -> None:
    _echo(engine)
    run = await engine.wait(await engine.app.runs.submit_job("Scan", values={"HOST": "h", "-k": SECRET, "-n": "7"}))
    assert run["status"] == "succeeded", run
    assert json.loads(run["stdout"].replace("***", SECRET)) == ["-n", "7", "-k", SECRET, "h"]
    assert SECRET not in json.dumps(run) and run["inputs"]["-k"] == "***"


async def test_refused_values_write_nothing(engine: Engine) -> None:
    _echo(engine)
    app = engine.app
    not_one = "HOST2 is not an input of job Scan (its inputs: HOST, -n, -k)"
    for values, message in (({"HOST2": "x", "HOST": "y"}, not_one),
                            ({}, "HOST is an input of job Scan with no default: give it a value"),
                            ({"HOST": "h", "-n": "three"}, "-n (int)"),
                            ({"HOST": "h\x00"}, "NUL")):
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
            await app.runs.submit_job("Scan", values=values)
    assert app.runs.list_all(job="Scan") == []


async def test_a_routine_passes_its_inputs_to_its_steps(engine: Engine) -> None:
    _echo(engine)
    engine.load({"routines": [{"name": "Sweep", "inputs": {"host": None, "count": "2"}, "steps": [
        {"id": "first", "job": "Scan", "with": {"HOST": "{host}", "-n": "{count}"}},
        {"id": "fixed", "job": "Scan", "after": ["first"], "with": {"HOST": "127.0.0.1"}},
    ]}]})
    run = await engine.wait(await engine.app.runs.submit_routine("Sweep", values={"host": "10.1.2.3"}))
    assert run["status"] == "succeeded", run
    assert run["inputs"] == {"host": "10.1.2.3", "count": "2"}
    first, fixed = run["steps"]
    assert first["argv"][-4:] == ["2", "-k", "***", "10.1.2.3"] and first["inputs"]["HOST"] == "10.1.2.3"
    assert fixed["argv"][-4:] == ["1", "-k", "***", "127.0.0.1"]


async def test_job_run_set_as_a_user_types_it(engine: Engine, temporal: DevServer) -> None:
    _echo(engine)
    result = await oto_process(engine, temporal, "job", "run", "Scan", "--set", "HOST=10.0.0.5", "--wait", "--json")
    assert result.code == 0, result.err
    run: dict[str, Any] = json.loads(result.out)
    assert run["argv"][-1] == "10.0.0.5" and run["inputs"]["HOST"] == "10.0.0.5"
    shown = await oto_process(engine, temporal, "run", "show", run["run_id"])
    assert "inputs: HOST=10.0.0.5 -n=1 -k='***'" in shown.out, shown.out
    refused = await oto_process(engine, temporal, "job", "run", "Scan", "--set", "HOST2=x")
    assert refused.code == 2 and "HOST2 is not an input of job Scan (its inputs: HOST, -n, -k)" in refused.err


async def test_a_schedule_fires_with_its_values(scheduler: Scheduler) -> None:  # noqa: F811
    s = scheduler
    _echo(s.engine)
    name = s.name("scan")
    await s.create(name, job="Scan", cron="0 3 * * *", values={"HOST": "192.0.2.1", "-k": SECRET})
    shown = await s.app.schedules.describe(name)
    assert SECRET not in json.dumps(shown, default=str)
    run = await s.engine.wait(await s.app.schedules.trigger(name) or "")
    assert run["status"] == "succeeded" and run["argv"][-1] == "192.0.2.1" and run["inputs"]["-k"] == "***"
    assert run["trigger"] == service_schedules.trigger_of(name)
    assert SECRET in run["stdout"].replace("***", SECRET)
