"""``/api/v1/catalog``: the shipped tool specs over HTTP — search, look, add, and refusals."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys


def test_search_and_look_need_only_a_read_key(client: TestClient, keys: Keys) -> None:
    source = client.get("/api/v1/catalog", headers=keys["read"])
    assert source.status_code == 200 and source.json()["package"] == "@withfig/autocomplete"
    found = client.get("/api/v1/catalog/tools", params={"q": "tar", "limit": 5}, headers=keys["read"])
    assert found.status_code == 200, found.text
    assert found.json()[0]["name"] == "tar" and len(found.json()) <= 5
    tool = client.get("/api/v1/catalog/tools/tar", headers=keys["read"])
    assert tool.status_code == 200
    body = tool.json()
    assert body["document"]["oto"] == 1 and body["document"]["parameters"]
    assert body["found_at"] == shutil.which("tar")
    assert client.get("/api/v1/catalog/tools").status_code == 401


def test_refusals_are_problems(client: TestClient, keys: Keys) -> None:
    unknown = client.get("/api/v1/catalog/tools/tarr", headers=keys["read"])
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json" and "tar" in unknown.json()["detail"]
    typo = client.get("/api/v1/catalog/tools", params={"query": "tar"}, headers=keys["read"])
    assert typo.status_code == 422
    long = client.get("/api/v1/catalog/tools", params={"q": "x" * 201}, headers=keys["read"])
    assert long.status_code == 422
    run_key = client.post("/api/v1/catalog/add", json={"tools": ["tar"]}, headers=keys["run"])
    assert run_key.status_code == 403
    for body in ({"tools": []}, {"tools": ["tar"], "extra": 1}, {"tools": ["tar", "ls"], "path": "/bin/true"},
                 {"tools": ["tar"], "path": "relative/tar"}, {"tools": ["tar"], "version": "1 - 2",
                                                               "path": "/bin/true"}):
        refused = client.post("/api/v1/catalog/add", json=body, headers=keys["admin"])
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/executables", headers=keys["read"]).json()["total"] == 0


@pytest.mark.skipif(shutil.which("tar") is None, reason="tar is not installed")
def test_an_admin_adds_tools_all_or_nothing(client: TestClient, keys: Keys) -> None:
    added = client.post("/api/v1/catalog/add", json={"tools": ["tar"], "version": "1.0"}, headers=keys["admin"])
    assert added.status_code == 201, added.text
    [tar] = added.json()
    assert tar["tool"] == "tar" and tar["version"] == "1.0" and tar["report"]["created"] > 10
    exe = client.get("/api/v1/executables/tar%20-%201.0", headers=keys["read"])
    assert exe.status_code == 200 and exe.json()["path"] == shutil.which("tar")
    total = client.get("/api/v1/executables", headers=keys["read"]).json()["total"]
    broken = client.post("/api/v1/catalog/add", json={"tools": ["ls", "no-such-tool-xyz"]}, headers=keys["admin"])
    assert broken.status_code == 404
    assert client.get("/api/v1/executables", headers=keys["read"]).json()["total"] == total
