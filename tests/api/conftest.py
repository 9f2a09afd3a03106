"""An API over a fresh database, with one key of each scope."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

with warnings.catch_warnings():
    # Starlette suggests httpx2 for its test client; httpx is what the project ships with.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from temporalio.client import Client

from oto.api.app import create_app
from oto.errors import Unavailable
from oto.services import apikeys, documents
from oto.services.database import Database
from oto.services.health import Status
from tests.support.engine import Engine

OPENSSL_DOCUMENT = Path(__file__).resolve().parents[2] / "data" / "openssl.json"
TAG = "openssl - 3.5.3"
TAG_URL = "openssl%20-%203.5.3"


async def temporal_up() -> Status:
    return Status(True, "test")


async def no_temporal() -> Client:
    """Catalog tests run without Temporal: a route that needs it answers 503 at once."""
    raise Unavailable("no Temporal in this test")


def catalog_app(database: Database) -> FastAPI:
    return create_app(database, temporal=no_temporal, temporal_probe=temporal_up)


class Keys:
    """Authorization headers for a key of each scope, made in the app's database."""

    def __init__(self, database: Database) -> None:
        with database.session() as db:
            self.values = {scope: apikeys.create(db, f"test-{scope}", scope).key for scope in apikeys.SCOPES}

    def __getitem__(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.values[scope]}"}


def seed(database: Database) -> None:
    with database.session() as db:
        documents.import_document(db, json.loads(OPENSSL_DOCUMENT.read_text()))


@pytest.fixture
def app(sqlite_database: Database) -> FastAPI:
    return catalog_app(sqlite_database)


@pytest.fixture
def keys(sqlite_database: Database) -> Keys:
    return Keys(sqlite_database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin(keys: Keys) -> dict[str, str]:
    return keys["admin"]


@pytest.fixture
def reader(keys: Keys) -> dict[str, str]:
    return keys["read"]


@pytest.fixture
def seeded(sqlite_database: Database) -> Database:
    """The app's database holding the openssl catalog of data/openssl.json."""
    seed(sqlite_database)
    return sqlite_database


@pytest.fixture
def any_backend(database: Database) -> Iterator[tuple[TestClient, Keys]]:
    """A client and keys over SQLite and over PostgreSQL, for the flows that touch the database most."""
    with TestClient(catalog_app(database)) as test_client:
        yield test_client, Keys(database)



@dataclass
class Api:
    http: httpx.AsyncClient
    keys: Keys
    engine: Engine

    async def start_job(self, name: str, **params: Any) -> httpx.Response:
        return await self.http.post(f"/api/v1/jobs/{name}/runs", params=params, headers=self.keys["run"])

    async def run(self, run_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/runs/{run_id}", headers=self.keys["read"])
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def until_status(self, run_id: str, *wanted: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = await self.run(run_id)
            if run["status"] in wanted:
                return run
            await asyncio.sleep(0.05)
        raise AssertionError(f"run {run_id} never reached {wanted}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture(loop_scope="session")
async def api(engine: Engine) -> AsyncIterator[Api]:
    """The API served by uvicorn in this event loop, over the engine's database and Temporal."""

    async def connect() -> Client:
        return engine.client

    app = create_app(engine.database, temporal=connect, temporal_probe=temporal_up)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        assert not task.done(), "uvicorn did not start"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield Api(http, Keys(engine.database), engine)
    server.should_exit = True
    await task
