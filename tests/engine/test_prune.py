"""Pruning real runs on a real Temporal dev server: a running run is never touched; the retention schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.service import RPCError

from oto.domain.models import Run
from oto.engine.contracts import RETENTION_SCHEDULE, RETENTION_WORKFLOW
from oto.engine.devserver import DevServer
from oto.settings import get_settings
from tests.support import until
from tests.support.engine import Engine, oto_process, status


async def test_prune_removes_finished_runs_and_never_a_running_one(engine: Engine, temporal: DevServer) -> None:
    engine.sh("ok", "echo hi > out.txt; echo done")
    engine.sh("bad", "echo broken >&2; exit 1")
    engine.sleep("long", "30")
    ok = await engine.run_job("ok")
    bad = await engine.run_job("bad")
    long = await engine.submit_job("long")
    await until(lambda: status(engine, long) == "running", what="the long run to start")
    folders = {r: Path(engine.app.runs.get(r)["workdir"]) for r in (ok["run_id"], bad["run_id"], long)}
    assert all(f.is_dir() for f in folders.values()) and (folders[ok["run_id"]] / "out.txt").exists()

    dry = await oto_process(engine, temporal, "run", "prune", "--older-than", "0s", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    said = json.loads(dry.out)
    assert said["dry_run"] is True and {r["run_id"] for r in said["runs"]} == {ok["run_id"], bad["run_id"]}
    assert said["bytes"] > 0 and all(f.is_dir() for f in folders.values())

    done = await oto_process(engine, temporal, "run", "prune", "--older-than", "0s", "--status", "succeeded,failed")
    assert done.code == 0, done.err
    assert "removed 2 runs" in done.out and "freed" in done.out and ok["run_id"] in done.out
    assert not folders[ok["run_id"]].exists() and not folders[bad["run_id"]].exists()
    assert folders[long].is_dir() and status(engine, long) == "running"
    listed = {r["run_id"] for r in engine.app.runs.list_all()}
    assert listed == {long}

    await engine.app.runs.cancel(long)
    await engine.wait(long)
    assert engine.app.runs.prune(older_than="0s").runs[0].run_id == long


async def test_the_retention_schedule_prunes_on_a_worker(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.sh("ok", "echo hi")
    old = await engine.run_job("ok")
    new = await engine.run_job("ok")
    with engine.database.session() as db:  # one run ended 40 days ago
        record = db.get(Run, old["run_id"])
        assert record is not None
        record.finished_at = datetime.now(UTC) - timedelta(days=40)
    monkeypatch.setenv("OTO_RUN_RETENTION", "30d")
    get_settings.cache_clear()
    handle = engine.client.get_schedule_handle(RETENTION_SCHEDULE)
    try:
        assert (await engine.app.schedules.sync()).retention in ("created", "updated")
        assert (await engine.app.schedules.sync()).retention == "unchanged"
        described = await handle.describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == RETENTION_WORKFLOW
        assert action.task_queue == engine.queue and len(described.schedule.spec.calendars) == 1  # once a day
        await handle.trigger()
        await until(lambda: old["run_id"] not in {r["run_id"] for r in engine.app.runs.list_all()},
                    timeout=30, what="the retention prune")
        assert {r["run_id"] for r in engine.app.runs.list_all()} == {new["run_id"]}
        assert not Path(old["workdir"]).exists() and Path(new["workdir"]).exists()
    finally:
        monkeypatch.delenv("OTO_RUN_RETENTION")
        get_settings.cache_clear()
        assert (await engine.app.schedules.sync()).retention == "deleted"
    with pytest.raises(RPCError):
        await handle.describe()
