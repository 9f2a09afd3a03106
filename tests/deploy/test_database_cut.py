"""PostgreSQL cut off for a few seconds during runs, through a proxy the test controls.

While it is away the API answers 503 problem+json at once instead of hanging, and the workers
hold on to what their jobs did and write it when it is back: every record ends complete, and
no job runs twice for a lost write.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from oto.engine.devserver import DevServer
from tests.support import POSTGRES_URL, until
from tests.support.deploy import FINAL, Stack, catalog, deployed
from tests.support.proxy import TcpProxy

CUT = 8.0  # seconds without PostgreSQL: longer than every job, so all of them end during the cut
SLOW = 2.0  # the most a refusal may take: "at once", with room for a loaded machine


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    target = sa.make_url(POSTGRES_URL)
    between = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
    between.start()
    yield between
    between.stop()


@pytest_asyncio.fixture
async def proxied(postgres_url: str, proxy: TcpProxy, temporal: DevServer, oto_home: Path) -> AsyncIterator[Stack]:
    """A deployment whose API and workers reach PostgreSQL only through ``proxy``."""
    through = sa.make_url(postgres_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with deployed(oto_home, postgres_url, temporal.address, services_reach=through) as deployment:
        yield deployment


async def _refused_quickly(http: httpx.AsyncClient, method: str, path: str) -> dict[str, Any]:
    started = time.monotonic()
    answer = await http.request(method, path)
    took = time.monotonic() - started
    assert answer.status_code == 503, f"{method} {path}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json"
    assert took < SLOW, f"{method} {path} took {took:.1f}s to say the database is away"
    assert answer.headers["retry-after"] == "5"
    problem: dict[str, Any] = answer.json()
    return problem


async def test_runs_survive_postgresql_going_away_and_the_api_says_503(proxied: Stack,
                                                                       proxy: TcpProxy) -> None:
    stack = proxied
    # Jobs end while PostgreSQL is away (their final records must wait), and a routine's steps do too.
    # long enough to be all running before the cut even on a loaded machine
    jobs = {f"nap-{i}": ("cut-queue", f"{3 + i * 0.5:g}") for i in range(6)}
    stack.load(catalog(jobs | {"step": ("cut-queue", "2.5")}))
    stack.load({"routines": [{"name": "pair", "steps": [{"id": "one", "job": "step"},
                                                         {"id": "two", "job": "step", "after": ["one"]}]}]})
    api = await stack.api()
    await stack.worker("cut-queue")

    async with api.client(timeout=60) as http:
        run_ids = [(await http.post(f"/jobs/{name}/runs")).json()["run_id"] for name in jobs]
        run_ids.append((await http.post("/routines/pair/runs")).json()["run_id"])

        async def all_running() -> bool:
            listed = (await http.get("/runs", params={"limit": 100})).json()["items"]
            return bool(sum(r["status"] == "running" for r in listed if r["kind"] != "step") == len(run_ids))

        await until(all_running, timeout=30, what="every run to start")

        proxy.cut()
        cut_at = time.monotonic()
        problem = await _refused_quickly(http, "GET", "/runs")
        assert problem["title"] == "Service unavailable"
        assert "database" in problem["detail"]
        await _refused_quickly(http, "GET", f"/runs/{run_ids[0]}")
        await _refused_quickly(http, "POST", "/jobs/nap-0/runs")
        health = await http.get(f"{api.url}/health")
        assert health.status_code == 503 and not health.json()["database"]["ok"]
        await asyncio.sleep(max(0.0, CUT - (time.monotonic() - cut_at)))
        proxy.restore()

        async def all_ended() -> bool:
            answer = await http.get("/runs", params={"limit": 100})
            return answer.status_code == 200 and all(
                r["status"] in FINAL for r in answer.json()["items"] if r["run_id"] in run_ids)

        await until(all_ended, timeout=90, what="every run to end after PostgreSQL is back", every=0.5)
        runs = [(await http.get(f"/runs/{run_id}")).json() for run_id in run_ids]

    for run in runs[:-1]:
        assert run["status"] == "succeeded", f"{run}\n{stack.logs()}"
        assert run["exit_code"] == 0 and run["stdout"] == f"slept {jobs[run['job']][1]}\n"
        assert run["starts"] == 1, f"{run['job']} ran again instead of its record being written late"
    routine = runs[-1]
    assert routine["status"] == "succeeded", f"{routine}\n{stack.logs()}"
    steps = [(s["status"], s["stdout"], s["starts"]) for s in routine["steps"]]
    assert steps == [("succeeded", "slept 2.5\n", 1)] * 2
    worker_log = next(s for s in stack.services if s.name.startswith("worker")).log_text()
    waits = [json.loads(line) for line in worker_log.splitlines() if "the database does not answer" in line]
    assert waits, "no record write waited for the database"
    assert all(wait.get("run_id") in run_ids or wait.get("run_id", "").startswith(run_ids[-1]) for wait in waits), waits
