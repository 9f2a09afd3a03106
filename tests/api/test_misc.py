"""/health (open to all, details only with a key), /metrics (a read key), /api/v1/valuetypes,
/api/v1/apikeys and the problem shape of stray requests."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oto.api.app import create_app
from oto.services.database import Database
from oto.services.health import Status
from oto.settings import get_settings
from tests.api.conftest import no_temporal


async def temporal_down() -> Status:
    return Status(False, "Temporal does not answer at 127.0.0.1:1")


def test_health_needs_no_key_and_says_what_is_down(
    client: TestClient, sqlite_database: Database, reader: dict[str, str]
) -> None:
    up = client.get("/health")
    assert up.status_code == 200 and up.json()["status"] == "ok" and up.json()["database"]["ok"] is True
    with TestClient(create_app(sqlite_database, temporal=no_temporal, temporal_probe=temporal_down)) as other:
        down = other.get("/health")
    assert down.status_code == 503
    assert down.json()["status"] == "down: temporal" and down.json()["database"]["ok"] is True
    empty = Database("sqlite:///" + str(sqlite_database.engine.url.database) + ".empty")
    with TestClient(create_app(empty, temporal=no_temporal, temporal_probe=temporal_down)) as other:
        both = other.get("/health").json()
        detailed = other.get("/health", headers=reader).json()
    empty.dispose()
    assert both["status"] == "down: database, temporal" and "detail" not in both["database"]
    assert detailed["status"] == "down: database, temporal"  # an empty database knows no key


def test_health_shows_where_things_are_only_to_a_key(client: TestClient, reader: dict[str, str]) -> None:
    anonymous = client.get("/health").json()
    assert anonymous == {"status": "ok", "database": {"ok": True}, "temporal": {"ok": True}}
    assert "sqlite" not in client.get("/health").text
    assert client.get("/health", headers={"Authorization": "Bearer oto_nope_x"}).json() == anonymous
    known = client.get("/health", headers=reader).json()
    assert known["database"]["detail"].startswith("sqlite:///") and known["temporal"]["detail"] == "test"


def test_metrics_need_a_read_key_unless_public(
    client: TestClient, reader: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=reader).status_code == 200
    monkeypatch.setenv("OTO_METRICS_PUBLIC", "true")
    get_settings.cache_clear()
    try:
        assert client.get("/metrics").status_code == 200
    finally:
        monkeypatch.delenv("OTO_METRICS_PUBLIC")
        get_settings.cache_clear()


def test_value_types(client: TestClient, reader: dict[str, str]) -> None:
    types = client.get("/api/v1/valuetypes", headers=reader).json()
    assert [t["name"] for t in types][:3] == ["string", "int", "float"]
    assert {"name": "port", "description": "a TCP/UDP port, 1 to 65535", "example": "443"} in types


def test_api_keys_for_admins(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/apikeys", json={"name": "ci", "scope": "run"}, headers=admin)
    assert created.status_code == 201 and created.json()["key"].startswith("oto_")
    ci = {"Authorization": f"Bearer {created.json()['key']}"}
    assert client.get("/api/v1/jobs", headers=ci).status_code == 200
    listed = client.get("/api/v1/apikeys", headers=admin).json()
    assert {k["name"] for k in listed} == {"ci", "test-read", "test-run", "test-admin"}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert client.post("/api/v1/apikeys", json={"name": "ci"}, headers=admin).status_code == 409
    assert client.post("/api/v1/apikeys", json={"name": "x", "scope": "root"}, headers=admin).status_code == 422
    revoked = client.post("/api/v1/apikeys/ci/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/api/v1/jobs", headers=ci).status_code == 401
    assert client.post("/api/v1/apikeys/ghost/revoke", headers=admin).status_code == 404


def test_stray_requests_get_problems(client: TestClient, admin: dict[str, str]) -> None:
    nowhere = client.get("/api/v1/nowhere", headers=admin)
    assert nowhere.status_code == 404 and nowhere.headers["content-type"] == "application/problem+json"
    assert nowhere.json()["type"] == "about:blank"
    wrong_method = client.put("/api/v1/jobs", headers=admin)
    assert wrong_method.status_code == 405 and wrong_method.json()["title"] == "Method Not Allowed"


def test_values_the_database_cannot_hold_are_422(client: TestClient, admin: dict[str, str]) -> None:
    exe = {"name": "tool", "version": "1", "path": "/bin/tool"}
    surrogate = b'{"name": "tool", "version": "1", "path": "/bin/tool", "description": "\\ud800"}'
    lone = client.post("/api/v1/executables", content=surrogate, headers=admin | {"content-type": "application/json"})
    assert lone.status_code == 422
    client.post("/api/v1/executables", json=exe, headers=admin)
    far = client.post("/api/v1/executables/tool%20-%201/parameters", json={"flag": "-x", "position": 10**30},
                      headers=admin)
    assert far.status_code == 422
    assert client.get("/api/v1/jobs/a%00b", headers=admin).status_code == 422


def test_unknown_query_parameters_and_unreadable_bodies_are_422(client: TestClient, admin: dict[str, str]) -> None:
    typo = client.get("/api/v1/jobs?comand=GenRSA", headers=admin)
    assert typo.status_code == 422
    assert typo.json()["detail"] == "query: unknown parameter 'comand' (this route takes: command, limit, offset)"
    assert client.get("/api/v1/jobs?comand=x").status_code == 401  # who asks is settled first
    assert client.get("/health?x=1").status_code == 422
    garbage = client.post("/api/v1/jobs", content=b"\xff\xfe", headers=admin | {"content-type": "application/json"})
    assert garbage.status_code == 422 and garbage.json()["type"] == "urn:oto:problem:invalid-input"


def test_every_route_refuses_a_query_parameter_it_does_not_take(app: FastAPI, client: TestClient,
                                                                 admin: dict[str, str]) -> None:
    served = [(method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations]
    assert len(served) > 40
    for method, path in served:
        url = re.sub(r"{[^}]+}", "x", path)
        answer = client.request(method, f"{url}?bogus=1", headers=admin, json={})
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["detail"].startswith("query: unknown parameter 'bogus' (this route takes: "), (
            method, path, answer.json())
        anonymous = client.request(method, f"{url}?bogus=1", json={})
        assert anonymous.status_code == (422 if path == "/health" else 401), (method, path)
    runs = client.get("/api/v1/runs?offset=0&limit=1&stauts=failed", headers=admin).json()["detail"]
    assert runs == ("query: unknown parameter 'stauts' "
                    "(this route takes: after, job, kind, limit, offset, routine, status, trigger)")
    assert client.get("/api/v1/jobs/x/argv?bogus=1").status_code == 401  # who asks is settled first
