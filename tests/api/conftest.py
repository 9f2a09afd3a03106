"""An API over a fresh database, with one key of each scope."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
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


# The engine's real Temporal dev server and in-process worker, shared with the run tests here.
from tests.engine.conftest import engine, temporal, temporal_client  # noqa: E402, F401
