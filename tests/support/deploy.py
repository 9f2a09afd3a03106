"""The production shape on one machine: ``oto serve`` and ``oto worker`` as separate processes.

A ``Stack`` is one deployment (OTO on PostgreSQL, a Temporal server, its API and workers) that a
test starts, kills and restarts; it talks to the API over HTTP like any client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from oto.engine.devserver import free_port
from oto.services import apikeys, documents
from oto.services.database import Database
from tests.support import until

FINAL = {"succeeded", "failed", "timed_out", "cancelled", "skipped"}


class Service:
    """One ``python -m oto ...`` process with its log, as a process supervisor would run it."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with open(self.log, "ab") as log:
            log.write(f"--- start {' '.join(self.argv)}\n".encode())
            log.flush()
            self.process = subprocess.Popen([sys.executable, "-m", "oto", *self.argv], env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, number: int) -> None:
        assert self.process is not None and self.process.poll() is None, f"{self.name} is not running"
        self.process.send_signal(number)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Api(Service):
    def __init__(self, env: dict[str, str], log: Path, key: str) -> None:
        self.port = free_port()
        super().__init__("api", ["serve", "--port", str(self.port), "--log-level", "warning"], env, log)
        self.key = key

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"{self.url}/api/v1", timeout=timeout,
                                 headers={"Authorization": f"Bearer {self.key}"})

    async def ready(self, timeout: float = 30.0) -> None:
        async def answers() -> bool:
            assert self.running(), f"the API exited:\n{self.log_text()[-2000:]}"
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    return (await http.get(f"{self.url}/health")).status_code in (200, 503)
            except httpx.TransportError:
                return False

        await until(answers, timeout=timeout, what="the API to answer")


class Stack:
    """One OTO deployment: its home, database, Temporal, API and workers."""

    def __init__(self, home: Path, database_url: str, temporal_address: str, *, services_reach: str | None = None
                 ) -> None:
        """``services_reach``: the URL the API and workers use when it is not ``database_url`` (a proxy)."""
        self.home, self.temporal_address = home, temporal_address
        self.database_url = services_reach or database_url
        self.services: list[Service] = []
        self.database = Database(database_url)  # the test's own view, never through a proxy
        self.database.upgrade()
        with self.database.session() as db:
            self.admin_key = apikeys.create(db, "ops", "admin").key

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTO_")}
        env |= {"OTO_HOME": str(self.home), "OTO_DATABASE_URL": self.database_url,
                "OTO_TEMPORAL_ADDRESS": self.temporal_address, "OTO_KILL_GRACE": "1"}
        return env | {f"OTO_{k.upper()}": v for k, v in overrides.items()}

    def load(self, document: dict[str, Any]) -> None:
        with self.database.session() as db:
            documents.import_document(db, {"oto": 1, **document})

    def _add(self, service: Service) -> Service:
        self.services.append(service)
        return service.start()

    async def api(self, **env: str) -> Api:
        api = Api(self.env(**env), self.home.parent / "api.log", self.admin_key)
        self._add(api)
        await api.ready()
        return api

    async def worker(self, queue: str, **env: str) -> Service:
        log = self.home.parent / f"worker-{queue}.log"
        before = log.read_text(errors="replace").count("worker serving") if log.exists() else 0
        worker = self._add(Service(f"worker {queue}", ["worker", "--task-queue", queue], self.env(**env), log))

        async def serving() -> bool:
            assert worker.running(), f"the worker exited:\n{worker.log_text()[-2000:]}"
            return worker.log_text().count("worker serving") > before

        await until(serving, timeout=30, what=f"the worker of {queue} to start")
        return worker

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.database.dispose()

    def logs(self) -> str:
        """Every service's log, for a failing assertion's message."""
        seen = {s.log for s in self.services}
        return "\n".join(f"== {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in sorted(seen))


SLEEP_THEN_PRINT = "import sys, time; time.sleep(float(sys.argv[1])); print('slept', sys.argv[1])"


def catalog(jobs: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """An executable per task queue running Python, and jobs ``{name: (queue, seconds)}`` on them.

    Each job sleeps that long and prints ``slept <seconds>``: a complete record holds that line.
    """
    document: dict[str, Any] = {"executables": [], "parameters": [], "commands": [], "jobs": []}
    for queue in sorted({queue for queue, _ in jobs.values()}):
        name, tag = f"py-{queue}", f"py-{queue} - 1"
        document["executables"].append({"name": name, "version": "1", "path": sys.executable, "task_queue": queue})
        document["parameters"] += [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "seconds", "executable_tag": tag, "value_type": "string", "style": "positional"},
        ]
        document["commands"].append({"name": name, "executable_tag": tag, "parameters": ["-c", "seconds"]})
    document["jobs"] = [{"name": job, "command": f"py-{queue}", "values": {"-c": SLEEP_THEN_PRINT, "seconds": seconds}}
                        for job, (queue, seconds) in jobs.items()]
    return document


@contextlib.asynccontextmanager
async def deployed(home: Path, database_url: str, temporal_address: str, *, services_reach: str | None = None
                   ) -> AsyncIterator[Stack]:
    """A Stack whose processes are all stopped at the end, whatever the test did to them."""
    deployment = Stack(home, database_url, temporal_address, services_reach=services_reach)
    try:
        yield deployment
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(deployment.stop)
