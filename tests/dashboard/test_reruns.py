"""A run page's attempts, and its Rerun buttons, on a real Temporal dev server and worker."""

from __future__ import annotations

from pathlib import Path

from oto.engine.devserver import DevServer
from tests.dashboard.test_runs import logged_in, run_id_of
from tests.support.engine import Engine

FLAKY = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "try $n"; [ "$n" -ge 2 ]'


async def test_a_run_page_shows_attempts_and_reruns_a_job(engine: Engine, temporal: DevServer) -> None:
    engine.sh("dash-flaky", FLAKY)
    engine.load({"jobs": [{"name": "dash-flaky", "command": f"sh-{engine.queue}", "values": {"-c": FLAKY},
                           "retry": {"attempts": 2}}]})
    first = await engine.run_job("dash-flaky")
    async with logged_in(engine, temporal) as (client, csrf):
        page = (await client.get(f"/runs/{first['run_id']}")).text
        assert 'id="attempts"' in page and "Output of attempt 1" in page and "try 1" in page
        assert 'action="/runs/' in page and ">Rerun</button>" in page
        assert "Rerun failed steps" not in page  # a job run has no steps
        new_id = run_id_of(await client.post(f"/runs/{first['run_id']}/rerun", data={"csrf": csrf}))
        rerun = await engine.wait(new_id)
        assert rerun["rerun_of"] == first["run_id"] and rerun["trigger"] == "dashboard:runner"
        page = (await client.get(f"/runs/{new_id}")).text
        assert "Rerun of" in page and first["run_id"] in page
        stale = await client.post(f"/runs/{first['run_id']}/rerun", data={"csrf": "wrong"})
        assert stale.status_code == 403


async def test_rerun_failed_steps_from_a_routine_run_page(engine: Engine, temporal: DevServer) -> None:
    engine.sh("d-one", "echo one > one.txt")
    engine.sh("d-two", "cat one.txt && test -f fixed")
    engine.routine("dash-pair", [("one", "d-one", []), ("two", "d-two", ["one"])])
    first = await engine.run_routine("dash-pair")
    assert first["status"] == "failed"
    (Path(first["workdir"]) / "fixed").write_text("")
    async with logged_in(engine, temporal) as (client, csrf):
        page = (await client.get(f"/runs/{first['run_id']}")).text
        assert "Rerun failed steps" in page
        new_id = run_id_of(await client.post(f"/runs/{first['run_id']}/rerun",
                                             data={"csrf": csrf, "failed_only": "yes"}))
        rerun = await engine.wait(new_id)
        assert rerun["status"] == "succeeded"
        assert [s["carried_over"] for s in rerun["steps"]] == [True, False]
        page = (await client.get(f"/runs/{new_id}")).text
        assert "carried over" in page
    async with logged_in(engine, temporal, scope="read", name="reader") as (client, csrf):
        page = (await client.get(f"/runs/{first['run_id']}")).text
        assert ">Rerun</button>" not in page
        assert (await client.post(f"/runs/{first['run_id']}/rerun", data={"csrf": csrf})).status_code == 403


async def test_job_and_routine_pages_show_retry_policies_and_the_routine_form_keeps_them(
        engine: Engine, temporal: DevServer) -> None:
    engine.sh("pol", "true")
    engine.load({"jobs": [{"name": "pol", "command": f"sh-{engine.queue}", "values": {"-c": "true"},
                           "retry": {"attempts": 3, "delay": "10s", "backoff": 2.0, "max_delay": "5m"}}],
                 "routines": [{"name": "pol-r", "steps": [{"id": "a", "job": "pol", "retry": {"attempts": 2}},
                                                          {"id": "b", "job": "pol", "after": ["a"]}]}]})
    async with logged_in(engine, temporal, scope="admin", name="admin") as (client, csrf):
        page = (await client.get("/jobs/pol")).text
        assert "up to 3 attempts, waiting 10s ×2 (at most 5m) after failed or timed_out" in page
        page = (await client.get("/routines/pol-r")).text
        assert "<td>2 attempts, 0s</td>" in page and "<td>its job's</td>" in page
        saved = await client.post("/routines/pol-r/edit", data={
            "csrf": csrf, "description": "changed", "steps": "2", "step-0-id": "a", "step-0-job": "pol",
            "step-0-after": "", "step-1-id": "b", "step-1-job": "pol", "step-1-after": "a"})
        assert saved.status_code == 303, saved.text
    assert engine.app.routines.get("pol-r").steps[0].retry is not None
