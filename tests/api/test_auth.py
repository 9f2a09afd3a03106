"""Every route but /health needs a key, and each scope gets exactly what it should."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from oto.domain.models import ApiKey
from oto.services import apikeys
from oto.services.database import Database
from tests.api.conftest import TAG_URL, Keys, catalog_app

# The scope each route needs: the contract of the scope model, checked against the app both ways.
SCOPES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/executables"): "read",
    ("POST", "/api/v1/executables"): "admin",
    ("GET", "/api/v1/executables/{tag}"): "read",
    ("PATCH", "/api/v1/executables/{tag}"): "admin",
    ("DELETE", "/api/v1/executables/{tag}"): "admin",
    ("POST", "/api/v1/executables/{tag}/check"): "read",
    ("GET", "/api/v1/executables/{tag}/problems"): "read",
    ("GET", "/api/v1/executables/{tag}/graph"): "read",
    ("GET", "/api/v1/executables/{tag}/parameters"): "read",
    ("POST", "/api/v1/executables/{tag}/parameters"): "admin",
    ("GET", "/api/v1/executables/{tag}/parameters/{flag}"): "read",
    ("PATCH", "/api/v1/executables/{tag}/parameters/{flag}"): "admin",
    ("DELETE", "/api/v1/executables/{tag}/parameters/{flag}"): "admin",
    ("GET", "/api/v1/commands"): "read",
    ("POST", "/api/v1/commands"): "admin",
    ("GET", "/api/v1/commands/{name}"): "read",
    ("PATCH", "/api/v1/commands/{name}"): "admin",
    ("DELETE", "/api/v1/commands/{name}"): "admin",
    ("GET", "/api/v1/jobs"): "read",
    ("POST", "/api/v1/jobs"): "admin",
    ("GET", "/api/v1/jobs/{name}"): "read",
    ("GET", "/api/v1/jobs/{name}/argv"): "read",
    ("PATCH", "/api/v1/jobs/{name}"): "admin",
    ("DELETE", "/api/v1/jobs/{name}"): "admin",
    ("GET", "/api/v1/routines"): "read",
    ("POST", "/api/v1/routines"): "admin",
    ("GET", "/api/v1/routines/{name}"): "read",
    ("PATCH", "/api/v1/routines/{name}"): "admin",
    ("DELETE", "/api/v1/routines/{name}"): "admin",
    ("GET", "/api/v1/schedules"): "read",
    ("POST", "/api/v1/schedules"): "admin",
    ("GET", "/api/v1/schedules/{name}"): "read",
    ("PATCH", "/api/v1/schedules/{name}"): "admin",
    ("DELETE", "/api/v1/schedules/{name}"): "admin",
    ("POST", "/api/v1/schedules/{name}/pause"): "admin",
    ("POST", "/api/v1/schedules/{name}/resume"): "admin",
    ("POST", "/api/v1/schedules/{name}/trigger"): "run",
    ("POST", "/api/v1/jobs/{name}/runs"): "run",
    ("POST", "/api/v1/routines/{name}/runs"): "run",
    ("POST", "/api/v1/run"): "admin",
    ("GET", "/api/v1/runs"): "read",
    ("GET", "/api/v1/runs/{run_id}"): "read",
    ("POST", "/api/v1/runs/{run_id}/cancel"): "run",
    ("POST", "/api/v1/runs/{run_id}/rerun"): "run",
    ("GET", "/api/v1/notifications"): "read",
    ("POST", "/api/v1/notifications"): "admin",
    ("GET", "/api/v1/notifications/{name}"): "read",
    ("DELETE", "/api/v1/notifications/{name}"): "admin",
    ("POST", "/api/v1/notifications/{name}/test"): "admin",
    ("GET", "/api/v1/runs/{run_id}/logs"): "read",
    ("POST", "/api/v1/import"): "admin",
    ("GET", "/api/v1/export"): "read",
    ("GET", "/api/v1/valuetypes"): "read",
    ("GET", "/api/v1/catalog"): "read",
    ("GET", "/api/v1/catalog/tools"): "read",
    ("GET", "/api/v1/catalog/tools/{name}"): "read",
    ("POST", "/api/v1/catalog/add"): "admin",
    ("DELETE", "/api/v1/runs"): "admin",
    ("GET", "/api/v1/apikeys"): "admin",
    ("POST", "/api/v1/apikeys"): "admin",
    ("POST", "/api/v1/apikeys/{name}/revoke"): "admin",
}


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every operation the app publishes under /api/v1."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in operations
    }


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_the_scope_table_covers_every_route(app: FastAPI) -> None:
    assert routes(app) == set(SCOPES)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Keys]]:
    """One database for the whole scope table: the routes below only read it or fail."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('auth') / 'oto.db'}")
    database.upgrade()
    with TestClient(catalog_app(database)) as client:
        yield client, Keys(database)
    database.dispose()


