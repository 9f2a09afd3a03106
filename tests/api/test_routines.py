"""/api/v1/routines: DAGs of jobs, refused when a step is unknown or the steps cycle."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oto.services import schedules
from oto.services.database import Database

BASE = "/api/v1/routines"
STEPS = [{"id": "key", "job": "GenRSA-2048"}, {"id": "pub", "job": "ExtractPub-key", "after": ["key"]}]


def test_crud(client: TestClient, admin: dict[str, str], reader: dict[str, str], seeded: Database) -> None:
    created = client.post(BASE, json={"name": "pair", "steps": STEPS}, headers=admin)
    assert created.status_code == 201
    assert created.json()["steps"][1] == {"id": "pub", "job": "ExtractPub-key", "after": ["key"], "retry": None,
                                          "with": {}}
    assert client.get(f"{BASE}/pair", headers=reader).json()["name"] == "pair"
    assert client.get(f"{BASE}?job=ExtractPub-key", headers=reader).json()["total"] == 2
    assert client.get(f"{BASE}?job=CheckKey-key", headers=reader).json()["total"] == 1
    changed = client.patch(f"{BASE}/pair", json={"steps": STEPS[:1]}, headers=admin)
    assert changed.status_code == 200 and len(changed.json()["steps"]) == 1
    assert client.delete(f"{BASE}/pair", headers=admin).status_code == 204
    assert client.get(f"{BASE}/pair", headers=admin).status_code == 404


def test_errors(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    assert client.post(BASE, json={"name": "keypair-and-pub", "steps": STEPS}, headers=admin).status_code == 409
    cycle = [{"id": "a", "job": "GenRSA-2048", "after": ["b"]}, {"id": "b", "job": "GenRSA-2048", "after": ["a"]}]
    refused = client.post(BASE, json={"name": "loop", "steps": cycle}, headers=admin)
    assert refused.status_code == 422 and "cycle" in refused.json()["detail"]
    unknown = client.post(BASE, json={"name": "u", "steps": [{"id": "a", "job": "ghost"}]}, headers=admin)
    assert unknown.status_code == 422 and "ghost" in unknown.json()["detail"]
    assert client.post(BASE, json={"name": "e", "steps": []}, headers=admin).status_code == 422
    assert client.patch(f"{BASE}/ghost", json={"description": "x"}, headers=admin).status_code == 404
    with seeded.session() as db:  # straight into the database: the API would ask Temporal too
        schedules.add(db, {"name": "n", "routine": "keypair-and-pub", "every": "1h"})
    in_use = client.delete(f"{BASE}/keypair-and-pub", headers=admin)
    assert in_use.status_code == 409 and in_use.json()["used_by"] == [{"kind": "schedule", "name": "n"}]
    # the cascade would delete schedule n's Temporal schedule too: no Temporal here, so nothing is deleted
    assert client.delete(f"{BASE}/keypair-and-pub?cascade=true", headers=admin).status_code == 503
    assert client.get(f"{BASE}/keypair-and-pub", headers=admin).status_code == 200
    with seeded.session() as db:
        schedules.delete(db, "n")
    assert client.delete(f"{BASE}/keypair-and-pub?cascade=true", headers=admin).status_code == 204
