"""Restarts: the API process and the Temporal server go down and come back during a routine run.

The routine's state lives in Temporal's history and OTO's records, not in either process, so the
routine carries on where it was and completes.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from oto.engine.devserver import DevServer
from tests.support import until
from tests.support.deploy import FINAL, Stack, catalog, deployed


@pytest_asyncio.fixture
async def own_temporal(tmp_path: Path) -> AsyncIterator[DevServer]:
    """A Temporal of this test's own (on a fixed port and file), since the test restarts it."""
    server = DevServer(db_file=tmp_path / "temporal" / "dev.db", log_file=tmp_path / "temporal" / "dev.log")
    await server.start()
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest_asyncio.fixture
async def restartable(postgres_url: str, own_temporal: DevServer, oto_home: Path) -> AsyncIterator[Stack]:
    async with deployed(oto_home, postgres_url, own_temporal.address) as deployment:
        yield deployment


async def test_a_routine_completes_across_restarts_of_the_api_and_temporal(
        restartable: Stack, own_temporal: DevServer) -> None:
    stack = restartable
    # three steps, hopping queues: after the restart Temporal must still schedule two segments
    stack.load(catalog({"first": ("queue-a", "4"), "second": ("queue-b", "1"), "third": ("queue-a", "1")}))
    stack.load({"routines": [{"name": "nightly", "steps": [
        {"id": "first", "job": "first"},
        {"id": "second", "job": "second", "after": ["first"]},
        {"id": "third", "job": "third", "after": ["second"]},
    ]}]})
    api = await stack.api()
    await stack.worker("queue-a")
    await stack.worker("queue-b")

    async with api.client() as http:
        answer = await http.post("/routines/nightly/runs")
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]

        async def first_step_running() -> bool:
            steps = (await http.get(f"/runs/{run_id}")).json()["steps"]
            return bool(steps[0]["status"] == "running")

        await until(first_step_running, timeout=30, what="the first step to start")

    api.signal(signal.SIGTERM)
    await asyncio.to_thread(own_temporal.stop)
    went_down = datetime.now(UTC)  # from here on Temporal is down: the first step must outlive it
    await asyncio.sleep(1)
    await own_temporal.start()  # the same port and history file: the same cluster, back
    api.start()
    await api.ready()

    async with api.client() as http:
        async def ended() -> bool:
            return bool((await http.get(f"/runs/{run_id}")).json()["status"] in FINAL)

        await until(ended, timeout=120, what="the routine to end", every=0.5)
        run: dict[str, Any] = (await http.get(f"/runs/{run_id}")).json()

    assert run["status"] == "succeeded", f"{run}\n{stack.logs()}"
    assert [(s["step"], s["status"], s["stdout"]) for s in run["steps"]] == [
        ("first", "succeeded", "slept 4\n"), ("second", "succeeded", "slept 1\n"), ("third", "succeeded", "slept 1\n")]
    assert all(s["starts"] == 1 for s in run["steps"]), run["steps"]
    assert datetime.fromisoformat(run["steps"][0]["finished_at"]) > went_down, "the restarts missed the running step"
