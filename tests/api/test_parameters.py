"""/api/v1/executables/{tag}/parameters: flags and their rules, refused when inconsistent."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oto.services.database import Database
from tests.api.conftest import TAG, TAG_URL

BASE = f"/api/v1/executables/{TAG_URL}/parameters"


def test_list_is_paged_in_document_order(client: TestClient, reader: dict[str, str], seeded: Database) -> None:
    first = client.get(f"{BASE}?limit=2", headers=reader).json()
    assert first["total"] == 41 and first["limit"] == 2
    assert [p["flag"] for p in first["items"]] == ["-connect", "-servername"]
    nxt = client.get(f"{BASE}?offset=2&limit=1", headers=reader).json()
    assert [p["flag"] for p in nxt["items"]] == ["-starttls"]
    assert client.get(f"{BASE}?limit=0", headers=reader).status_code == 422
    assert client.get(f"{BASE}?limit=1001", headers=reader).status_code == 422
    assert client.get("/api/v1/executables/nope/parameters", headers=reader).status_code == 404


def test_add_get_update_delete(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    created = client.post(BASE, json={"flag": "-passout", "value_type": "string", "secret": True}, headers=admin)
    assert created.status_code == 201
    assert created.json()["executable_tag"] == TAG and created.json()["requires_value"] is True
    assert client.get(f"{BASE}/-passout", headers=admin).json()["secret"] is True

    changed = client.patch(f"{BASE}/-passout", json={"description": "output pass phrase"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["description"] == "output pass phrase"
    assert client.delete(f"{BASE}/-passout", headers=admin).status_code == 204
    assert client.get(f"{BASE}/-passout", headers=admin).status_code == 404


def test_duplicates_and_bad_rules(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    assert client.post(BASE, json={"flag": "-out", "value_type": "path"}, headers=admin).status_code == 409
    unknown_rule = client.post(BASE, json={"flag": "-x", "require_ids": ["-ghost"]}, headers=admin)
    assert unknown_rule.status_code == 422 and "-ghost" in unknown_rule.json()["detail"]
    bad_type = client.post(BASE, json={"flag": "-y", "value_type": "colour"}, headers=admin)
    assert bad_type.status_code == 422 and "value type" in bad_type.json()["detail"]
    other_tag = client.post(BASE, json={"flag": "-z", "executable_tag": "nmap - 7.98"}, headers=admin)
    assert other_tag.status_code == 422


def test_inconsistent_rules_are_refused_with_the_engines_problems(
    client: TestClient, admin: dict[str, str], seeded: Database
) -> None:
    client.post(BASE, json={"flag": "-a", "require_ids": []}, headers=admin)
    client.post(BASE, json={"flag": "-b", "require_ids": ["-a"]}, headers=admin)
    cycle = client.patch(f"{BASE}/-a", json={"interfer_ids": ["-b"]}, headers=admin)
    assert cycle.status_code == 422
    body = cycle.json()
    assert body["type"] == "urn:oto:problem:refused" and body["violations"]
    assert {"kind", "flags", "message"} <= set(body["violations"][0])


def test_delete_in_use(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    used = client.delete(f"{BASE}/-algorithm", headers=admin)
    assert used.status_code == 409
    assert {"kind": "parameter", "name": "-pkeyopt"} in used.json()["used_by"]
    assert client.delete(f"{BASE}/-algorithm?cascade=true", headers=admin).status_code == 204
