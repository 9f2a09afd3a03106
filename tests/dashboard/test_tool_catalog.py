"""The dashboard's tool catalog: search, look at a tool and a subcommand, add it."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from oto.services.database import Database
from tests.dashboard.conftest import Browser, make_key


def test_search_and_look(client: TestClient, admin: Browser) -> None:
    page = client.get("/catalog", params={"q": "tar"})
    assert page.status_code == 200 and 'href="/catalog/tar"' in page.text
    hostile = client.get("/catalog", params={"q": "<script>alert(1)</script>"})
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text
    tool = client.get("/catalog/git")
    assert tool.status_code == 200 and "Subcommands" in tool.text and "Add git" in tool.text
    commit = client.get("/catalog/git", params={"sub": "commit"})
    assert commit.status_code == 200 and "Flags of git commit" in commit.text
    assert client.get("/catalog/git", params={"sub": "nope"}).status_code == 404
    assert client.get("/catalog/tarr").status_code == 404


def test_a_read_key_cannot_add(client: TestClient, sqlite_database: Database) -> None:
    reader = Browser(client, make_key(sqlite_database, "read"))
    page = client.get("/catalog/tar")
    assert page.status_code == 200 and "Add tar" not in page.text
    assert reader.post("/catalog/tar", {"path": "/bin/true"}).status_code == 403


@pytest.mark.skipif(shutil.which("tar") is None, reason="tar is not installed")
def test_an_admin_adds_a_tool_and_lands_on_its_executable(client: TestClient, admin: Browser) -> None:
    added = admin.post("/catalog/tar", {"path": "", "version": "7.7"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/executables/tar%20-%207.7"
    assert client.get("/executables/tar%20-%207.7").status_code == 200
    refused = admin.post("/catalog/tar", {"path": "not/absolute", "version": ""})
    assert refused.status_code == 422 and "must be absolute" in refused.text
