"""Runs through the API on a real Temporal dev server and worker, over a real uvicorn socket.

Starting jobs, routines and ad-hoc combinations, waiting, cancelling, listing, and reading a
run's output live as server-sent events while it runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from oto.services import jobs
from tests.api.conftest import Api


async def events(api: Api, run_id: str) -> AsyncIterator[tuple[float, str, dict[str, Any]]]:
    """(arrival time, event, data) of a run's log stream, parsed as they arrive."""
    url = f"/api/v1/runs/{run_id}/logs"
    async with api.http.stream("GET", url, headers=api.keys["read"]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        kind, data = "", ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and kind:
                yield time.monotonic(), kind, json.loads(data)
                kind, data = "", ""


async def test_a_job_started_through_the_api_streams_its_output_live_to_the_end(api: Api) -> None:
    api.engine.sh("talk", "echo first; sleep 1.5; echo oops >&2; echo second")
    started = await api.start_job("talk")
    assert started.status_code == 202
    run = started.json()
    assert run["status"] == "queued" and run["trigger"] == "api:test-run" and run["job"] == "talk"

    seen = [e async for e in events(api, run["run_id"])]
    kinds = [kind for _, kind, _ in seen]
    assert kinds[-1] == "end" and seen[-1][2] == {"run_id": run["run_id"], "status": "succeeded"}
    stdout = "".join(d["text"] for _, k, d in seen if k == "stdout")
    stderr = "".join(d["text"] for _, k, d in seen if k == "stderr")
    assert stdout == "first\nsecond\n" and stderr == "oops\n"
    statuses = [d["status"] for _, k, d in seen if k == "status"]
    assert statuses[-1] == "succeeded" and "running" in statuses
    # Live: "first" arrived while the job was still running, well before it ended.
    first_at = next(t for t, k, d in seen if k == "stdout" and "first" in d["text"])
    assert seen[-1][0] - first_at > 1.0
    assert kinds.index("stdout") < kinds.index("end")

    finished = await api.run(run["run_id"])
    assert finished["stdout"] == "first\nsecond\n" and finished["exit_code"] == 0


async def test_wait_answers_with_the_end_and_logs_replay_a_finished_run(api: Api) -> None:
    api.engine.sh("quick", "echo done; exit 4")
    response = await api.start_job("quick", wait="true")
    assert response.status_code == 200
    run = response.json()
    assert (run["status"], run["exit_code"], run["stdout"]) == ("failed", 4, "done\n")
    replay = [(k, d) for _, k, d in [e async for e in events(api, run["run_id"])]]
    assert ("stdout", {"run_id": run["run_id"], "step": None, "text": "done\n"}) in replay
    assert replay[-1] == ("end", {"run_id": run["run_id"], "status": "failed"})

    # Where the stream files cannot be seen (the worker on another machine), the record is replayed.
    for stream in ("stdout", "stderr"):
        (api.engine.home / "streams" / f"{run['run_id']}.{stream}").unlink()
    replay = [(k, d) for _, k, d in [e async for e in events(api, run["run_id"])]]
    assert ("stdout", {"run_id": run["run_id"], "step": None, "text": "done\n"}) in replay


async def test_cancel_through_the_api(api: Api) -> None:
    api.engine.sleep("long", "30")
    run_id = (await api.start_job("long")).json()["run_id"]
    await api.until_status(run_id, "running")
    cancelled = await api.http.post(f"/api/v1/runs/{run_id}/cancel", headers=api.keys["run"])
    assert cancelled.status_code == 202
    assert (await api.until_status(run_id, "cancelled", "failed"))["status"] == "cancelled"
    again = await api.http.post(f"/api/v1/runs/{run_id}/cancel", headers=api.keys["run"])
    assert again.status_code == 422 and "already ended" in again.json()["detail"]
    read_only = await api.http.post(f"/api/v1/runs/{run_id}/cancel", headers=api.keys["read"])
    assert read_only.status_code == 403


async def test_a_routine_run_with_its_steps_and_their_streams(api: Api) -> None:
    api.engine.sh("a", "echo a")
    api.engine.sh("b", "echo b")
    api.engine.routine("ab", [("one", "a", []), ("two", "b", ["one"])])
    response = await api.http.post("/api/v1/routines/ab/runs?wait=true", headers=api.keys["run"])
    assert response.status_code == 200
    routine = response.json()
    assert routine["status"] == "succeeded"
    assert [(s["step"], s["stdout"]) for s in routine["steps"]] == [("one", "a\n"), ("two", "b\n")]
    streamed = [(k, d.get("step"), d.get("text")) for _, k, d in [e async for e in events(api, routine["run_id"])]]
    assert ("stdout", "one", "a\n") in streamed and ("stdout", "two", "b\n") in streamed
    step_statuses = {d["step"]: d["status"] for _, k, d in [e async for e in events(api, routine["run_id"])]
                     if k == "status" and d["step"]}
    assert step_statuses == {"one": "succeeded", "two": "succeeded"}
    read = api.keys["read"]
    assert (await api.http.get("/api/v1/runs?routine=ab", headers=read)).json()["items"][0]["run_id"] == \
        routine["run_id"]
    assert (await api.http.get("/api/v1/runs?kind=step&status=succeeded", headers=read)).json()["total"] == 2


async def test_list_filters_and_schedule_trigger(api: Api) -> None:
    api.engine.sh("a", "echo a")
    first = (await api.start_job("a", wait="true")).json()
    name = f"nightly-{api.engine.queue}"  # the dev server, and so its schedule ids, serve the whole session
    schedule = {"name": name, "job": "a", "cron": "0 3 * * *"}
    assert (await api.http.post("/api/v1/schedules", json=schedule, headers=api.keys["admin"])).status_code == 201
    try:
        triggered = await api.http.post(f"/api/v1/schedules/{name}/trigger", headers=api.keys["run"])
        assert triggered.status_code == 202 and triggered.json()["trigger"] == f"schedule:{name}"
        await api.until_status(triggered.json()["run_id"], "succeeded")
    finally:
        assert (await api.http.delete(f"/api/v1/schedules/{name}", headers=api.keys["admin"])).status_code == 204

    read = api.keys["read"]
    listed = (await api.http.get("/api/v1/runs", headers=read)).json()
    assert listed["total"] == 2 and "stdout" not in listed["items"][0]
    assert [r["run_id"] for r in listed["items"]] == [triggered.json()["run_id"], first["run_id"]]  # newest first
    assert (await api.http.get("/api/v1/runs?job=a&kind=job", headers=read)).json()["total"] == 2
    assert (await api.http.get("/api/v1/runs?trigger=api:test-run", headers=read)).json()["total"] == 1
    assert (await api.http.get("/api/v1/runs?status=succeeded&limit=1", headers=read)).json()["total"] == 2
    assert (await api.http.get("/api/v1/runs?status=exploded", headers=read)).status_code == 422
    assert (await api.http.get("/api/v1/runs?kind=thing", headers=read)).status_code == 422
    assert (await api.http.get("/api/v1/runs/run-nope", headers=read)).status_code == 404
    assert (await api.http.get("/api/v1/runs/run-nope/logs", headers=read)).status_code == 404


async def test_ad_hoc_runs_pass_the_same_checks_and_save_nothing(api: Api) -> None:
    api.engine.sh("seed", "true")
    tag = f"sh-{api.engine.queue} - 1"
    with api.engine.database.session() as db:
        catalog = len(jobs.list_all(db))
    admin = api.keys["admin"]
    body = {"executable_tag": tag, "parameters": ["-c"], "values": {"-c": "echo ad hoc"}}
    response = await api.http.post("/api/v1/run?wait=true", json=body, headers=admin)
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["status"], run["stdout"], run["job"]) == ("succeeded", "ad hoc\n", None)
    assert run["argv"] == ["/bin/sh", "-c", "echo ad hoc"]

    refused = await api.http.post("/api/v1/run", json=body | {"parameters": ["-c", "-x"]}, headers=admin)
    assert refused.status_code == 422 and refused.json()["violations"][0]["kind"] == "unknown_flag"
    missing = await api.http.post("/api/v1/run", json=body | {"values": {}}, headers=admin)
    assert missing.status_code == 422 and "-c" in missing.json()["detail"]
    unknown = await api.http.post("/api/v1/run", json=body | {"executable_tag": "nope - 1"}, headers=admin)
    assert unknown.status_code == 404
    assert (await api.http.post("/api/v1/run", json=body, headers=api.keys["run"])).status_code == 403
    with api.engine.database.session() as db:
        assert len(jobs.list_all(db)) == catalog  # nothing saved


