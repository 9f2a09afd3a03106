"""FME v2 rules through the API: created, changed, shown, and refused as problem+json."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oto.services.database import Database
from tests.api.conftest import TAG_URL

BASE = f"/api/v1/executables/{TAG_URL}/parameters"


def test_v2_rules_are_created_shown_and_changed(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    body = {"flag": "-v2", "value_type": "string", "require_any": [["-out", "-text"]],
            "groups": [{"name": "g", "min": 0, "max": 1}],
            "when": [{"in": ["a", "b"], "forbid": ["-text"]}]}
    created = client.post(BASE, json=body, headers=admin)
    assert created.status_code == 201, created.text
    got = client.get(f"{BASE}/-v2", headers=admin).json()
    assert got["require_any"] == [["-out", "-text"]]
    assert got["groups"] == [{"name": "g", "min": 0, "max": 1}]
    assert got["when"][0]["in"] == ["a", "b"] and got["when"][0]["forbid"] == ["-text"]
    changed = client.patch(f"{BASE}/-v2", json={"when": [], "required": False, "groups": []}, headers=admin)
    assert changed.status_code == 200 and changed.json()["when"] == [] and changed.json()["groups"] == []


def test_bad_v2_rules_are_problems(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    for body, words in (
        ({"flag": "-q", "groups": [{"name": "g", "min": 3, "max": 1}]}, "cannot exceed"),
        ({"flag": "-q", "require_any": [["-ghost"]]}, "-ghost"),
        ({"flag": "-q", "value_type": "string", "when": [{"equals": "x", "in": ["y"], "forbid": ["-out"]}]},
         "exactly one of equals and in"),
        ({"flag": "-q", "when": [{"equals": "x", "forbid": ["-out"], "extra": 1}]}, "extra"),
    ):
        answer = client.post(BASE, json=body, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert words in answer.text
    assert client.get(f"{BASE}/-q", headers=admin).status_code == 404
