"""One test's OTO on the real Temporal dev server: its database, task queue, worker, and shortcuts."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from oto.app import App
from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.services import documents, runs
from oto.services.database import Database
from oto.settings import get_settings
from tests.support.cli import Result


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


def status(engine: Engine, run_id: str) -> str:
    """A run's status as its record has it now."""
    with engine.database.session() as db:
        return str(runs.get(db, run_id)["status"])


def at(value: str) -> datetime:
    """A time as a run's record shows it."""
    return datetime.fromisoformat(value)


def by_step(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A routine run's steps by their ids."""
    return {s["step"]: s for s in run["steps"]}


async def oto_process(engine: Engine, temporal: DevServer, *args: str, **env: str) -> Result:
    """``python -m oto ARGS`` as its own process, on the engine's database, queue and Temporal."""
    environment = os.environ | {
        "OTO_HOME": str(engine.home), "OTO_DATABASE_URL": engine.database.url, "COLUMNS": "200",
        "OTO_TEMPORAL_ADDRESS": temporal.address, "OTO_TASK_QUEUE": engine.queue, **env,
    }
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "oto", *args, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())
