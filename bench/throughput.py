"""Throughput and latency of OTO against a bare Temporal workflow and a plain subprocess loop.

One process, one run, one embedded Temporal dev server (as ``oto dev`` starts it):

* N ``/bin/true`` jobs as one OTO routine of N independent steps (records for every step);
* the same N processes through a bare Temporal SDK workflow running them as local activities,
  as many at once as the routine (OTO_ROUTINE_CONCURRENCY, 8 by default);
* a plain sequential ``subprocess.run`` loop;

then the submit-to-result latency of one OTO job run against a bare workflow running one local
activity, alternating, median of several after a warm-up. The bare workflows are the SDK's
defaults (sandboxed, started without eager start); OTO's are its own (unsandboxed, eager start
when the worker shares the client, as under ``oto dev``).

    .venv/bin/python bench/throughput.py [N]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bare import BareMany, BareOne, spawn_true  # the sandbox imports it anew: temporalio only
from temporalio.client import Client
from temporalio.worker import Worker

from oto.engine import client as engine
from oto.engine.devserver import DevServer
from oto.engine.worker import serving
from oto.services import documents, runs
from oto.services.database import Database
from oto.settings import get_settings

N = 500
ROUNDS = 5
LATENCY_SAMPLES = 40
WARM_UP = 5
BARE_QUEUE = "bench-bare"


def catalog(n: int) -> dict[str, object]:
    return {
        "oto": 1,
        "executables": [{"name": "true", "version": "1", "path": "/bin/true"}],
        "commands": [{"name": "true", "executable_tag": "true - 1", "parameters": []}],
        "jobs": [{"name": "true", "command": "true", "values": {}}],
        "routines": [{"name": "bench", "steps": [{"id": f"s{i}", "job": "true"} for i in range(n)]}],
    }


def plain_loop(n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        subprocess.run(["/bin/true"], check=True)
    return time.perf_counter() - started


async def oto_routine(client: Client, database: Database) -> float:
    started = time.perf_counter()
    run_id = await engine.submit_routine("bench", trigger="bench", client=client, database=database)
    await client.get_workflow_handle(run_id).result()
    elapsed = time.perf_counter() - started
    with database.session() as db:
        run = runs.get(db, run_id)
    assert run["status"] == "succeeded" and len(run["steps"]) == N, (run["status"], run["error"], run["steps"][:1])
    assert all(s["status"] == "succeeded" and s["exit_code"] == 0 for s in run["steps"])
    return elapsed


async def bare_many(client: Client, concurrency: int) -> float:
    started = time.perf_counter()
    total = await client.execute_workflow(BareMany.run, args=[N, concurrency], id=f"bare-{uuid.uuid4().hex}",
                                          task_queue=BARE_QUEUE)
    assert total == 0
    return time.perf_counter() - started


async def latency(client: Client, database: Database) -> tuple[float, float]:
    oto, bare = [], []
    for i in range(WARM_UP + LATENCY_SAMPLES):
        started = time.perf_counter()
        run_id = await engine.submit_job("true", trigger="bench", client=client, database=database)
        result = await client.get_workflow_handle(run_id).result()
        oto_seconds = time.perf_counter() - started
        assert result["status"] == "succeeded", result
        started = time.perf_counter()
        await client.execute_workflow(BareOne.run, id=f"bare-{uuid.uuid4().hex}", task_queue=BARE_QUEUE)
        bare_seconds = time.perf_counter() - started
        if i >= WARM_UP:
            oto.append(oto_seconds)
            bare.append(bare_seconds)
    return statistics.median(oto), statistics.median(bare)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="oto-bench-") as folder:
        home = Path(folder)
        os.environ["OTO_HOME"] = str(home)
        os.environ["OTO_TASK_QUEUE"] = "bench"
        get_settings.cache_clear()
        settings = get_settings()
        database = Database(f"sqlite:///{home / 'oto.db'}")
        database.upgrade()
        with database.session() as db:
            documents.import_document(db, catalog(N))
        async with DevServer(db_file=home / "temporal.db", log_file=home / "temporal.log") as server:
            client = await Client.connect(server.address)
            bare_worker = Worker(client, task_queue=BARE_QUEUE, workflows=[BareMany, BareOne],
                                 activities=[spawn_true])
            async with bare_worker, serving(client, [settings.task_queue], database):
                # rounds alternate the three, and each keeps its best: other load on the machine
                # then slows all three alike instead of whichever ran at the wrong moment
                plain, routine, bare = float("inf"), float("inf"), float("inf")
                for _ in range(ROUNDS):
                    plain = min(plain, plain_loop(N))
                    routine = min(routine, await oto_routine(client, database))
                    bare = min(bare, await bare_many(client, settings.routine_concurrency))
                oto_latency, bare_latency = await latency(client, database)
        database.dispose()

    def rate(seconds: float) -> float:
        return N / seconds

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, Temporal dev server (SQLite WAL)")
    print(f"N = {N} /bin/true jobs, concurrency {settings.routine_concurrency} for OTO and bare Temporal, "
          f"best of {ROUNDS} alternating rounds")
    print(f"plain subprocess loop      : {rate(plain):8.1f} jobs/s  ({plain:.2f} s)")
    print(f"OTO routine (with records) : {rate(routine):8.1f} jobs/s  ({routine:.2f} s)  "
          f"{routine and plain / routine:.0%} of plain")
    print(f"bare Temporal, local acts  : {rate(bare):8.1f} jobs/s  ({bare:.2f} s)  {plain / bare:.0%} of plain")
    print(f"OTO / bare Temporal        : {bare / routine:.2f}x")
    print(f"one job, submit to result  : OTO {oto_latency * 1000:.1f} ms, bare workflow + local activity "
          f"{bare_latency * 1000:.1f} ms (median of {LATENCY_SAMPLES})  OTO/bare {oto_latency / bare_latency:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        N = int(sys.argv[1])
    asyncio.run(main())
