"""The processes that run jobs: a worker for some task queues, or a whole stack on one machine.

``oto worker`` serves queues against the configured Temporal; ``oto dev`` and ``oto demo`` start
an embedded Temporal dev server when none answers, then workers for every queue the catalog uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oto.services import executables

if TYPE_CHECKING:
    from oto.app.application import App
    from oto.engine.queues import QueueState


@dataclass
class LocalStack:
    """What ``Workers.local`` started: Temporal's address, its web UI (if it started one), the queues served."""

    address: str
    started: bool
    ui_address: str | None = None
    state_file: str | None = None
    queues: list[str] = field(default_factory=list)


class Workers:
    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    @staticmethod
    def configure_logs(*, json: bool) -> None:
        """Log lines as JSON objects naming their run, or as plain text."""
        from oto.engine import logs

        logs.configure(json=json)

    def queues(self, *first: str) -> list[str]:
        """``first``, then every task queue an executable of the catalog uses, each once."""
        found = [doc.task_queue for doc in self.database.call(executables.list_all)]
        return list(dict.fromkeys([*first, *found]))

    async def queue_states(self, queues: list[str]) -> tuple[list[QueueState], str | None]:
        """Each queue with the workers Temporal saw polling it lately, or none and why Temporal did not say."""
        from oto.engine.queues import seen

        return await seen(self.app.temporal, queues)

    async def serve(self, queues: list[str]) -> None:
        """Serve ``queues`` until SIGINT or SIGTERM (``oto worker``), syncing schedules first."""
        from oto.engine.client import connect
        from oto.engine.worker import run_worker, sdk_runtime

        self.database.check_schema()
        client = await connect(runtime=sdk_runtime())  # the SDK's own metrics with OTO_METRICS_PORT
        await run_worker(queues, client=client, database=self.database)

    @asynccontextmanager
    async def local(self, *, ui: bool, any_port: bool = False, queues: list[str] | None = None,
                    sync_schedules: bool = True) -> AsyncIterator[LocalStack]:
        """Temporal (the configured one if it answers, else an embedded dev server) and workers for
        ``queues`` (default: every queue of the catalog), until the block ends. The app then talks
        to that Temporal."""
        from oto.engine import stack
        from oto.engine.client import connect
        from oto.engine.schedules import sync_on_start
        from oto.engine.worker import serving

        async with stack.temporal(ui=ui, any_port=any_port) as (address, server):
            client = await connect(address)
            self.app.use_temporal(client)
            if sync_schedules:
                await sync_on_start(client, self.database)
            served = queues if queues is not None else self.queues()
            async with serving(client, served, self.database):
                yield LocalStack(address, server is not None, server.ui_address if server else None,
                                 str(server.db_file) if server else None, served)
