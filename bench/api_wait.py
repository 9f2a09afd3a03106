"""One job through the API with ``?wait=true``, side by side with a bare Temporal workflow running one
local activity: the submit-to-answer latency of each, alternating, median of many after a warm-up.

One process and one embedded Temporal dev server (as ``oto dev`` starts them): OTO's worker and the
bare worker share the client, and the OTO API is served by uvicorn on a local socket in the same
event loop. Each OTO sample is ``POST /api/v1/jobs/true/runs?wait=true`` over HTTP with an API key
(the run's record written, its workflow run, its final record read back and answered, a
``/bin/true`` in between); each bare one is ``client.execute_workflow`` of a workflow whose one
local activity runs ``/bin/true`` (nothing recorded).

    .venv/bin/python bench/api_wait.py [--samples 40] [--warm-up 5]

A benchmark, not a test: it asserts only that each run succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from bare import BareOne, spawn_true  # the sandbox imports it anew: temporalio only
from temporalio.client import Client
from temporalio.worker import Worker

from oto.api.app import create_app
from oto.engine.devserver import DevServer, free_port
from oto.engine.worker import serving
from oto.services import apikeys, documents
from oto.services.database import Database
from oto.services.health import Status
from oto.settings import get_settings

BARE_QUEUE = "bench-bare"
CATALOG = {
    "oto": 1,
    "executables": [{"name": "true", "version": "1", "path": "/bin/true"}],
    "commands": [{"name": "true", "executable_tag": "true - 1", "parameters": []}],
    "jobs": [{"name": "true", "command": "true", "values": {}}],
}


async def main(samples: int, warm_up: int) -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="oto-bench-") as folder:
        home = Path(folder)
        os.environ["OTO_HOME"] = str(home)
        os.environ["OTO_TASK_QUEUE"] = "bench"
        get_settings.cache_clear()
        settings = get_settings()
        database = Database(f"sqlite:///{home / 'oto.db'}")
        database.upgrade()
        with database.session() as db:
            documents.import_document(db, CATALOG)
            key = apikeys.create(db, "bench", "run").key
        async with DevServer(db_file=home / "temporal.db", log_file=home / "temporal.log") as dev:
            client = await Client.connect(dev.address)

            async def connect() -> Client:
                return client

            async def up() -> Status:
                return Status(True, "bench")

            port = free_port()
            server = uvicorn.Server(uvicorn.Config(create_app(database, temporal=connect, temporal_probe=up),
                                                   host="127.0.0.1", port=port, log_level="warning"))
            serving_api = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.01)
            bare_worker = Worker(client, task_queue=BARE_QUEUE, workflows=[BareOne], activities=[spawn_true])
            oto, bare = [], []
            async with bare_worker, serving(client, [settings.task_queue], database), httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}) as http:
                for i in range(warm_up + samples):
                    started = time.perf_counter()
                    answer = await http.post("/api/v1/jobs/true/runs?wait=true")
                    oto_seconds = time.perf_counter() - started
                    assert answer.status_code == 200 and answer.json()["status"] == "succeeded", answer.text
                    started = time.perf_counter()
                    await client.execute_workflow(BareOne.run, id=f"bare-{uuid.uuid4().hex}", task_queue=BARE_QUEUE)
                    bare_seconds = time.perf_counter() - started
                    if i >= warm_up:
                        oto.append(oto_seconds)
                        bare.append(bare_seconds)
            server.should_exit = True
            await serving_api
        database.dispose()
    api_ms, bare_ms = statistics.median(oto) * 1000, statistics.median(bare) * 1000
    load_after = os.getloadavg()
    print(f"nproc {os.cpu_count()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, "
          f"load {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"one job, submit to answer (median of {samples}, alternating, after {warm_up} warm-up):")
    print(f"  POST /api/v1/jobs/true/runs?wait=true : {api_ms:6.1f} ms  (p90 {_p90(oto):.1f} ms)")
    print(f"  bare workflow + one local activity    : {bare_ms:6.1f} ms  (p90 {_p90(bare):.1f} ms)")
    print(f"  API / bare                            : {api_ms / bare_ms:.2f}x")


def _p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)] * 1000


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.samples, options.warm_up))
