"""A real Temporal dev server for the whole session, and an in-process worker per test.

Nothing here is mocked: runs go through the embedded ``temporal server start-dev`` exactly as
they do under ``oto dev``. Each test gets its own task queue, database and OTO_HOME, so a
worker of one test never picks up another test's work.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client

from oto.app import App
from oto.engine import client as engine_client
from oto.engine.worker import serving
from oto.services import documents
from oto.services.database import Database
from oto.settings import get_settings


def processes_in(folder: str | Path) -> list[int]:
    """Live processes whose working folder is ``folder`` (a run's processes all start there)."""
    found = []
    target = os.path.realpath(folder)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") == target:
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _param(flag: str, tag: str, **fields: Any) -> dict[str, Any]:
    return {"flag": flag, "executable_tag": tag, "value_type": "string", **fields}


@dataclass
class Engine:
    """One test's OTO: its database, task queue and worker, with shortcuts to make jobs."""

    client: Client
    database: Database
    queue: str
    home: Path

    @property
    def app(self) -> App:
        """The application over this test's database and Temporal client."""
        app = App(self.database)
        app.use_temporal(self.client)
        return app

    def load(self, document: dict[str, Any]) -> None:
        with self.database.session() as db:
            documents.import_document(db, {"oto": 1, **document})

    def job(self, name: str, command: str, **values: str) -> None:
        self.load({"jobs": [{"name": name, "command": command, "values": values}]})

    def sh(self, name: str, script: str, *, queue: str | None = None) -> None:
        """A job running ``/bin/sh -c SCRIPT`` (the job's own choice of program, not OTO using a shell)."""
        shell = f"sh-{queue or self.queue}"
        self.command(shell, "/bin/sh", ["-c"], queue)
        self.load({"jobs": [{"name": name, "command": shell, "values": {"-c": script}}]})

    def sleep(self, name: str, seconds: str) -> None:
        self.command("sleep", "/bin/sleep", ["seconds"], None, positional=frozenset({"seconds"}))
        self.load({"jobs": [{"name": name, "command": "sleep", "values": {"seconds": seconds}}]})

    def python(self, name: str, code: str, arg: str) -> None:
        self.command("python", sys.executable, ["-c", "arg"], None, positional=frozenset({"arg"}))
        self.load({"jobs": [{"name": name, "command": "python", "values": {"-c": code, "arg": arg}}]})

    def command(self, name: str, path: str, flags: list[str], queue: str | None,
                positional: frozenset[str] = frozenset(), root: bool = False) -> None:
        """An executable at ``path`` (on this test's queue unless told) and a command of both the same name."""
        tag = f"{name} - 1"
        self.load({
            "executables": [{"name": name, "version": "1", "path": path, "task_queue": queue or self.queue}],
            "parameters": [_param(f, tag, style="positional" if f in positional else "separate") for f in flags],
            "commands": [{"name": name, "executable_tag": tag, "requires_root": root, "parameters": flags}],
        })

    def routine(self, name: str, steps: list[tuple[str, str, list[str]]]) -> None:
        self.load({"routines": [{"name": name, "steps": [{"id": i, "job": j, "after": a} for i, j, a in steps]}]})

    async def run_job(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        run_id = await self.submit_job(name, timeout=timeout)
        return await self.wait(run_id)

    async def submit_job(self, name: str, timeout: float | None = None) -> str:
        return await engine_client.submit_job(name, timeout=timeout, client=self.client, database=self.database)

    async def run_routine(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        return await self.wait(await self.submit_routine(name, timeout=timeout))

    async def submit_routine(self, name: str, timeout: float | None = None) -> str:
        return await engine_client.submit_routine(name, timeout=timeout, client=self.client, database=self.database)

    async def wait(self, run_id: str) -> dict[str, Any]:
        return await engine_client.wait(run_id, client=self.client, database=self.database)


def use_home(monkeypatch: pytest.MonkeyPatch, queue: str, **env: str) -> None:
    monkeypatch.setenv("OTO_TASK_QUEUE", queue)
    monkeypatch.setenv("OTO_KILL_GRACE", env.pop("kill_grace", "1"))
    for key, value in env.items():
        monkeypatch.setenv(f"OTO_{key.upper()}", value)
    get_settings.cache_clear()


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
