"""Durability: a worker killed mid-job (SIGKILL) loses nothing; Temporal retries on a new worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from oto.engine import process
from oto.engine.devserver import DevServer
from oto.services import runs
from oto.services.database import Database
from tests.support import alive, processes_in, until
from tests.support.engine import Engine, use_home


class Workers:
    """``oto worker`` processes, as a deployment runs them, sharing the test's database file."""

    def __init__(self, env: dict[str, str], queue: str, log: Path) -> None:
        self.env, self.queue, self.log = env, queue, log
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as log:
            worker = subprocess.Popen([sys.executable, "-m", "oto", "worker", "--task-queue", self.queue],
                                      env=self.env, stdout=log, stderr=log)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(10)


async def heartbeat_names_its_group(client: Client, run_id: str) -> bool:
    """Whether Temporal holds a heartbeat of the run's activity naming its process group (what a retry reaps)."""
    description = await client.get_workflow_handle(run_id).describe()
    for pending in description.raw_description.pending_activities:
        for payload in pending.heartbeat_details.payloads:
            if json.loads(payload.data).get("groups"):
                return True
    return False


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


async def test_killing_the_worker_mid_job_still_ends_succeeded_with_one_record(
        workers: Workers, temporal_client: object, sqlite_database: Database, oto_home: Path) -> None:
    engine = Engine(temporal_client, sqlite_database, workers.queue, oto_home)  # type: ignore[arg-type]
    engine.sleep("nap", "5")
    first = workers.start()
    run_id = await engine.submit_job("nap")
    folder = oto_home / "runs" / run_id
    await until(lambda: processes_in(folder) != [], timeout=30)
    lost = processes_in(folder)
    await until(lambda: heartbeat_names_its_group(engine.client, run_id), what="a heartbeat naming the job")
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    workers.start()
    run = await engine.wait(run_id)
    assert run["status"] == "succeeded", run
    assert run["starts"] == 2
    assert time.monotonic() - killed_at < 30
    assert not any(alive(pid) for pid in lost)
    assert processes_in(folder) == []
    with sqlite_database.session() as db:
        listed = runs.list_runs(db, job="nap")
    assert [r["run_id"] for r in listed] == [run_id]


async def test_a_retry_reaps_the_process_group_a_lost_attempt_left_on_this_machine(tmp_path: Path) -> None:
    orphan = subprocess.Popen(["/bin/sh", "-c", "sleep 60 & sleep 60"], cwd=tmp_path, start_new_session=True)
    await until(lambda: len(processes_in(tmp_path)) == 3)
    ticks = process.start_ticks(orphan.pid)
    assert ticks is not None
    process.reap("another-machine/boot", [[orphan.pid, ticks]])
    process.reap(process.HOST, [[orphan.pid, ticks + 1]])  # same pid, another process: left alone
    assert len(processes_in(tmp_path)) == 3
    process.reap(process.HOST, [[orphan.pid, ticks]])
    orphan.wait(5)
    await until(lambda: processes_in(tmp_path) == [])


async def test_the_retry_reaps_the_process_the_lost_worker_left_running(
        workers: Workers, temporal_client: object, sqlite_database: Database, oto_home: Path) -> None:
    engine = Engine(temporal_client, sqlite_database, workers.queue, oto_home)  # type: ignore[arg-type]
    engine.sleep("long", "60")
    first = workers.start()
    run_id = await engine.submit_job("long")
    folder = oto_home / "runs" / run_id
    await until(lambda: processes_in(folder) != [], timeout=30)
    orphan = processes_in(folder)
    await until(lambda: heartbeat_names_its_group(engine.client, run_id), what="a heartbeat naming the job")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert processes_in(folder) == orphan  # the program outlives its worker...
    workers.start()

    def second_attempt_running() -> bool:
        with sqlite_database.session() as db:
            return runs.get(db, run_id)["starts"] == 2 and processes_in(folder) not in ([], orphan)

    await until(second_attempt_running, timeout=40)
    assert not any(alive(pid) for pid in orphan)  # ...until the retry reaps it
    from oto.engine import client as engine_client

    await engine_client.cancel(run_id, client=engine.client, database=sqlite_database)
    assert (await engine.wait(run_id))["status"] == "cancelled"
    await until(lambda: processes_in(folder) == [])
