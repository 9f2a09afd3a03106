"""Shared fixtures: a fresh OTO database per test (SQLite and PostgreSQL), Temporal, and a worker.

Nothing is mocked: runs go through the embedded ``temporal server start-dev`` exactly as they do
under ``oto dev``. Each test gets its own task queue, database and OTO_HOME, so a worker of one
test never picks up another test's work.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from temporalio.client import Client

from oto.engine.devserver import DevServer
from oto.engine.worker import serving
from oto.services.database import Database
from oto.settings import get_settings
from tests.support import POSTGRES_URL
from tests.support.engine import Engine, use_home


@pytest.fixture(autouse=True)
def oto_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own OTO_HOME, so nothing leaks into ~/.oto."""
    home = tmp_path / "oto-home"
    monkeypatch.setenv("OTO_HOME", str(home))
    monkeypatch.delenv("OTO_DATABASE_URL", raising=False)
    monkeypatch.delenv("OTO_SECRET_KEY", raising=False)
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


async def _engine(client: Client, database: Database, home: Path, monkeypatch: pytest.MonkeyPatch,
                  is_root: bool | None = None) -> AsyncIterator[Engine]:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    use_home(monkeypatch, queue)
    async with serving(client, [queue], database, is_root=is_root):
        yield Engine(client, database, queue, home)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(temporal_client: Client, sqlite_database: Database, oto_home: Path,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Engine]:
    """An in-process worker on a fresh task queue over the test's SQLite database."""
    async for value in _engine(temporal_client, sqlite_database, oto_home, monkeypatch):
        yield value


@pytest_asyncio.fixture(loop_scope="session")
async def user_engine(temporal_client: Client, sqlite_database: Database, oto_home: Path,
                      monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Engine]:
    """The same, with a worker that does not run as root (whoever runs the tests)."""
    async for value in _engine(temporal_client, sqlite_database, oto_home, monkeypatch, is_root=False):
        yield value


@pytest_asyncio.fixture(loop_scope="session")
async def root_engine(temporal_client: Client, sqlite_database: Database, oto_home: Path,
                      monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Engine]:
    """The same, with a worker that runs jobs as root (whoever runs the tests: the jobs must not need it)."""
    async for value in _engine(temporal_client, sqlite_database, oto_home, monkeypatch, is_root=True):
        yield value


@pytest_asyncio.fixture(loop_scope="session")
async def any_engine(temporal_client: Client, database: Database, oto_home: Path,
                     monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Engine]:
    """The same, once on SQLite and once on PostgreSQL."""
    async for value in _engine(temporal_client, database, oto_home, monkeypatch):
        yield value
