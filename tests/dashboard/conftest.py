"""The dashboard over a fresh database: an app, a logged-in browser-like client, and a real server."""

from __future__ import annotations

import re
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from oto.engine.devserver import free_port
from oto.services import apikeys
from oto.services.database import Database
from oto.services.health import Status
from oto.web.server import create_app


async def temporal_up() -> Status:
    return Status(True, "test")


def make_key(database: Database, scope: str = "admin", name: str | None = None) -> str:
    with database.session() as db:
        return apikeys.create(db, name or f"dash-{scope}", scope).key


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Browser:
    """A TestClient that logged in like a person does, and knows its session's CSRF token."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        response = client.post("/login", data={"key": key, "next": "/"})
        assert response.status_code == 200, response.text
        self.csrf = csrf_of(response.text)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def app(sqlite_database: Database) -> FastAPI:
    return create_app(sqlite_database, temporal_probe=temporal_up)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, sqlite_database: Database) -> Browser:
    return Browser(client, make_key(sqlite_database))


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on a free port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="dashboard-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard's server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
