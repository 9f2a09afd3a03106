"""/api/v1/import and /api/v1/export: one document in, the same text out."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.conftest import OPENSSL_DOCUMENT, Keys


def test_import_then_export_round_trips_on_both_backends(any_backend: tuple[TestClient, Keys]) -> None:
    client, keys = any_backend
    document = json.loads(OPENSSL_DOCUMENT.read_text())
    first = client.post("/api/v1/import", json=document, headers=keys["admin"])
    assert first.status_code == 200
    assert first.json()["created"] == 1 + 41 + 5 + 5 + 2 and first.json()["kinds"]["jobs"]["created"] == 5
    again = client.post("/api/v1/import", json=document, headers=keys["admin"]).json()
    assert again["created"] == 0 and again["updated"] == 0
    exported = client.get("/api/v1/export", headers=keys["read"])
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    assert exported.text.endswith("\n") and json.loads(exported.text)["oto"] == 1
    assert exported.text == client.get("/api/v1/export", headers=keys["read"]).text


def test_a_bad_document_writes_nothing(client: TestClient, admin: dict[str, str]) -> None:
    document = json.loads(OPENSSL_DOCUMENT.read_text())
    document["jobs"][0]["values"]["-nope"] = "x"
    refused = client.post("/api/v1/import", json=document, headers=admin)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("jobs[0]")
    assert client.get("/api/v1/executables", headers=admin).json()["total"] == 0
    assert client.post("/api/v1/import", json={"oto": 2}, headers=admin).status_code == 422
    assert client.post("/api/v1/import", json=[{"flag": "-x", "executable_tag": "a - 1"}],
                       headers=admin).status_code == 422
    document = json.loads(OPENSSL_DOCUMENT.read_text())
    document["jobs"][0]["name"] = "keys/rsa"
    slash = client.post("/api/v1/import", json=document, headers=admin)
    assert slash.status_code == 422 and slash.headers["content-type"] == "application/problem+json"
    assert slash.json()["detail"] == ("jobs[0] (keys/rsa): name: a name cannot contain '/' (names go in URL paths, "
                                      "where '/' separates parts): 'keys/rsa'")
    assert client.get("/api/v1/executables", headers=admin).json()["total"] == 0
    broken = client.post("/api/v1/import", content=b"{not json", headers=admin | {"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["title"] == "Invalid input"
