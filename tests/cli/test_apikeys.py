"""`oto apikey create | list | revoke`."""

from __future__ import annotations

import json

from oto.services import apikeys
from oto.services.database import get_database
from tests.support.cli import Oto


def test_create_prints_the_key_once(initialized: Oto) -> None:
    made = initialized("apikey", "create", "ci", "--scope", "run")
    key = made.out.strip()
    assert made.code == 0 and key.startswith("oto_") and "will not be shown again" in made.err
    with get_database().session() as db:
        assert apikeys.authenticate(db, key).scope == "run"

    as_json = initialized("apikey", "create", "bot", "--scope", "admin", "--json")
    created = json.loads(as_json.out)
    assert as_json.code == 0 and set(created) == {"name", "scope", "key"} and created["scope"] == "admin"

    listed = initialized("apikey", "list", "--json")
    assert [k["name"] for k in json.loads(listed.out)] == ["bot", "ci"]
    assert key not in listed.out and created["key"] not in listed.out


def test_revoke_and_errors(initialized: Oto) -> None:
    initialized("apikey", "create", "ci")
    revoked = initialized("apikey", "revoke", "ci", "--json")
    assert revoked.code == 0 and json.loads(revoked.out)["active"] is False
    listed = initialized("apikey", "list")
    assert listed.code == 0 and "revoked" in listed.out
    ghost = initialized("apikey", "revoke", "ghost")
    assert ghost.code == 2 and ghost.err.startswith("Error: no API key named 'ghost'")
    root = initialized("apikey", "create", "x", "--scope", "root")
    assert root.code == 2 and "scope must be one of read, run, admin" in root.err
    again = initialized("apikey", "create", "ci")
    assert again.code == 2 and "already exists" in again.err
    slash = initialized("apikey", "create", "ci/deploy")
    assert slash.code == 2 and slash.err == ("Error: a key name cannot contain '/' (names go in URL paths, where '/' "
                                             "separates parts): 'ci/deploy'\n")
