"""/api/v1/commands, including the higher level: a command with its executable and parameters inline."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from oto.services.database import Database
from tests.api.conftest import TAG, Keys

BASE = "/api/v1/commands"


def test_crud_on_both_backends(any_backend: tuple[TestClient, Keys]) -> None:
    client, keys = any_backend
    admin = keys["admin"]
    inline = {
        "name": "GenRSA",
        "parameters": ["genpkey", "-algorithm", "-out"],
        "executable": {"name": "openssl", "version": "3.5.3", "path": "/usr/bin/openssl"},
        "new_parameters": [
            {"flag": "genpkey", "position": 0},
            {"flag": "-algorithm", "value_type": "string"},
            {"flag": "-out", "value_type": "path"},
        ],
    }
    created = client.post(BASE, json=inline, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {"name": "GenRSA", "executable_tag": TAG, "description": "", "requires_root": False,
                              "parameters": ["genpkey", "-algorithm", "-out"]}
    assert client.get(f"{BASE}/GenRSA", headers=keys["read"]).json()["parameters"][0] == "genpkey"
    changed = client.patch(f"{BASE}/GenRSA", json={"description": "rsa"}, headers=admin)
    assert changed.json()["description"] == "rsa"
    assert client.get(f"{BASE}?executable=openssl%20-%203.5.3", headers=admin).json()["total"] == 1
    assert client.delete(f"{BASE}/GenRSA", headers=admin).status_code == 204
    assert client.get(f"{BASE}/GenRSA", headers=admin).status_code == 404


def test_refused_command_carries_violations_and_writes_nothing(client: TestClient, admin: dict[str, str]) -> None:
    inline = {
        "name": "Broken",
        "parameters": ["-pkeyopt"],
        "executable": {"name": "openssl", "version": "3.5.3", "path": "/usr/bin/openssl"},
        "new_parameters": [
            {"flag": "-algorithm", "value_type": "string"},
            {"flag": "-pkeyopt", "value_type": "string", "require_ids": ["-algorithm"]},
        ],
    }
    refused = client.post(BASE, json=inline, headers=admin)
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"] == "urn:oto:problem:refused"
    assert body["violations"] == [{"kind": "missing_requirement", "flags": ["-pkeyopt", "-algorithm"],
                                   "message": "-pkeyopt requires -algorithm, which is missing"}]
    assert client.get("/api/v1/executables", headers=admin).json()["total"] == 0  # all or nothing


def test_inline_reuses_an_identical_executable_and_parameters(
    client: TestClient, admin: dict[str, str], seeded: Database
) -> None:
    same: dict[str, Any] = {
        "name": "Gen2", "parameters": ["genpkey", "-algorithm"],
        "executable": {"name": "openssl", "version": "3.5.3", "path": "/usr/bin/openssl"},
        "new_parameters": [{"flag": "-algorithm", "value_type": "string"}],
    }
    assert client.post(BASE, json=same, headers=admin).status_code == 201
    other_path = same | {"name": "Gen3", "executable": same["executable"] | {"path": "/opt/openssl"}}
    assert client.post(BASE, json=other_path, headers=admin).status_code == 409
    other_param = same | {"name": "Gen4", "new_parameters": [{"flag": "-algorithm", "value_type": "int"}]}
    assert client.post(BASE, json=other_param, headers=admin).status_code == 409
    mismatch = same | {"name": "Gen5", "executable_tag": "nmap - 7.98"}
    assert client.post(BASE, json=mismatch, headers=admin).status_code == 422


def test_errors(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    plain = {"name": "GenRSA", "executable_tag": TAG, "parameters": ["genpkey"]}
    assert client.post(BASE, json=plain, headers=admin).status_code == 409
    assert client.post(BASE, json=plain | {"name": "X", "executable_tag": "nope"}, headers=admin).status_code == 404
    assert client.post(BASE, json={"name": "Y", "parameters": ["genpkey"]}, headers=admin).status_code == 422
    in_use = client.delete(f"{BASE}/GenRSA", headers=admin)
    assert in_use.status_code == 409 and in_use.json()["used_by"] == [{"kind": "job", "name": "GenRSA-2048"}]
    assert client.get(f"{BASE}?executable=nope", headers=admin).status_code == 404
    assert client.patch(f"{BASE}/GenRSA", json={"parameters": ["-pkeyopt"]}, headers=admin).status_code == 422
