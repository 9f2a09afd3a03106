"""Input values through the API: ``POST /jobs/{name}/runs`` and ``/routines/{name}/runs`` with a body of
values, every refusal a 422 problem that writes nothing, and job, routine and schedule documents with inputs."""

from __future__ import annotations

import sys

from tests.api.conftest import Api
from tests.engine.test_inputs import PRINT_ARGV, SECRET


def _scan(api: Api) -> None:
    tag = "py - 1"
    api.engine.load({
        "executables": [{"name": "py", "version": "1", "path": sys.executable, "task_queue": api.engine.queue}],
        "parameters": [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "-n", "executable_tag": tag, "value_type": "int"},
            {"flag": "-k", "executable_tag": tag, "value_type": "string", "secret": True},
            {"flag": "HOST", "executable_tag": tag, "value_type": "ip", "style": "positional"},
        ],
        "commands": [{"name": "Py", "executable_tag": tag, "parameters": ["-c", "-n", "-k", "HOST"]}],
    })


async def test_a_job_and_a_routine_run_with_the_values_given(api: Api) -> None:
    _scan(api)
    admin = api.keys["admin"]
    made = await api.http.post("/api/v1/jobs", headers=admin, json={
        "name": "Scan", "command": "Py", "values": {"-c": PRINT_ARGV, "-n": "1"}, "inputs": {"HOST": None, "-k": "d"}})
    assert made.status_code == 201, made.text
    assert made.json()["inputs"] == {"HOST": None, "-k": "***"}
    started = await api.http.post("/api/v1/jobs/Scan/runs?wait=true", headers=api.keys["run"],
                                  json={"values": {"HOST": "10.0.0.5", "-k": SECRET}})
    assert started.status_code == 200, started.text
    run = started.json()
    assert run["argv"][-1] == "10.0.0.5" and run["inputs"] == {"HOST": "10.0.0.5", "-k": "***"}
    assert SECRET not in started.text
    shown = await api.http.get(f"/api/v1/runs/{run['run_id']}", headers=api.keys["read"])
    assert shown.json()["inputs"] == run["inputs"] and SECRET not in shown.text

    routine = await api.http.post("/api/v1/routines", headers=admin, json={
        "name": "Sweep", "inputs": {"host": None}, "steps": [{"id": "a", "job": "Scan", "with": {"HOST": "{host}"}}]})
    assert routine.status_code == 201, routine.text
    assert routine.json()["steps"][0]["with"] == {"HOST": "{host}"}
    started = await api.http.post("/api/v1/routines/Sweep/runs?wait=true", headers=api.keys["run"],
                                  json={"values": {"host": "192.0.2.7"}})
    assert started.status_code == 200, started.text
    assert started.json()["steps"][0]["argv"][-1] == "192.0.2.7"


async def test_refused_values_answer_422_and_write_nothing(api: Api) -> None:
    _scan(api)
    api.engine.load({"jobs": [{"name": "Scan", "command": "Py", "values": {"-c": PRINT_ARGV, "-n": "1", "-k": "x"},
                               "inputs": {"HOST": None}}]})
    run_key = api.keys["run"]
    cases = [
        ({"values": {"HOST2": "1.2.3.4"}}, "HOST2 is not an input of job Scan (its inputs: HOST)"),
        ({"values": {}}, "HOST is an input of job Scan with no default: give it a value"),
        (None, "HOST is an input of job Scan with no default: give it a value"),
        ({"values": {"HOST": "<script>alert(1)</script>"}}, "HOST (ip)"),
        ({"values": {"HOST": "1" * 200_000}}, None),
        ({"values": {"HOST": 5}}, None),
        ({"values": {"HOST": "1.2.3.4"}, "extra": 1}, None),
    ]
    for body, message in cases:
        answer = await api.http.post("/api/v1/jobs/Scan/runs", headers=run_key, json=body)
        assert answer.status_code in (413, 422), (body and str(body)[:80], answer.text[:300])
        assert answer.headers["content-type"] == "application/problem+json"
        if message is not None:
            assert message in answer.json()["detail"], answer.text
    lone = await api.http.post("/api/v1/jobs/Scan/runs", headers=run_key | {"content-type": "application/json"},
                               content=b'{"values": {"HOST": "\\udcff"}}')
    assert lone.status_code == 422 and "not UTF-8 text" in lone.json()["detail"], lone.text
    bad_bytes = await api.http.post("/api/v1/jobs/Scan/runs", headers=run_key | {"content-type": "application/json"},
                                    content=b'{"values": {"HOST": "\xff\xfe"}}')
    assert bad_bytes.status_code == 422
    listed = await api.http.get("/api/v1/runs", headers=api.keys["read"])
    assert listed.json()["items"] == []