@pytest.mark.parametrize(("method", "path"), sorted(SCOPES))
def test_each_route_enforces_its_scope(shared: tuple[TestClient, Keys], method: str, path: str) -> None:
    client, keys = shared
    url = concrete(path)
    needed = SCOPES[(method, path)]
    anonymous = client.request(method, url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"] == "application/problem+json"
    for scope in apikeys.SCOPES:
        status = client.request(method, url, headers=keys[scope]).status_code
        if apikeys.allows(scope, needed):
            assert status not in (401, 403), (scope, status)
        else:
            assert status == 403, (scope, status)


def test_a_read_key_gets_403_on_a_post(client: TestClient, reader: dict[str, str]) -> None:
    refused = client.post("/api/v1/jobs", json={"name": "j", "command": "c"}, headers=reader)
    assert refused.status_code == 403
    assert refused.json() == {
        "type": "urn:oto:problem:forbidden", "title": "Not allowed", "status": 403,
        "detail": "the API key 'test-read' has scope read; this needs scope admin", "instance": "/api/v1/jobs",
    }


@pytest.mark.parametrize("header", [
    "Bearer nope", "Bearer oto_12345678_wrong", "Basic dXNlcjpwdw==", "Bearer ", "oto_12345678_x",
])
def test_bad_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/jobs", headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["status"] == 401


def test_revoked_key_is_401_and_last_use_is_recorded(
    client: TestClient, keys: Keys, sqlite_database: Database
) -> None:
    assert client.get("/api/v1/jobs", headers=keys["read"]).status_code == 200
    with sqlite_database.session() as db:
        assert apikeys.get(db, "test-read").last_used_at is not None
        apikeys.revoke(db, "test-read")
    revoked = client.get("/api/v1/jobs", headers=keys["read"])
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_a_key_revoked_through_the_api_is_refused_at_once(client: TestClient, keys: Keys) -> None:
    # used just before, so the server remembers it as valid: the revocation must still win at once
    assert client.get("/api/v1/jobs", headers=keys["read"]).status_code == 200
    assert client.post("/api/v1/apikeys/test-read/revoke", headers=keys["admin"]).status_code == 200
    refused = client.get("/api/v1/jobs", headers=keys["read"])
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    # a call that changes something is refused by the guard too, before its body is read
    check = client.post(f"/api/v1/executables/{TAG_URL}/check", json={"flags": []}, headers=keys["read"])
    assert check.status_code == 401


def test_a_key_revoked_by_another_process_is_refused_within_a_second(
    client: TestClient, keys: Keys, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (the CLI) cannot tell this server: its memory of a valid key lasts RECENT_SECONDS."""
    monkeypatch.setattr(apikeys, "RECENT_SECONDS", 0.3)
    assert client.get("/api/v1/jobs", headers=keys["read"]).status_code == 200
    with sqlite_database.engine.begin() as connection:  # as another process would: no in-process hook
        connection.execute(update(ApiKey).where(ApiKey.name == "test-read").values(revoked_at=datetime.now(UTC)))
    assert client.get("/api/v1/jobs", headers=keys["read"]).status_code == 200  # remembered for a moment
    time.sleep(0.35)
    refused = client.get("/api/v1/jobs", headers=keys["read"])
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_a_lookup_that_raced_a_revocation_is_not_remembered(sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        key = apikeys.create(db, "racer", "read").key
        info = apikeys.authenticate(db, key)
    url = sqlite_database.url
    before = apikeys.recent.generation
    with sqlite_database.session() as db:
        apikeys.revoke(db, "racer")
    apikeys.recent.remember(url, key, info, before)  # read before the revocation, stored after it
    assert apikeys.recent.recall(url, key) is None
    apikeys.recent.remember(url, key, info, apikeys.recent.generation)
    assert apikeys.recent.recall(url, key) == info
    apikeys.recent.forget()
    assert apikeys.recent.recall(url, key) is None


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http", "scheme": "bearer",
        "description": "An OTO API key (`oto apikey create NAME --scope read|run|admin`), sent as a bearer token.",
    }
    assert "security" not in schema["paths"]["/health"]["get"]
    assert schema["paths"]["/api/v1/jobs"]["get"]["security"] == [{"ApiKey": []}]
