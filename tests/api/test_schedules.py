"""/api/v1/schedules: cron or interval, a job or a routine, pause and resume, trigger.

Every change goes to Temporal too, so those run against the session's real Temporal dev server
and a worker (the ``api`` fixture); refusals come before Temporal is asked and run without one.
Schedule names carry the test's task queue: the dev server, and so the schedule ids, are shared.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any

import pytest
from fastapi.testclient import TestClient
from temporalio.client import ScheduleDescription
from temporalio.service import RPCError, RPCStatusCode

from oto.api.routes import runs as run_routes
from oto.engine.schedules import schedule_id
from oto.services import schedules
from oto.services.database import Database
from tests.api.conftest import Api

BASE = "/api/v1/schedules"


# -- refused before Temporal is asked (no Temporal here) ------------------------------------------


def test_refusals_come_before_temporal(client: TestClient, admin: dict[str, str], keys: Any,
                                       seeded: Database) -> None:
    good = {"name": "s", "job": "GenRSA-2048", "cron": "0 3 * * *"}
    with seeded.session() as db:
        schedules.add(db, good)
    assert client.post(BASE, json=good, headers=admin).status_code == 409
    bad_cron = client.post(BASE, json=good | {"name": "t", "cron": "every day"}, headers=admin)
    assert bad_cron.status_code == 422 and "cron" in bad_cron.json()["detail"]
    both = client.post(BASE, json=good | {"name": "u", "every": "1h"}, headers=admin)
    assert both.status_code == 422
    assert client.post(BASE, json=good | {"name": "v", "timezone": "Mars/Base"}, headers=admin).status_code == 422
    assert client.post(BASE, json=good | {"name": "w", "job": "ghost"}, headers=admin).status_code == 404
    assert client.patch(f"{BASE}/s", json={"overlap": "sometimes"}, headers=admin).status_code == 422
    assert client.patch(f"{BASE}/ghost", json={"every": "1h"}, headers=admin).status_code == 404
    for verb in ("pause", "resume"):
        assert client.post(f"{BASE}/ghost/{verb}", headers=admin).status_code == 404
    assert client.delete(f"{BASE}/ghost", headers=admin).status_code == 404
    assert client.post(f"{BASE}/ghost/trigger", headers=keys["run"]).status_code == 404


def test_without_temporal_nothing_changes_and_an_import_still_stands(
    client: TestClient, admin: dict[str, str], reader: dict[str, str], seeded: Database,
) -> None:
    refused = client.post(BASE, json={"name": "n", "job": "GenRSA-2048", "cron": "0 3 * * *"}, headers=admin)
    assert refused.status_code == 503 and "no Temporal" in refused.json()["detail"]
    assert client.get(f"{BASE}/n", headers=reader).status_code == 404  # nothing written

    document = {"oto": 1, "schedules": [{"name": "n", "job": "GenRSA-2048", "every": "1h"}]}
    imported = client.post("/api/v1/import", json=document, headers=admin)
    assert imported.status_code == 200
    body = imported.json()
    assert body["kinds"]["schedules"]["created"] == 1
    assert "no Temporal" in body["temporal"] and "`oto schedule sync` will finish it" in body["temporal"]
    assert client.get(f"{BASE}/n", headers=reader).json()["every"] == "1h"  # the import stands

    catalog = client.post("/api/v1/import", json={"oto": 1, "jobs": []}, headers=admin)
    assert catalog.status_code == 200 and catalog.json()["temporal"] is None  # no schedule: Temporal not asked


def test_a_cascade_taking_schedules_along_is_refused_without_temporal(
    client: TestClient, admin: dict[str, str], reader: dict[str, str], seeded: Database,
) -> None:
    with seeded.session() as db:  # straight into the database: the API would ask Temporal too
        schedules.add(db, {"name": "n", "routine": "keypair-and-pub", "every": "1h"})
    for url in ("/api/v1/jobs/GenRSA-2048", "/api/v1/routines/keypair-and-pub", "/api/v1/commands/GenRSA",
                "/api/v1/executables/openssl%20-%203.5.3", "/api/v1/executables/openssl%20-%203.5.3/parameters/-out"):
        assert client.delete(url, headers=admin).status_code == 409, url  # refused before Temporal is asked
        refused = client.delete(url, params={"cascade": "true"}, headers=admin)
        assert refused.status_code == 503 and "no Temporal" in refused.json()["detail"], url
    assert client.get(f"{BASE}/n", headers=reader).status_code == 200  # nothing deleted
    assert client.get("/api/v1/routines/keypair-and-pub", headers=reader).status_code == 200
    assert client.get("/api/v1/jobs/GenRSA-2048", headers=reader).status_code == 200


# -- on Temporal --------------------------------------------------------------------------------


async def on_temporal(api: Api, name: str) -> ScheduleDescription | None:
    try:
        return await api.engine.client.get_schedule_handle(schedule_id(name)).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def forget(api: Api, name: str) -> None:
    """Leave no schedule of this test on the session's Temporal."""
    await api.http.delete(f"{BASE}/{name}", headers=api.keys["admin"])
    with suppress(RPCError):
        await api.engine.client.get_schedule_handle(schedule_id(name)).delete()


