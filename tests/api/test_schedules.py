"""/api/v1/schedules: cron or interval, a job or a routine, pause and resume."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oto.services.database import Database

BASE = "/api/v1/schedules"


def test_crud_pause_resume(client: TestClient, admin: dict[str, str], reader: dict[str, str], seeded: Database) -> None:
    created = client.post(BASE, json={"name": "nightly", "job": "GenRSA-2048", "cron": "0 3 * * *"}, headers=admin)
    assert created.status_code == 201
    assert created.json()["cron"] == "0 3 * * *" and created.json()["paused"] is False
    assert client.get(f"{BASE}/nightly", headers=reader).json()["job"] == "GenRSA-2048"
    assert client.get(f"{BASE}?job=GenRSA-2048", headers=reader).json()["total"] == 1
    assert client.get(f"{BASE}?routine=keypair-and-pub", headers=reader).json()["total"] == 0

    paused = client.post(f"{BASE}/nightly/pause", json={"note": "maintenance"}, headers=admin).json()
    assert paused["paused"] is True and paused["note"] == "maintenance"
    assert client.post(f"{BASE}/nightly/resume", headers=admin).json()["paused"] is False

    moved = client.patch(f"{BASE}/nightly", json={"routine": "keypair-and-pub", "every": "2h"}, headers=admin).json()
    assert moved["routine"] == "keypair-and-pub" and moved["job"] is None
    assert moved["every"] == "2h" and moved["cron"] is None
    assert client.delete(f"{BASE}/nightly", headers=admin).status_code == 204
    assert client.get(f"{BASE}/nightly", headers=admin).status_code == 404


def test_errors(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    good = {"name": "s", "job": "GenRSA-2048", "cron": "0 3 * * *"}
    assert client.post(BASE, json=good, headers=admin).status_code == 201
    assert client.post(BASE, json=good, headers=admin).status_code == 409
    bad_cron = client.post(BASE, json=good | {"name": "t", "cron": "every day"}, headers=admin)
    assert bad_cron.status_code == 422 and "cron" in bad_cron.json()["detail"]
    both = client.post(BASE, json=good | {"name": "u", "every": "1h"}, headers=admin)
    assert both.status_code == 422
    assert client.post(BASE, json=good | {"name": "v", "timezone": "Mars/Base"}, headers=admin).status_code == 422
    assert client.post(BASE, json=good | {"name": "w", "job": "ghost"}, headers=admin).status_code == 404
    assert client.post(f"{BASE}/ghost/pause", headers=admin).status_code == 404
    assert client.patch(f"{BASE}/s", json={"overlap": "sometimes"}, headers=admin).status_code == 422
