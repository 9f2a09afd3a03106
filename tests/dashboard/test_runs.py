"""Starting, triggering and cancelling runs from the dashboard, on a real Temporal dev server and worker."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import unquote

import httpx
import pytest
from temporalio.client import ScheduleDescription
from temporalio.service import RPCError, RPCStatusCode

from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.engine.schedules import schedule_id
from oto.errors import NotFound, Unavailable
from oto.web.server import create_app
from tests.dashboard.conftest import csrf_of, make_key, temporal_up
from tests.support.engine import Engine


@asynccontextmanager
async def logged_in(engine: Engine, temporal: DevServer, scope: str = "run",
                    name: str = "runner") -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of the dashboard logged in with a key of ``scope``, and its session's CSRF token."""
    app = create_app(engine.database, temporal=lambda: engine_client.connect(temporal.address))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as client:
        page = await client.post("/login", data={"key": make_key(engine.database, scope, name)},
                                 follow_redirects=True)
        yield client, csrf_of(page.text)


async def on_temporal(engine: Engine, name: str) -> ScheduleDescription | None:
    try:
        return await engine.client.get_schedule_handle(schedule_id(name)).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def forget(engine: Engine, *names: str) -> None:
    """Delete the tests' schedules from the session's shared Temporal (and the test's database)."""
    for name in names:
        with suppress(NotFound):
            await engine.app.schedules.delete(name)


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
    daily = f"daily-{engine.queue}"
    engine.load({"schedules": [{"name": daily, "job": "hello", "cron": "0 3 * * *"}]})  # only in the database
    async with logged_in(engine, temporal) as (client, csrf):
        routine_run = run_id_of(await client.post("/routines/pair/run", data={"csrf": csrf}))
        assert (await engine.wait(routine_run))["status"] == "succeeded"
        page = (await client.get(f"/runs/{routine_run}")).text
        assert 'class="node status-succeeded" data-id="b"' in page
        assert ">hello\n</pre>" not in page  # a routine's output is its steps'
        step = re.search(r'href="/runs/(run-[0-9a-f]+-b)"', page)
        assert step
        assert ">hello\n</pre>" in (await client.get(f"/runs/{step.group(1)}")).text
        try:
            # Fired through Temporal's schedule (recreated there as it was missing), not run directly.
            triggered = run_id_of(await client.post(f"/schedules/{daily}/trigger", data={"csrf": csrf}))
            view = await engine.wait(triggered)
            assert view["status"] == "succeeded" and view["trigger"] == f"schedule:{daily}"
            described = await on_temporal(engine, daily)
            assert described is not None and described.info.num_actions == 1
        finally:
            await forget(engine, daily)


async def test_schedules_made_paused_and_resumed_on_the_dashboard_are_on_temporal(
    engine: Engine, temporal: DevServer,
) -> None:
    engine.sh("hello", "echo hello")
    engine.routine("pair", [("a", "hello", [])])
    nightly, often = f"nightly-{engine.queue}", f"often-{engine.queue}"
    form = {"target": "job:hello", "cron": "", "every": "", "timezone": "UTC", "overlap": "skip", "note": ""}
    async with logged_in(engine, temporal, "admin", "boss") as (client, csrf):
        try:
            made = await client.post("/schedules", data=form | {"csrf": csrf, "name": nightly, "cron": "0 3 * * *"})
            assert made.status_code == 303, made.text
            made = await client.post("/schedules", data=form | {"csrf": csrf, "name": often, "every": "15m",
                                                                "target": "routine:pair"})
            assert made.status_code == 303, made.text
            assert await on_temporal(engine, nightly) is not None and await on_temporal(engine, often) is not None
            page = (await client.get("/schedules")).text
            fires = re.findall(r'<time datetime="([^"]+)">', page)
            assert len(fires) == 6 and all(f[14:19] in ("00:00", "15:00", "30:00", "45:00") for f in fires)
            assert "Next schedule fires" in (await client.get("/")).text
            again = await client.post("/schedules", data=form | {"csrf": csrf, "name": nightly, "cron": "0 4 * * *"})
            assert again.status_code == 409 and "already exists" in again.text

            await client.post(f"/schedules/{nightly}/pause", data={"csrf": csrf, "note": "holidays"})
            page = (await client.get("/schedules")).text
            assert "paused" in page and "holidays" in page and len(re.findall(r"<time datetime=", page)) == 3
            described = await on_temporal(engine, nightly)
            assert described is not None and described.schedule.state.paused
            assert described.schedule.state.note == "holidays"
            await client.post(f"/schedules/{nightly}/resume", data={"csrf": csrf})
            assert len(re.findall(r"<time datetime=", (await client.get("/schedules")).text)) == 6
            described = await on_temporal(engine, nightly)
            assert described is not None and not described.schedule.state.paused
        finally:
            await forget(engine, nightly, often)


