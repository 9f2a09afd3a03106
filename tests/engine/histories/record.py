"""Record the Temporal histories that ``test_replay.py`` replays: one per shape of workflow run.

Run it with the version of OTO whose histories must keep replaying (the one deployed), before
changing a workflow or a payload, and keep what it writes beside it:

    git archive <commit> src | tar -x -C /tmp/old-oto
    PYTHONPATH=/tmp/old-oto/src .venv/bin/python tests/engine/histories/record.py

It only uses what every version has: the dev server, the documents, the worker and the client.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _catalog(q1: str, q2: str) -> dict[str, Any]:
    def exe(name: str, path: str, queue: str) -> dict[str, Any]:
        return {"name": name, "version": "1", "path": path, "task_queue": queue}

    def param(flag: str, tag: str, style: str) -> dict[str, Any]:
        return {"flag": flag, "executable_tag": tag, "value_type": "string", "style": style}

    return {
        "oto": 1,
        "executables": [exe("sh", "/bin/sh", q1), exe("sh2", "/bin/sh", q2)],
        "parameters": [param("-c", "sh - 1", "separate"), param("-c", "sh2 - 1", "separate")],
        "commands": [{"name": "sh", "executable_tag": "sh - 1", "parameters": ["-c"]},
                     {"name": "sh2", "executable_tag": "sh2 - 1", "parameters": ["-c"]}],
        "jobs": [
            {"name": "quick", "command": "sh", "values": {"-c": "echo hi"}},
            {"name": "watched", "command": "sh", "values": {"-c": "sleep 1.5"}},
            {"name": "failing", "command": "sh", "values": {"-c": "exit 3"}},
            {"name": "long", "command": "sh", "values": {"-c": "sleep 30"}},
            {"name": "elsewhere", "command": "sh2", "values": {"-c": "echo there"}},
        ],
        "routines": [
            {"name": "hops", "steps": [
                {"id": "a", "job": "quick"}, {"id": "b", "job": "elsewhere", "after": ["a"]},
                {"id": "c", "job": "failing", "after": ["a"]}, {"id": "d", "job": "quick", "after": ["c"]}]},
            {"name": "slow", "steps": [{"id": "first", "job": "long"}, {"id": "second", "job": "quick",
                                                                        "after": ["first"]}]},
        ],
        "schedules": [{"name": "nightly-job", "job": "quick", "cron": "0 3 * * *"},
                      {"name": "nightly-routine", "routine": "hops", "cron": "0 4 * * *"}],
    }


async def main() -> None:
    from temporalio.client import Client

    from oto.domain.runs import ScheduledInput
    from oto.engine import client as oto
    from oto.engine.contracts import SCHEDULED_WORKFLOW
    from oto.engine.devserver import DevServer
    from oto.engine.worker import serving
    from oto.services import documents
    from oto.services.database import Database
    from oto.settings import get_settings

    folder = Path(tempfile.mkdtemp(prefix="oto-histories-"))
    q1, q2 = "replay-one", "replay-two"
    os.environ |= {"OTO_HOME": str(folder / "home"), "OTO_TASK_QUEUE": q1, "OTO_KILL_GRACE": "1"}
    get_settings.cache_clear()
    server = DevServer(db_file=folder / "temporal.db", log_file=folder / "temporal.log")
    await server.start()
    database = Database(f"sqlite:///{folder / 'oto.db'}")
    database.upgrade()
    with database.session() as db:
        documents.import_document(db, _catalog(q1, q2))
    client = await Client.connect(server.address)
    made: dict[str, str] = {}
    try:
        async with serving(client, [q1, q2], database):
            for name in ("quick", "watched", "failing"):
                made[f"job-{name}"] = run_id = await oto.submit_job(name, client=client, database=database)
                await oto.wait(run_id, client=client, database=database)
            made["job-cancelled"] = run_id = await oto.submit_job("long", client=client, database=database)
            await asyncio.sleep(2.5)  # past its first second: a watch is running
            await oto.cancel(run_id, client=client, database=database)
            await oto.wait(run_id, client=client, database=database)
            made["routine-hops"] = run_id = await oto.submit_routine("hops", client=client, database=database)
            await oto.wait(run_id, client=client, database=database)
            made["routine-timed-out"] = run_id = await oto.submit_routine("slow", timeout=2, client=client,
                                                                          database=database)
            await oto.wait(run_id, client=client, database=database)
            made["routine-cancelled"] = run_id = await oto.submit_routine("slow", client=client, database=database)
            await asyncio.sleep(2.5)
            await oto.cancel(run_id, client=client, database=database)
            await oto.wait(run_id, client=client, database=database)
            for kind, name, target in (("job", "nightly-job", "quick"), ("routine", "nightly-routine", "hops")):
                fire = f"oto-schedule-{name}-{uuid.uuid4().hex[:8]}"
                handle = await client.start_workflow(SCHEDULED_WORKFLOW, ScheduledInput(name, kind, target), id=fire,
                                                     task_queue=q1)
                await handle.result()
                made[f"scheduled-{kind}"] = fire
                made[f"scheduled-{kind}-run"] = await handle.query("run_id")
        for shape, workflow_id in made.items():
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            (HERE / f"{shape}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
            print(shape, workflow_id, file=sys.stderr)
    finally:
        database.dispose()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