async def test_bad_run_requests(api: Api) -> None:
    assert (await api.start_job("ghost")).status_code == 404
    assert (await api.start_job("ghost", timeout=-1)).status_code == 422
    api.engine.sh("ok", "true")
    assert (await api.start_job("ok", timeout=0)).status_code == 422
    assert (await api.http.post("/api/v1/routines/ghost/runs", headers=api.keys["run"])).status_code == 404
    assert (await api.http.post("/api/v1/schedules/ghost/trigger", headers=api.keys["run"])).status_code == 404


async def test_a_routine_run_with_a_timeout(api: Api) -> None:
    api.engine.sleep("long", "30")
    api.engine.routine("slow", [("one", "long", []), ("two", "long", ["one"])])
    url, run_key = "/api/v1/routines/slow/runs", api.keys["run"]
    for bad in ("0", "-1", "1e12", "nan", "soon"):
        refused = await api.http.post(url, params={"timeout": bad}, headers=run_key)
        assert refused.status_code == 422, (bad, refused.text)
    assert (await api.http.get("/api/v1/runs?routine=slow", headers=api.keys["read"])).json()["total"] == 0

    queued = await api.http.post(url, params={"timeout": "1.5"}, headers=run_key)
    assert queued.status_code == 202 and queued.json()["timeout"] == 1.5
    response = await api.http.post(url, params={"timeout": "1.5", "wait": "true"}, headers=run_key)
    assert response.status_code == 200
    run = response.json()
    assert (run["status"], run["timeout"]) == ("timed_out", 1.5)
    assert run["error"] == "the routine ran past its timeout of 1.5s"
    assert [s["status"] for s in run["steps"]] == ["cancelled", "cancelled"]
    assert (await api.until_status(queued.json()["run_id"], "timed_out"))["status"] == "timed_out"
