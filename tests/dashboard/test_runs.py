"""Starting, triggering and cancelling runs from the dashboard, on a real Temporal dev server and worker."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import unquote

import httpx
import pytest

from oto.api.app import create_app
from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.errors import Unavailable
from tests.dashboard.conftest import csrf_of, make_key, temporal_up
from tests.engine.conftest import Engine


@asynccontextmanager
async def logged_in(engine: Engine, temporal: DevServer) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of the dashboard logged in with a run key, and its session's CSRF token."""
    app = create_app(engine.database, temporal=lambda: engine_client.connect(temporal.address))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as client:
        page = await client.post("/login", data={"key": make_key(engine.database, "run", "runner")},
                                 follow_redirects=True)
        yield client, csrf_of(page.text)


def run_id_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/runs/(run-[0-9a-f]+)", unquote(response.headers["location"]))
    assert found, response.headers["location"]
    return found.group(1)


async def test_a_job_is_run_then_cancelled_from_its_pages(engine: Engine, temporal: DevServer) -> None:
    engine.sleep("nap", "30")
    async with logged_in(engine, temporal) as (client, csrf):
        run_id = run_id_of(await client.post("/jobs/nap/run", data={"csrf": csrf}))
        for _ in range(100):
            page = (await client.get(f"/runs/{run_id}")).text
            if 'data-status="running"' in page:
                break
            await asyncio.sleep(0.1)
        assert "Cancel this run" in page and "trigger" in page.lower()
        cancelled = await client.post(f"/runs/{run_id}/cancel", data={"csrf": csrf})
        assert cancelled.status_code == 303
        view = await engine.wait(run_id)
        assert view["status"] == "cancelled" and view["trigger"] == "dashboard:runner"
        page = (await client.get(f"/runs/{run_id}")).text
        assert 'data-status="cancelled"' in page and "Cancel this run" not in page


async def test_a_routine_runs_and_a_schedule_is_triggered(engine: Engine, temporal: DevServer) -> None:
    engine.sh("hello", "echo hello")
    engine.routine("pair", [("a", "hello", []), ("b", "hello", ["a"])])
    engine.load({"schedules": [{"name": "daily", "job": "hello", "cron": "0 3 * * *"}]})
    async with logged_in(engine, temporal) as (client, csrf):
        routine_run = run_id_of(await client.post("/routines/pair/run", data={"csrf": csrf}))
        assert (await engine.wait(routine_run))["status"] == "succeeded"
        page = (await client.get(f"/runs/{routine_run}")).text
        assert 'class="node status-succeeded" data-id="b"' in page
        assert ">hello\n</pre>" not in page  # a routine's output is its steps'
        step = re.search(r'href="/runs/(run-[0-9a-f]+-b)"', page)
        assert step
        assert ">hello\n</pre>" in (await client.get(f"/runs/{step.group(1)}")).text
        triggered = run_id_of(await client.post("/schedules/daily/trigger", data={"csrf": csrf}))
        view = await engine.wait(triggered)
        assert view["status"] == "succeeded" and view["trigger"] == "schedule:daily (dashboard:runner)"


async def test_without_temporal_a_run_button_says_so(engine: Engine) -> None:
    engine.sh("hello", "echo hello")

    async def away() -> object:
        raise Unavailable("cannot reach Temporal at nowhere:7233")

    app = create_app(engine.database, temporal=away, temporal_probe=temporal_up)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as client:
        page = await client.post("/login", data={"key": make_key(engine.database)}, follow_redirects=True)
        refused = await client.post("/jobs/hello/run", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 503 and "cannot reach Temporal" in refused.text
        overview = (await client.get("/")).text
        assert "does not answer" in overview


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_KILL_GRACE", "1")
