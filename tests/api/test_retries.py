"""Attempts and reruns through the API, on a real Temporal dev server and worker."""

from __future__ import annotations

from tests.api.conftest import Api

FLAKY = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ "$n" -ge 2 ]'


async def test_a_retried_job_shows_its_attempts_and_a_rerun_names_its_run(api: Api) -> None:
    api.engine.sh("api-flaky", FLAKY)
    changed = await api.http.patch("/api/v1/jobs/api-flaky", json={"retry": {"attempts": 2, "delay": "1s"}},
                                   headers=api.keys["admin"])
    assert changed.status_code == 200, changed.text
    assert changed.json()["retry"]["attempts"] == 2
    done = await api.http.post("/api/v1/jobs/api-flaky/runs?wait=true", headers=api.keys["run"])
    assert done.status_code == 200
    run = done.json()
    assert [(a["attempt"], a["status"]) for a in run["attempts"]] == [(1, "failed"), (2, "succeeded")]
    assert run["status"] == "succeeded" and run["starts"] == 2

    rerun = await api.http.post(f"/api/v1/runs/{run['run_id']}/rerun?wait=true", headers=api.keys["run"])
    assert rerun.status_code == 200, rerun.text
    assert rerun.json()["rerun_of"] == run["run_id"] and rerun.json()["trigger"] == "api:test-run"
    read_only = await api.http.post(f"/api/v1/runs/{run['run_id']}/rerun", headers=api.keys["read"])
    assert read_only.status_code == 403
    refused = await api.http.post(f"/api/v1/runs/{run['run_id']}/rerun?failed_only=true", headers=api.keys["run"])
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert "routine run" in refused.json()["detail"]
    unknown = await api.http.post("/api/v1/runs/run-ghost0000/rerun", headers=api.keys["run"])
    assert unknown.status_code == 404
    odd = await api.http.post(f"/api/v1/runs/{run['run_id']}/rerun?failed_only=maybe", headers=api.keys["run"])
    assert odd.status_code == 422
    extra = await api.http.post(f"/api/v1/runs/{run['run_id']}/rerun?bogus=1", headers=api.keys["run"])
    assert extra.status_code == 422


async def test_a_bad_retry_policy_is_a_422_and_changes_nothing(api: Api) -> None:
    api.engine.sh("steady", "true")
    admin = api.keys["admin"]
    for bad in ({"attempts": -1}, {"attempts": 2, "delay": "\u202e5s"}, {"attempts": 2, "on": ["skipped"]},
                {"attempts": 2, "backoff": 1e308}, {"attempts": "2"}):
        answer = await api.http.patch("/api/v1/jobs/steady", json={"retry": bad}, headers=admin)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    job = await api.http.get("/api/v1/jobs/steady", headers=admin)
    assert job.json()["retry"] is None
