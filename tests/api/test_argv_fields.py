"""The catalog fields that keep values in their place, through the API: end_of_options on an executable,
allow_leading_dash and confine on a parameter, and the 422 a smuggled option or an escaping path gets."""

from __future__ import annotations

from fastapi.testclient import TestClient

EXE = "/api/v1/executables/sort%20-%209"


def test_the_fields_go_through_the_api(client: TestClient, admin: dict[str, str]) -> None:
    made = client.post("/api/v1/executables", json={"name": "sort", "version": "9", "path": "/usr/bin/sort"},
                       headers=admin)
    assert made.status_code == 201 and made.json()["end_of_options"] is False
    for body in ({"flag": "<file>", "value_type": "path", "style": "positional"},
                 {"flag": "-o", "value_type": "path", "confine": True},
                 {"flag": "<key>", "value_type": "string", "style": "positional", "allow_leading_dash": True}):
        answer = client.post(f"{EXE}/parameters", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
    assert client.get(f"{EXE}/parameters/-o", headers=admin).json()["confine"] is True
    command = {"name": "s", "executable_tag": "sort - 9", "parameters": ["-o", "<key>", "<file>"]}
    assert client.post("/api/v1/commands", json=command, headers=admin).status_code == 201

    def job(values: dict[str, str]) -> tuple[int, str]:
        answer = client.post("/api/v1/jobs", json={"name": "j", "command": "s", "values": values}, headers=admin)
        client.delete("/api/v1/jobs/j", headers=admin)
        return answer.status_code, answer.json().get("detail", "")

    status, detail = job({"-o": "../escaped.txt", "<key>": "k", "<file>": "in"})
    assert status == 422 and "must be a path inside the run folder" in detail
    status, detail = job({"-o": "out", "<key>": "k", "<file>": "-o/tmp/victim"})
    assert status == 422 and "starts with '-'" in detail and "end_of_options" in detail
    assert job({"-o": "out", "<key>": "-k", "<file>": "in"})[0] == 201
    changed = client.patch(EXE, json={"end_of_options": True}, headers=admin)
    assert changed.status_code == 200 and changed.json()["end_of_options"] is True
    assert job({"-o": "out", "<key>": "k", "<file>": "-o/tmp/victim"})[0] == 201
    argv = client.post("/api/v1/jobs", json={"name": "k", "command": "s", "values": {
        "-o": "out", "<key>": "k", "<file>": "-x"}}, headers=admin)
    assert argv.status_code == 201
    assert client.get("/api/v1/jobs/k/argv", headers=admin).json()[-3:] == ["--", "k", "-x"]
