"""``oto doctor``: is everything a run needs in place? One check a line, each saying what to do.

The database (reachable, at the schema this OTO expects), Temporal (answering), a worker on each
task queue an executable uses (Temporal saw one poll it lately), each executable's program on this
machine, and the API (answering ``/health`` at OTO_API_HOST:OTO_API_PORT).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oto.services import executables
from oto.settings import get_settings

if TYPE_CHECKING:
    from oto.app.application import App

API_TIMEOUT = 3.0


@dataclass(frozen=True)
class Check:
    """One thing checked: what, whether it holds, and what was found (or what to do)."""

    what: str
    ok: bool
    detail: str


async def examine(app: App) -> list[Check]:
    """Every check, in the order a newcomer fixes them (database first: the rest read it)."""
    found: list[Check] = []
    database = await asyncio.to_thread(app.database_status)
    found.append(Check("database", database.ok, database.detail if not database.ok else
                       f"{database.detail} (schema {app.database.current_revision()})"))
    docs = await asyncio.to_thread(app.database.call, executables.list_all) if database.ok else []
    temporal = await app.temporal_status()
    found.append(Check("temporal", temporal.ok, temporal.detail))
    queues = list(dict.fromkeys(d.task_queue for d in docs))
    if temporal.ok and queues:
        states, problem = await app.workers.queue_states(queues)
        if problem is not None:
            found.append(Check("workers", False, problem))
        for state in states:
            names = ", ".join(p.identity for p in state.pollers)
            found.append(Check(f"workers of queue {state.name}", bool(state.pollers),
                               f"seen: {names}" if state.pollers else
                               f"none seen lately: start one with `oto worker --task-queue {state.name}`"))
    for doc in docs:
        runnable = os.path.isfile(doc.path) and os.access(doc.path, os.X_OK)
        found.append(Check(f"executable {doc.tag}", runnable, doc.path if runnable else
                           f"{doc.path} is not an executable file on this machine (fine if no worker here "
                           f"serves queue {doc.task_queue}; else install it or `oto executable edit --path`)"))
    found.append(await _api())
    return found


async def _api() -> Check:
    import httpx

    settings = get_settings()
    url = f"http://{settings.api_host}:{settings.api_port}/health"
    try:
        async with httpx.AsyncClient(timeout=API_TIMEOUT) as client:
            answer = await client.get(url)
    except httpx.HTTPError as error:
        return Check("api", False, f"no answer at {url} ({type(error).__name__}): start it with `oto serve`")
    if answer.status_code != 200:
        return Check("api", False, f"{url} answered {answer.status_code}: {answer.text[:200]}")
    return Check("api", True, url)