async def test_an_imported_schedule_is_synced_to_temporal(engine: Engine, temporal: DevServer) -> None:
    engine.sh("hello", "echo hello")
    name = f"imported-{engine.queue}"
    document = json.dumps({"oto": 1, "schedules": [{"name": name, "job": "hello", "every": "1h"}]})
    async with logged_in(engine, temporal, "admin", "boss") as (client, csrf):
        try:
            done = await client.post("/import", data={"csrf": csrf, "document": document})
            assert done.status_code == 200 and "1 created" in done.text, done.text
            assert 'class="problem"' not in done.text
            assert await on_temporal(engine, name) is not None
        finally:
            await forget(engine, name)


async def test_without_temporal_a_run_button_says_so(engine: Engine) -> None:
    engine.sh("hello", "echo hello")

    async def away() -> object:
        raise Unavailable("cannot reach Temporal at nowhere:7233")

    app = create_app(engine.database, temporal=away, temporal_probe=temporal_up)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as client:
        page = await client.post("/login", data={"key": make_key(engine.database)}, follow_redirects=True)
        csrf = csrf_of(page.text)
        refused = await client.post("/jobs/hello/run", data={"csrf": csrf})
        assert refused.status_code == 503 and "cannot reach Temporal" in refused.text
        form = {"csrf": csrf, "name": "kept", "target": "job:hello", "cron": "", "every": "1h", "timezone": "UTC",
                "overlap": "skip", "note": ""}
        unsaved = await client.post("/schedules", data=form)
        assert unsaved.status_code == 503 and "cannot reach Temporal" in unsaved.text
        assert 'id="kept"' not in (await client.get("/schedules")).text  # nothing written
        # An import stands without Temporal, and says how to give it the schedules later.
        document = json.dumps({"oto": 1, "schedules": [{"name": "kept", "job": "hello", "every": "1h"}]})
        imported = await client.post("/import", data={"csrf": csrf, "document": document})
        assert imported.status_code == 200 and "1 created" in imported.text
        assert "`oto schedule sync` will finish it" in imported.text
        assert 'id="kept"' in (await client.get("/schedules")).text
        overview = (await client.get("/")).text
        assert "does not answer" in overview


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_KILL_GRACE", "1")


