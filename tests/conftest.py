"""Shared fixtures: a fresh OTO database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from temporalio.client import Client

from oto.engine.devserver import DevServer
from oto.services.database import Database
from oto.settings import get_settings

POSTGRES_URL = os.environ.get("OTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed"
DATA = Path(__file__).resolve().parents[1] / "data"


def seed_path(name: str) -> Path:
    """The seed catalogs live in shared/ beside the project; CI lays a copy there too."""
    for folder in (SEED, Path(os.environ.get("OTO_SEED_DIR", "/nonexistent"))):
        if (folder / name).exists():
            return folder / name
    pytest.fail(f"seed catalog {name} not found in {SEED}")


@pytest.fixture(autouse=True)
def oto_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own OTO_HOME, so nothing leaks into ~/.oto."""
    home = tmp_path / "oto-home"
    monkeypatch.setenv("OTO_HOME", str(home))
    monkeypatch.delenv("OTO_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def _sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'oto-test.db'}")
    database.upgrade()
    yield database
    database.dispose()


def _postgres_database() -> Iterator[Database]:
    schema = f"oto_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not answering at {POSTGRES_URL}: {error.orig}")
    database = Database(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty OTO database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_database(tmp_path)
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    yield from _sqlite_database(tmp_path)


# Small enough that a routine hopping between queues a few dozen times must continue-as-new.
SUGGEST_CONTINUE_AS_NEW = 150


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    """One real Temporal dev server for the whole session, shared by every folder of tests."""
    folder = tmp_path_factory.mktemp("temporal")
    server = DevServer(db_file=folder / "temporal.db", log_file=folder / "temporal.log",
                       dynamic_config={"limit.historyCount.suggestContinueAsNew": SUGGEST_CONTINUE_AS_NEW})
    await server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_client(temporal: DevServer) -> Client:
    return await Client.connect(temporal.address)