async def test_create_change_pause_resume_delete_reach_temporal(api: Api) -> None:
    api.engine.sh("a", "echo a")
    api.engine.routine("pair", [("one", "a", [])])
    admin, read = api.keys["admin"], api.keys["read"]
    name = f"nightly-{api.engine.queue}"
    try:
        created = await api.http.post(BASE, json={"name": name, "job": "a", "cron": "0 3 * * *"}, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["cron"] == "0 3 * * *" and created.json()["paused"] is False
        described = await on_temporal(api, name)
        assert described is not None and described.schedule.spec.intervals == []
        assert [(c.hour[0].start, c.minute[0].start) for c in described.schedule.spec.calendars] == [(3, 0)]
        assert not described.schedule.state.paused
        assert (await api.http.get(f"{BASE}/{name}", headers=read)).json()["job"] == "a"
        assert (await api.http.get(f"{BASE}?job=a", headers=read)).json()["total"] == 1
        assert (await api.http.get(f"{BASE}?routine=pair", headers=read)).json()["total"] == 0
        again = await api.http.post(BASE, json={"name": name, "job": "a", "every": "1h"}, headers=admin)
        assert again.status_code == 409

        paused = (await api.http.post(f"{BASE}/{name}/pause", json={"note": "maintenance"}, headers=admin)).json()
        assert paused["paused"] is True and paused["note"] == "maintenance"
        described = await on_temporal(api, name)
        assert described is not None and described.schedule.state.paused
        assert described.schedule.state.note == "maintenance"
        resumed = await api.http.post(f"{BASE}/{name}/resume", headers=admin)
        assert resumed.json()["paused"] is False
        described = await on_temporal(api, name)
        assert described is not None and not described.schedule.state.paused

        moved = (await api.http.patch(f"{BASE}/{name}", json={"routine": "pair", "every": "2h"}, headers=admin)).json()
        assert moved["routine"] == "pair" and moved["job"] is None
        assert moved["every"] == "2h" and moved["cron"] is None
        described = await on_temporal(api, name)
        assert described is not None and described.schedule.spec.calendars == []
        assert [i.every.total_seconds() for i in described.schedule.spec.intervals] == [7200]

        assert (await api.http.delete(f"{BASE}/{name}", headers=admin)).status_code == 204
        assert (await api.http.get(f"{BASE}/{name}", headers=admin)).status_code == 404
        assert await on_temporal(api, name) is None
    finally:
        await forget(api, name)


async def test_trigger_fires_the_temporal_schedule(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.engine.sh("a", "echo a")
    name = f"often-{api.engine.queue}"
    created = await api.http.post(BASE, json={"name": name, "job": "a", "cron": "0 3 * * *"}, headers=api.keys["admin"])
    assert created.status_code == 201
    try:
        assert (await api.http.post(f"{BASE}/{name}/pause", headers=api.keys["admin"])).status_code == 200
        triggered = await api.http.post(f"{BASE}/{name}/trigger", headers=api.keys["run"])
        assert triggered.status_code == 202, triggered.text
        run = triggered.json()
        assert run["trigger"] == f"schedule:{name}" and run["job"] == "a"  # fired even though paused
        assert (await api.until_status(run["run_id"], "succeeded"))["stdout"] == "a\n"
        described = await on_temporal(api, name)
        assert described is not None and described.info.num_actions == 1  # Temporal counted the fire
        assert (await api.http.post(f"{BASE}/{name}/trigger", headers=api.keys["read"])).status_code == 403

        # No worker recorded the run in time: 202 all the same, saying the fire was sent.
        monkeypatch.setattr(run_routes, "TRIGGER_WAIT", 0.0)
        sent = await api.http.post(f"{BASE}/{name}/trigger", headers=api.keys["run"])
        assert sent.status_code == 202, sent.text
        body = sent.json()
        assert body["status"] == "sent" and body["run_id"] is None and body["schedule"] == name
        assert body["trigger"] == f"schedule:{name}"
        deadline = time.monotonic() + 20
        while True:  # ... and its run appears once the worker takes it
            listed = (await api.http.get("/api/v1/runs", params={"trigger": f"schedule:{name}"},
                                         headers=api.keys["read"])).json()
            if listed["total"] == 2:
                break
            assert time.monotonic() < deadline, "the second fire's run never appeared"
            await asyncio.sleep(0.1)
        await api.until_status(listed["items"][0]["run_id"], "succeeded")
    finally:
        await forget(api, name)


async def test_an_imported_schedule_is_synced_to_temporal(api: Api) -> None:
    api.engine.sh("a", "echo a")
    name = f"imported-{api.engine.queue}"
    document = {"oto": 1, "schedules": [{"name": name, "job": "a", "every": "1h"}]}
    try:
        imported = await api.http.post("/api/v1/import", json=document, headers=api.keys["admin"])
        assert imported.status_code == 200, imported.text
        assert imported.json()["kinds"]["schedules"]["created"] == 1 and imported.json()["temporal"] is None
        described = await on_temporal(api, name)
        assert described is not None and [i.every.total_seconds() for i in described.schedule.spec.intervals] == [3600]
        document["schedules"][0]["paused"] = True
        updated = await api.http.post("/api/v1/import", json=document, headers=api.keys["admin"])
        assert updated.json()["kinds"]["schedules"]["updated"] == 1 and updated.json()["temporal"] is None
        described = await on_temporal(api, name)
        assert described is not None and described.schedule.state.paused
    finally:
        await forget(api, name)


async def test_deleting_a_job_with_cascade_deletes_the_temporal_schedules_it_takes_along(api: Api) -> None:
    api.engine.sh("a", "echo a")
    api.engine.routine("pair", [("one", "a", [])])
    admin, read = api.keys["admin"], api.keys["read"]
    of_job, of_routine = f"of-job-{api.engine.queue}", f"of-routine-{api.engine.queue}"
    try:
        for body in ({"name": of_job, "job": "a", "cron": "0 3 * * *"},
                     {"name": of_routine, "routine": "pair", "every": "1h"}):
            assert (await api.http.post(BASE, json=body, headers=admin)).status_code == 201
        refused = await api.http.delete("/api/v1/jobs/a", headers=admin)
        assert refused.status_code == 409
        assert refused.json()["used_by"] == [{"kind": "routine", "name": "pair"}, {"kind": "schedule", "name": of_job}]
        for name in (of_job, of_routine):  # refused: nothing deleted, in either place
            assert await on_temporal(api, name) is not None
            assert (await api.http.get(f"{BASE}/{name}", headers=read)).status_code == 200

        deleted = await api.http.delete("/api/v1/jobs/a", params={"cascade": "true"}, headers=admin)
        assert deleted.status_code == 204, deleted.text
        for name in (of_job, of_routine):
            assert await on_temporal(api, name) is None
            assert (await api.http.get(f"{BASE}/{name}", headers=read)).status_code == 404
        assert (await api.http.get("/api/v1/jobs/a", headers=read)).status_code == 404
        assert (await api.http.get("/api/v1/routines/pair", headers=read)).status_code == 404
    finally:
        await forget(api, of_job)
        await forget(api, of_routine)


async def test_deleting_an_executable_with_cascade_deletes_the_temporal_schedules_of_its_jobs(api: Api) -> None:
    api.engine.sh("a", "echo a")
    api.engine.routine("pair", [("one", "a", [])])
    admin = api.keys["admin"]
    of_job, of_routine = f"of-job-{api.engine.queue}", f"of-routine-{api.engine.queue}"
    tag = f"sh-{api.engine.queue}%20-%201"
    try:
        for body in ({"name": of_job, "job": "a", "cron": "0 3 * * *"},
                     {"name": of_routine, "routine": "pair", "cron": "0 4 * * *"}):
            assert (await api.http.post(BASE, json=body, headers=admin)).status_code == 201
        routine = await api.http.delete("/api/v1/routines/pair", params={"cascade": "true"}, headers=admin)
        assert routine.status_code == 204, routine.text
        assert await on_temporal(api, of_routine) is None and await on_temporal(api, of_job) is not None
        deleted = await api.http.delete(f"/api/v1/executables/{tag}", params={"cascade": "true"}, headers=admin)
        assert deleted.status_code == 204, deleted.text
        assert await on_temporal(api, of_job) is None
        assert (await api.http.get(BASE, headers=admin)).json()["total"] == 0
    finally:
        await forget(api, of_job)
        await forget(api, of_routine)
