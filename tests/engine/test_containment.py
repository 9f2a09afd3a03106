"""No process outlives its run: not one that double-forks, calls setsid and ignores SIGTERM, nor one
whose worker was killed with SIGKILL (the next worker of the host kills it when it starts)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from temporalio.client import Client

from oto.engine import containment
from oto.services.database import Database
from tests.engine.test_lost_worker import Workers, workers  # noqa: F401 (a fixture)
from tests.support import alive, processes_in, until
from tests.support.engine import Engine

# Forks a grandchild in a session of its own that ignores SIGTERM, and notes its pid; then
# sleeps for as long as its argument says, and ends well.
ESCAPE = """
import os, signal, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with open('daemon.pid.tmp', 'w') as note:
            note.write(str(os.getpid()))
        os.rename('daemon.pid.tmp', 'daemon.pid')
        time.sleep(600)
    os._exit(0)
os.wait()
while not os.path.exists('daemon.pid'):
    time.sleep(0.01)
time.sleep(float(sys.argv[1]))
"""


def daemon_of(home: Path, run_id: str) -> int:
    return int((home / "runs" / run_id / "daemon.pid").read_text())


async def _escapes_nothing(engine: Engine) -> str:
    engine.python("escape", ESCAPE, "0")
    run = await engine.run_job("escape")
    assert run["status"] == "succeeded", run
    daemon = daemon_of(engine.home, run["run_id"])
    await until(lambda: not alive(daemon), timeout=5, what="the run's daemon to be killed")
    return str(run["run_id"])


async def test_a_daemon_that_left_its_group_and_ignores_sigterm_ends_with_its_run(engine: Engine) -> None:
    if containment.cgroup_root() is None:
        pytest.skip("no cgroup v2 the worker may write to here")
    run_id = await _escapes_nothing(engine)
    assert not (containment.cgroup_root() or Path()).joinpath(containment.worker_id(), run_id).exists()


async def test_without_cgroups_the_worker_adopts_and_kills_the_daemon(engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containment, "use_cgroups", False)
    await _escapes_nothing(engine)


async def test_a_daemon_of_a_timed_out_run_is_killed_after_the_grace(engine: Engine) -> None:
    engine.python("stuck", ESCAPE, "60")
    run = await engine.run_job("stuck", timeout=1.5)
    assert run["status"] == "timed_out"
    assert not alive(daemon_of(engine.home, run["run_id"]))


async def test_the_next_worker_of_the_host_kills_what_a_killed_worker_left(
        workers: Workers, temporal_client: Client, sqlite_database: Database, oto_home: Path) -> None:  # noqa: F811
    engine = Engine(temporal_client, sqlite_database, workers.queue, oto_home)
    engine.python("escape", ESCAPE, "600")
    first = workers.start()
    run_id = await engine.submit_job("escape")
    note = oto_home / "runs" / run_id / "daemon.pid"
    await until(note.exists, timeout=30, what="the daemon to start")
    daemon = int(note.read_text())
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert alive(daemon)  # the lost worker's run goes on without it...
    workers.start()
    await until(lambda: not alive(daemon), timeout=20, what="the next worker to kill the daemon")  # ...until then
    from oto.engine import client as engine_client

    await engine_client.cancel(run_id, client=engine.client, database=sqlite_database)
    assert (await engine.wait(run_id))["status"] == "cancelled"
    await until(lambda: processes_in(oto_home / "runs" / run_id) == [])


async def test_without_cgroups_a_starting_worker_kills_processes_of_workers_that_no_longer_exist() -> None:
    lost = subprocess.Popen(["sleep", "60"], env={containment.WORKER_VARIABLE: "999999999-1"})
    ours = subprocess.Popen(["sleep", "60"], env={containment.WORKER_VARIABLE: containment.worker_id()})
    try:
        assert containment.clean_up_after_lost_workers() >= 1
        assert lost.wait(5) == -signal.SIGKILL
        assert ours.poll() is None  # a live worker's run is left alone
    finally:
        for started in (lost, ours):
            started.kill()
            started.wait()