async def test_a_schedule_has_a_page_with_temporal_s_view_its_runs_and_an_edit_form(
    engine: Engine, temporal: DevServer,
) -> None:
    engine.sh("hello", "echo hello")
    name = f"paged-{engine.queue}"
    async with logged_in(engine, temporal, "admin", "boss") as (client, csrf):
        try:
            await engine.app.schedules.add({"name": name, "job": "hello", "cron": "0 3 * * *"})
            triggered = await client.post(f"/schedules/{name}/trigger", data={"csrf": csrf})
            assert triggered.status_code == 303
            page = (await client.get(f"/schedules/{name}")).text
            assert f"Schedule {name}" in page and "in step" in page and "Fires taken" in page
            assert len(re.findall(r'<dd><time datetime="', page)) == 1  # the next fires, from the spec
            assert "/runs/run-" in page  # the fire's run, in the recent runs
            changed = await client.post(f"/schedules/{name}/edit", data={
                "csrf": csrf, "cron": "", "every": "2h", "timezone": "UTC", "overlap": "buffer_one", "note": "x"})
            assert changed.status_code == 303, changed.text
            described = await on_temporal(engine, name)
            assert described is not None and described.schedule.spec.intervals[0].every.total_seconds() == 7200
            assert "every 2h" in (await client.get(f"/schedules/{name}")).text
            bad = await client.post(f"/schedules/{name}/edit", data={
                "csrf": csrf, "cron": "61 * * * *", "every": "", "timezone": "UTC", "overlap": "skip", "note": ""})
            assert bad.status_code == 422 and "the minute field has 61" in bad.text
            paused = await client.post(f"/schedules/{name}/pause", data={"csrf": csrf, "back": "page"})
            assert paused.headers["location"] == f"/schedules/{name}"
        finally:
            await forget(engine, name)


async def test_a_schedules_input_values_are_given_and_changed_on_the_dashboard(
    engine: Engine, temporal: DevServer,
) -> None:
    engine.python("greet", "import sys; print('hello', sys.argv[1])", "nobody")
    engine.load({"jobs": [{"name": "greet", "command": "python", "values": {"-c": "import sys; print(sys.argv[1])"},
                           "inputs": {"arg": None}}]})
    name = f"valued-{engine.queue}"
    form = {"name": name, "target": "job:greet", "cron": "0 3 * * *", "every": "", "timezone": "UTC",
            "overlap": "skip", "note": ""}
    async with logged_in(engine, temporal, "admin", "boss") as (client, csrf):
        try:
            missing = await client.post("/schedules", data=form | {"csrf": csrf, "values": ""})
            assert missing.status_code == 422 and "arg" in missing.text
            bad = await client.post("/schedules", data=form | {"csrf": csrf, "values": "=x"})
            assert bad.status_code == 422 and "input values" in bad.text and "NAME=VALUE" in bad.text
            made = await client.post("/schedules", data=form | {"csrf": csrf, "values": "arg=world\n\n"})
            assert made.status_code == 303, made.text
            assert engine.app.schedules.get(name).values == {"arg": "world"}
            page = (await client.get(f"/schedules/{name}")).text
            assert ">arg=world</textarea>" in page
            edited = await client.post(f"/schedules/{name}/edit", data={
                "csrf": csrf, "cron": "0 4 * * *", "every": "", "timezone": "UTC", "overlap": "skip", "note": "",
                "values": "arg=moon"})
            assert edited.status_code == 303, edited.text
            assert engine.app.schedules.get(name).values == {"arg": "moon"}
            fired = await client.post(f"/schedules/{name}/trigger", data={"csrf": csrf})
            assert fired.status_code == 303
            run_id = unquote(fired.headers["location"]).rsplit("/", 1)[-1]
            if run_id.startswith("run-"):
                run = await engine.wait(run_id)
                assert run["stdout"] == "moon\n"
        finally:
            await forget(engine, name)


async def test_a_schedule_page_says_when_temporal_is_slow(engine: Engine) -> None:
    engine.sh("hello", "echo hello")

    async def slow() -> object:
        await asyncio.sleep(30)
        raise AssertionError("never reached")

    engine.load({"schedules": [{"name": "held", "job": "hello", "every": "1h"}]})  # in the database only
    app = create_app(engine.database, temporal=slow, temporal_probe=temporal_up)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as client:
        await client.post("/login", data={"key": make_key(engine.database)}, follow_redirects=True)
        page = await client.get("/schedules/held")
        assert page.status_code == 200
        assert "Temporal did not answer within 3 s" in page.text and "every 1h" in page.text
