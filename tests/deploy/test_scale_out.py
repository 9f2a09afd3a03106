"""Scale-out: 200 runs through the API over two task queues, one worker SIGKILLed halfway.

Every run must end with exactly one final record: none lost, none duplicated, all complete.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowExecutionStatus

from oto.domain.models import Run
from tests.support import until
from tests.support.deploy import FINAL, Stack, catalog

RUNS = 200
SECONDS = "1.5"  # longer than a job's first second, so some runs are handed over to a watcher


async def _submit(http: httpx.AsyncClient, jobs: list[str]) -> list[str]:
    gate = asyncio.Semaphore(8)

    async def one(job: str) -> str:
        async with gate:
            answer = await http.post(f"/jobs/{job}/runs")
        assert answer.status_code == 202, answer.text
        run_id: str = answer.json()["run_id"]
        return run_id

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _runs(http: httpx.AsyncClient, job: str) -> list[dict[str, Any]]:
    answer = await http.get("/runs", params={"job": job, "limit": 1000})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_200_runs_over_two_queues_survive_a_worker_killed_halfway(stack: Stack, temporal_client: Client) -> None:
    stack.load(catalog({"nap-a": ("queue-a", SECONDS), "nap-b": ("queue-b", SECONDS)}))
    api = await stack.api()
    worker_a = await stack.worker("queue-a")
    await stack.worker("queue-b")
    names = ["nap-a", "nap-b"] * (RUNS // 4)

    async with api.client() as http:
        submitted = await _submit(http, names)

        async def some_running_on_a() -> bool:
            return any(r["status"] == "running" for r in await _runs(http, "nap-a"))

        await until(some_running_on_a, timeout=60, what="runs on queue-a to start")
        worker_a.signal(signal.SIGKILL)  # mid-run: its jobs and its workflow tasks are lost with it
        submitted += await _submit(http, names)  # the second half goes in while queue-a has no worker
        await asyncio.sleep(1)
        await stack.worker("queue-a")

        async def all_final() -> bool:
            listed = await _runs(http, "nap-a") + await _runs(http, "nap-b")
            return sum(r["status"] in FINAL for r in listed) >= RUNS

        await until(all_final, timeout=180, what="all 200 runs to end", every=1)
        listed = await _runs(http, "nap-a") + await _runs(http, "nap-b")

    assert len(submitted) == len(set(submitted)) == RUNS
    by_id = {r["run_id"]: r for r in listed}
    assert len(listed) == len(by_id) == RUNS, "a run is listed twice, or one too many"
    assert set(by_id) == set(submitted), "a run was lost, or one appeared that nobody submitted"
    failed = [r for r in listed if r["status"] != "succeeded"]
    assert not failed, f"{failed[:3]}\n{stack.logs()}"
    assert any(r["starts"] > 1 for r in listed if r["job"] == "nap-a"), "the kill interrupted no run"
    assert all(r["starts"] == 1 for r in listed if r["job"] == "nap-b"), "queue-b's worker was not touched"

    with stack.database.session() as db:  # one record per run, each complete
        assert db.scalar(select(func.count()).select_from(Run)) == RUNS
        records = db.scalars(select(Run)).all()
    for record in records:
        assert record.exit_code == 0 and record.finished_at is not None and record.started_at is not None
        assert record.stdout == f"slept {SECONDS}\n", record.id

    for run_id in submitted:  # and Temporal agrees: each workflow completed once
        description = await temporal_client.get_workflow_handle(run_id).describe()
        assert description.status == WorkflowExecutionStatus.COMPLETED, run_id
