"""Submitting an ad-hoc run (``POST /api/v1/run``) the way ``client.submit_job`` submits a saved job."""

from __future__ import annotations

from temporalio.client import Client

from oto.engine import client as engine_client
from oto.engine import contracts as c
from oto.services import adhoc
from oto.services.database import Database


async def submit(request: adhoc.AdHoc, *, trigger: str, timeout: float | None = None,
                 client: Client | None = None, database: Database | None = None) -> str:
    """Check the combination, queue its run and start its workflow; returns the run id at once."""
    # Refuse bad input before asking Temporal for anything: a 422 should not wait on a connection.
    # (client's private helpers on purpose: one way to reach the database and to start a workflow.)
    await engine_client._in_db(database, adhoc.resolve, request)
    client = client or await engine_client.connect()
    run = await engine_client._in_db(database, adhoc.create_run, request, trigger=trigger, timeout=timeout)
    spec = run.spec
    await engine_client._start(
        client, database, run.id, c.JOB_WORKFLOW, c.JobInput(run.id, spec["timeout"], spec["kill_grace"]),
        run.task_queue, f"ad hoc run of {request.executable_tag}",
    )
    return str(run.id)
