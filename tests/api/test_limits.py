"""``max_concurrent`` through /api/v1: created, changed, removed; refused with a problem when it makes no sense."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from oto.services import runs
from oto.services.database import Database
from tests.api.conftest import TAG_URL

EXES = "/api/v1/executables"
JOBS = "/api/v1/jobs"


def test_a_limit_is_created_changed_and_removed(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    created = client.post(EXES, json={"name": "sleeper", "version": "1", "path": "/bin/sleep", "max_concurrent": 2},
                          headers=admin)
    assert created.status_code == 201 and created.json()["max_concurrent"] == 2
    changed = client.patch(f"{EXES}/{TAG_URL}", json={"max_concurrent": 1}, headers=admin)
    assert changed.status_code == 200 and changed.json()["max_concurrent"] == 1
    kept = client.patch(f"{EXES}/{TAG_URL}", json={"description": "x"}, headers=admin)
    assert kept.json()["max_concurrent"] == 1
    removed = client.patch(f"{EXES}/{TAG_URL}", json={"max_concurrent": None}, headers=admin)
    assert removed.json()["max_concurrent"] is None
    job = client.patch(f"{JOBS}/GenRSA-2048", json={"max_concurrent": 4}, headers=admin)
    assert job.status_code == 200 and job.json()["max_concurrent"] == 4
    assert client.get(f"{JOBS}/GenRSA-2048", headers=admin).json()["max_concurrent"] == 4
    assert client.patch(f"{JOBS}/GenRSA-2048", json={"max_concurrent": None}, headers=admin).json()[
        "max_concurrent"] is None


@pytest.mark.parametrize("value", [0, -1, 1001, 10**30, True, 1.5, "2", "<script>", [1], {"a": 1}, "x" * 100_000])
def test_a_bad_limit_is_a_422_problem_and_nothing_changes(client: TestClient, admin: dict[str, str],
                                                         seeded: Database, value: Any) -> None:
    before = _export(client, admin)
    for method, url in (("patch", f"{EXES}/{TAG_URL}"), ("patch", f"{JOBS}/GenRSA-2048")):
        response = client.request(method.upper(), url, json={"max_concurrent": value}, headers=admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert len(response.text) < 2000
    created = client.post(EXES, json={"name": "x", "version": "1", "path": "/bin/true", "max_concurrent": value},
                          headers=admin)
    assert created.status_code == 422 and "max_concurrent" in created.text
    assert _export(client, admin) == before


def _export(client: TestClient, admin: dict[str, str]) -> str:
    response = client.get("/api/v1/export", headers=admin)
    assert response.status_code == 200
    return response.text


def test_a_queued_run_says_why_it_waits(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    with seeded.session() as db:
        run_id = runs.create_job_run(db, "GenRSA-2048").id
        runs.note_waiting(db, {run_id: "waiting for a slot of openssl - 3.5.3: 1 of 1 taken by run-x"})
    shown = client.get(f"/api/v1/runs/{run_id}", headers=admin).json()
    assert shown["waiting"] == "waiting for a slot of openssl - 3.5.3: 1 of 1 taken by run-x"
    listed = client.get("/api/v1/runs", headers=admin).json()["items"]
    assert [r["waiting"] for r in listed if r["run_id"] == run_id] == [shown["waiting"]]
