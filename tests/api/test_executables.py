"""/api/v1/executables: CRUD by tag, the engine's verdict, the rules graph and schema problems."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oto.services.database import Database
from tests.api.conftest import TAG, TAG_URL, Keys

OPENSSL = {"name": "openssl", "version": "3.5.3", "path": "/usr/bin/openssl", "description": "crypto"}
BASE = "/api/v1/executables"


def test_create_get_update_list_delete_on_both_backends(any_backend: tuple[TestClient, Keys]) -> None:
    client, keys = any_backend
    admin = keys["admin"]
    created = client.post(BASE, json=OPENSSL, headers=admin)
    assert created.status_code == 201
    assert created.json() == OPENSSL | {"tag": TAG, "task_queue": "oto", "end_of_options": False,
                                        "max_concurrent": None}

    assert client.get(f"{BASE}/{TAG_URL}", headers=admin).json()["path"] == "/usr/bin/openssl"
    changed = client.patch(f"{BASE}/{TAG_URL}", json={"path": "/opt/openssl"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["path"] == "/opt/openssl"
    page = client.get(BASE, headers=keys["read"]).json()
    assert page["total"] == 1 and [e["tag"] for e in page["items"]] == [TAG]

    assert client.delete(f"{BASE}/{TAG_URL}", headers=admin).status_code == 204
    assert client.get(f"{BASE}/{TAG_URL}", headers=admin).status_code == 404


def test_duplicate_is_409_and_unknown_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post(BASE, json=OPENSSL, headers=admin).status_code == 201
    again = client.post(BASE, json=OPENSSL, headers=admin)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"] == "urn:oto:problem:already-exists"
    missing = client.get(f"{BASE}/nmap%20-%207.98", headers=admin)
    assert missing.status_code == 404
    assert "nmap - 7.98" in missing.json()["detail"]


def test_invalid_body_is_422_with_the_reason(client: TestClient, admin: dict[str, str]) -> None:
    relative = client.post(BASE, json=OPENSSL | {"path": "bin/openssl"}, headers=admin)
    assert relative.status_code == 422
    body = relative.json()
    assert body["status"] == 422 and body["title"] == "Invalid input"
    assert "absolute" in body["detail"] and body["errors"][0]["location"] == "body.path"
    assert client.post(BASE, json={"name": "x"}, headers=admin).json()["detail"].startswith("body.version")
    client.post(BASE, json=OPENSSL, headers=admin)
    renamed = client.patch(f"{BASE}/{TAG_URL}", json={"name": "other"}, headers=admin)
    assert renamed.status_code == 422  # name is part of the tag; not a field that changes


def test_delete_in_use_is_409_unless_cascade(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    refused = client.delete(f"{BASE}/{TAG_URL}", headers=admin)
    assert refused.status_code == 409
    body = refused.json()
    assert body["type"] == "urn:oto:problem:in-use"
    assert {"kind": "command", "name": "GenRSA"} in body["used_by"]
    assert client.delete(f"{BASE}/{TAG_URL}?cascade=true", headers=admin).status_code == 204
    assert client.get("/api/v1/commands", headers=admin).json()["total"] == 0


def test_check_gives_the_verdict_violations_and_completion(
    client: TestClient, reader: dict[str, str], seeded: Database
) -> None:
    ok = client.post(f"{BASE}/{TAG_URL}/check", json={"flags": ["genpkey", "-algorithm", "-out"]}, headers=reader)
    assert ok.status_code == 200 and ok.json() == {"ok": True, "violations": [], "completion": None}

    missing = client.post(f"{BASE}/{TAG_URL}/check", json={"flags": ["genpkey", "-pkeyopt"]}, headers=reader).json()
    assert missing["ok"] is False
    assert missing["violations"][0]["kind"] == "missing_requirement"
    assert missing["completion"] == ["genpkey", "-pkeyopt", "-algorithm"]

    unknown = client.post(f"{BASE}/{TAG_URL}/check", json={"flags": ["-nope"]}, headers=reader).json()
    assert unknown["violations"][0]["kind"] == "unknown_flag" and unknown["completion"] is None

    assert client.post(f"{BASE}/nope/check", json={"flags": []}, headers=reader).status_code == 404
    assert client.post(f"{BASE}/{TAG_URL}/check", json={"flags": "genpkey"}, headers=reader).status_code == 422


def test_the_next_check_sees_a_parameter_change(
    client: TestClient, admin: dict[str, str], reader: dict[str, str], seeded: Database
) -> None:
    """The compiled rules are reused between checks, never past a change of a parameter."""
    check = f"{BASE}/{TAG_URL}/check"
    flags = {"flags": ["genpkey", "-algorithm", "-out", "-zz"]}
    assert client.post(check, json=flags, headers=reader).json()["violations"][0]["kind"] == "unknown_flag"
    added = client.post(f"{BASE}/{TAG_URL}/parameters", json={"flag": "-zz"}, headers=admin)
    assert added.status_code == 201, added.text
    assert client.post(check, json=flags, headers=reader).json()["ok"] is True
    changed = client.patch(f"{BASE}/{TAG_URL}/parameters/-zz", json={"require_ids": ["-noout"]}, headers=admin)
    assert changed.status_code == 200, changed.text
    verdict = client.post(check, json=flags, headers=reader).json()
    assert verdict["ok"] is False and verdict["violations"][0]["kind"] == "missing_requirement"
    assert client.delete(f"{BASE}/{TAG_URL}/parameters/-zz", headers=admin).status_code == 204
    assert client.post(check, json=flags, headers=reader).json()["violations"][0]["kind"] == "unknown_flag"


def test_graph_in_dot_and_mermaid(client: TestClient, reader: dict[str, str], seeded: Database) -> None:
    dot = client.get(f"{BASE}/{TAG_URL}/graph", headers=reader)
    assert dot.status_code == 200 and dot.headers["content-type"].startswith("text/plain")
    assert dot.text.startswith("digraph")
    mermaid = client.get(f"{BASE}/{TAG_URL}/graph?format=mermaid", headers=reader)
    assert mermaid.text.startswith(("graph", "flowchart"))
    bad = client.get(f"{BASE}/{TAG_URL}/graph?format=png", headers=reader)
    assert bad.status_code == 422 and "format" in bad.json()["detail"]


def test_schema_problems(client: TestClient, reader: dict[str, str], seeded: Database) -> None:
    assert client.get(f"{BASE}/{TAG_URL}/problems", headers=reader).json() == {"ok": True, "problems": []}
