"""Observability (issue 8): the run metrics a worker counts, ``GET /metrics`` on the API, and JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import httpx
import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client

from oto.api.app import create_app
from oto.api.routes import metrics as metrics_route
from oto.engine import logs, metrics
from oto.services import apikeys
from oto.services.database import Database
from tests.support.engine import Engine


def read_key(database: Database, name: str) -> dict[str, str]:
    """A read key's header: the API's metrics need one unless OTO_METRICS_PUBLIC is set."""
    with database.session() as db:
        return {"Authorization": f"Bearer {apikeys.create(db, name, 'read').key}"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_job_run_moves_the_run_counters_and_histograms(engine: Engine) -> None:
    engine.sh("counted", "exit 0")
    engine.sh("counted-failing", "exit 2")
    started = sample("oto_runs_started_total", kind="job")
    succeeded = sample("oto_runs_finished_total", kind="job", status="succeeded")
    failed = sample("oto_runs_finished_total", kind="job", status="failed")
    durations = sample("oto_run_duration_seconds_count", kind="job")
    waits = sample("oto_run_queue_wait_seconds_count")
    assert (await engine.run_job("counted"))["status"] == "succeeded"
    assert (await engine.run_job("counted-failing"))["status"] == "failed"
    assert sample("oto_runs_started_total", kind="job") == started + 2
    assert sample("oto_runs_finished_total", kind="job", status="succeeded") == succeeded + 1
    assert sample("oto_runs_finished_total", kind="job", status="failed") == failed + 1
    assert sample("oto_run_duration_seconds_count", kind="job") == durations + 2
    assert sample("oto_run_queue_wait_seconds_count") == waits + 2


async def test_a_run_refused_for_root_counts_as_finished_failed_not_started(user_engine: Engine) -> None:
    engine = user_engine
    engine.command("rootly", "/bin/echo", ["word"], None, positional=frozenset({"word"}), root=True)
    engine.job("needs-root", "rootly", word="hi")
    started = sample("oto_runs_started_total", kind="job")
    failed = sample("oto_runs_finished_total", kind="job", status="failed")
    assert (await engine.run_job("needs-root"))["status"] == "failed"
    assert sample("oto_runs_finished_total", kind="job", status="failed") == failed + 1
    assert sample("oto_runs_started_total", kind="job") == started


async def test_a_routine_run_counts_the_routine_and_its_steps(engine: Engine) -> None:
    engine.sh("one", "exit 0")
    engine.sh("two", "exit 1")
    engine.routine("counted-routine", [("a", "one", []), ("b", "two", ["a"]), ("c", "one", ["b"])])
    routines = sample("oto_runs_started_total", kind="routine")
    steps = sample("oto_runs_started_total", kind="step")
    skipped = sample("oto_runs_finished_total", kind="step", status="skipped")
    failed = sample("oto_runs_finished_total", kind="routine", status="failed")
    assert (await engine.run_routine("counted-routine"))["status"] == "failed"
    assert sample("oto_runs_started_total", kind="routine") == routines + 1
    assert sample("oto_runs_started_total", kind="step") == steps + 2  # c never starts
    assert sample("oto_runs_finished_total", kind="step", status="skipped") == skipped + 1
    assert sample("oto_runs_finished_total", kind="routine", status="failed") == failed + 1


async def test_the_api_serves_the_metrics_to_a_read_key(engine: Engine) -> None:
    engine.sh("scraped", "exit 0")
    await engine.run_job("scraped")

    async def temporal() -> Client:
        return engine.client

    app = create_app(engine.database, temporal=temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oto") as http:
        anonymous = await http.get("/metrics")
        answer = await http.get("/metrics", headers=read_key(engine.database, "scraper"))
        schema = (await http.get("/openapi.json")).json()
    assert anonymous.status_code == 401
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'oto_runs_finished_total{kind="job",status="succeeded"}' in answer.text
    assert "oto_run_queue_wait_seconds_bucket" in answer.text
    assert "/metrics" not in schema["paths"]


async def test_a_temporal_that_does_not_answer_leaves_the_schedule_gauges_as_they_were(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    metrics.set_schedule_counts({"nightly": {"actions": 3, "skipped_overlap": 2, "missed_catchup_window": 1}})
    monkeypatch.setattr(metrics_route, "SCHEDULES_WITHIN", 0.2)

    async def silent() -> Client:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    app = create_app(engine.database, temporal=silent)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oto") as http:
        answer = await http.get("/metrics", headers=read_key(engine.database, "slow-scraper"))
    assert answer.status_code == 200
    assert 'oto_schedule_fires_skipped{schedule="nightly"} 2.0' in answer.text
    assert 'oto_schedule_fires_missed{schedule="nightly"} 1.0' in answer.text
    assert "schedule metrics not refreshed" in caplog.text


def test_schedule_gauges_follow_the_schedules_temporal_has() -> None:
    metrics.set_schedule_counts({"a": {"skipped_overlap": 4, "missed_catchup_window": 0}})
    metrics.set_schedule_counts({"b": {"skipped_overlap": 1, "missed_catchup_window": 5}})
    assert REGISTRY.get_sample_value("oto_schedule_fires_skipped", {"schedule": "a"}) is None
    assert sample("oto_schedule_fires_skipped", schedule="b") == 1
    assert sample("oto_schedule_fires_missed", schedule="b") == 5


def _record(message: str, exc_info: bool = False) -> logging.LogRecord:
    info = sys.exc_info() if exc_info else None
    return logging.LogRecord("oto.engine.activities", logging.WARNING, __file__, 1, message, None, info)


def test_the_json_formatter_writes_one_object_per_line_with_the_run_id_inside_a_run() -> None:
    formatter = logs.JsonFormatter()
    outside = json.loads(formatter.format(_record("no run")))
    assert outside.keys() == {"time", "level", "logger", "message"}
    assert outside["level"] == "WARNING" and outside["logger"] == "oto.engine.activities"
    token = logs.RUN_ID.set("run-123")
    try:
        line = formatter.format(_record("line one\nline two"))
    finally:
        logs.RUN_ID.reset(token)
    assert "\n" not in line
    inside = json.loads(line)
    assert inside["run_id"] == "run-123" and inside["message"] == "line one\nline two"
    assert inside["time"].endswith("+00:00")


def test_the_json_formatter_keeps_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        entry = json.loads(logs.JsonFormatter().format(_record("failed", exc_info=True)))
    assert "ValueError: boom" in entry["exception"]


def test_configure_installs_one_handler_of_the_chosen_format() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        logs.configure(json=True)
        assert [type(h.formatter) for h in root.handlers] == [logs.JsonFormatter]
        logs.configure(json=False)
        assert len(root.handlers) == 1 and not isinstance(root.handlers[0].formatter, logs.JsonFormatter)
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


async def test_the_run_folders_bytes_are_measured_and_served(engine: Engine) -> None:
    engine.sh("writes", "head -c 5000 /dev/zero > blob.bin")
    run = await engine.run_job("writes")
    assert run["status"] == "succeeded"
    metrics.forget_folders_figure()
    assert sample("oto_run_folders_bytes") >= 5000
    async def temporal() -> Client:
        return engine.client

    app = create_app(engine.database, temporal=temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oto") as http:
        served = await http.get("/metrics", headers=read_key(engine.database, "folders"))
    assert served.status_code == 200
    line = next(x for x in served.text.splitlines() if x.startswith("oto_run_folders_bytes "))
    assert float(line.split()[1]) >= 5000
    engine.app.runs.prune(older_than="0s")
    metrics.forget_folders_figure()
    assert sample("oto_run_folders_bytes") < 5000
