"""/api/v1/notifications: the same notifications as `oto notify`, with the API's scopes and problems."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

BASE = "/api/v1/notifications"


def test_create_list_get_delete_with_scopes(client: TestClient, keys: Any) -> None:
    admin, reader = keys["admin"], keys["read"]
    body = {"name": "ops", "url": "https://hooks.example.com/x", "on": ["failed"], "secret": "abc-secret"}
    assert client.post(BASE, json=body, headers=reader).status_code == 403
    assert client.post(BASE, json=body, headers=keys["run"]).status_code == 403
    assert client.post(BASE, json=body).status_code == 401
    made = client.post(BASE, json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["signed"] is True and "abc-secret" not in made.text
    assert client.post(BASE, json=body, headers=admin).status_code == 409
    listed = client.get(BASE, headers=reader)
    assert [n["name"] for n in listed.json()] == ["ops"] and "abc-secret" not in listed.text
    shown = client.get(f"{BASE}/ops", headers=reader).json()
    assert shown["attempts"] == [] and shown["on"] == ["failed"] and shown["target"] is None
    assert client.post(f"{BASE}/ops/test", headers=reader).status_code == 403
    assert client.delete(f"{BASE}/ops", headers=reader).status_code == 403
    assert client.delete(f"{BASE}/ops", headers=admin).status_code == 204
    missing = client.get(f"{BASE}/ops", headers=reader)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_hostile_bodies_are_problems_and_nothing_is_written(client: TestClient, keys: Any) -> None:
    admin = keys["admin"]
    for body, says in [
        ({"name": "x", "url": "file:///etc/passwd"}, "http:// or https://"),
        ({"name": "x", "url": "gopher://x.example"}, "http:// or https://"),
        ({"name": "x", "url": "https://x.example", "on": ["exploded"]}, "is not a status"),
        ({"name": "x", "url": "https://x.example", "on": []}, "at least one status"),
        ({"name": "x", "url": "https://x.example", "job": "nope"}, "no job 'nope'"),
        ({"name": "x", "url": "https://x.example", "extra": 1}, "body.extra"),
        ({"name": "x", "url": "https://x.example/\u202eexe.txt"}, "control characters"),
        ({"name": "x", "url": "https://x.example/" + "a" * 5000}, "at most 2048"),
        ({"name": "x" * 300, "url": "https://x.example"}, "at most 200"),
        ({"name": "x", "url": "https://x.example/\u202e\u0000"}, "cannot contain a NUL character"),
        ({"name": "x", "url": "https://x.example", "secret": "s" * 5000}, "at most 4096"),
    ]:
        refused = client.post(BASE, json=body, headers=admin)
        assert refused.status_code in (404, 422), refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert says in refused.json()["detail"], (body, refused.json())
    assert client.get(BASE, headers=admin).json() == []


def test_unknown_query_parameters_are_refused(client: TestClient, keys: Any) -> None:
    assert client.get(f"{BASE}?limit=5", headers=keys["read"]).status_code == 422
