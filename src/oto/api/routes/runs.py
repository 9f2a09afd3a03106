"""Runs: start jobs, routines and ad-hoc combinations on Temporal, follow, list and cancel them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from oto.api.auth import READ, RUN, AdminKey, RunKey
from oto.api.deps import NO_QUERY, AppDep, Name, NameFilter, Paging, QueryModel
from oto.api.models import AdHocRun, RunDetail, RunPage, RunSummary, RunValues, ScheduleFireSent, json_model
from oto.api.problems import responses
from oto.app import App
from oto.app.catalog import MAX_LIMIT
from oto.app.keys import KeyInfo
from oto.app.runs import MAX_TIMEOUT, AdHoc
from oto.app.schedules import trigger_of

router = APIRouter(tags=["runs"])
PRUNE_SHOWN = 1000


class StartQuery(QueryModel):
    wait: bool = Field(False, description="Answer when the run has ended (200), not when it is queued (202)")
    timeout: float | None = Field(None, gt=0, le=MAX_TIMEOUT, description="Stop this run after so many seconds")


class RoutineStartQuery(StartQuery):
    timeout: float | None = Field(
        None, gt=0, le=MAX_TIMEOUT, description="Stop the whole routine run after so many seconds from its "
        "start: its running steps are cancelled, the rest never start, and it ends timed_out")


class RunQuery(Paging):
    status: NameFilter = None
    job: NameFilter = None
    routine: NameFilter = None
    trigger: NameFilter = None
    kind: NameFilter = None
    after: str | None = Field(None, min_length=1, max_length=500, description=(
        "The previous page's ``next_after``: the runs listed after it (a keyset cursor, as fast at any "
        "depth as the first page; not with ``offset``)"))
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many items at most")


class RerunQuery(QueryModel):
    wait: bool = Field(False, description="Answer when the new run has ended (200), not when it is queued (202)")
    failed_only: bool = Field(False, description="A routine run that ended: run again only its steps that did "
                              "not succeed and those after them, in its folder; the others are carried over")


Start = Annotated[StartQuery, Query()]

STARTED = responses(401, 403, 404, 422, 503) | {
    200: {"model": RunDetail, "description": "With wait: the run has ended"},
    202: {"model": RunDetail, "description": "Queued"},
}


def _trigger(key: KeyInfo) -> str:
    return f"api:{key.name}"


async def _answer(app: App, run_id: str, wait: bool, response: Response) -> RunDetail:
    if wait:
        view = await app.runs.wait(run_id, started=True)
        response.status_code = 200
    else:
        view = await run_in_threadpool(app.runs.get, run_id)
        response.status_code = 202
    return RunDetail.model_validate(view)


@router.post("/jobs/{name}/runs", status_code=202, responses=STARTED)
async def run_job(response: Response, app: AppDep, name: Name, key: RunKey, query: Start,
                  body: Annotated[RunValues | None, Body()] = None) -> RunDetail:
    """Start a job on Temporal: 202 with the queued run, or with ``wait`` 200 with its end.

    A job with inputs takes their values in the body: ``{"values": {"HOST": "10.0.0.5"}}``."""
    values = body.values if body is not None else {}
    run_id = await app.runs.submit_job(name, trigger=_trigger(key), timeout=query.timeout, values=values)
    return await _answer(app, run_id, query.wait, response)


@router.post("/routines/{name}/runs", status_code=202, responses=STARTED)
async def run_routine(
    response: Response, app: AppDep, name: Name, key: RunKey, query: Annotated[RoutineStartQuery, Query()],
    body: Annotated[RunValues | None, Body()] = None,
) -> RunDetail:
    """Start a routine on Temporal: 202 with the queued run and its steps, or with ``wait`` 200 at its end.

    A routine with inputs takes their values in the body: ``{"values": {"host": "10.0.0.5"}}``."""
    values = body.values if body is not None else {}
    run_id = await app.runs.submit_routine(name, trigger=_trigger(key), timeout=query.timeout, values=values)
    return await _answer(app, run_id, query.wait, response)


@router.post("/run", status_code=202, responses=STARTED)
async def run_adhoc(response: Response, app: AppDep, body: AdHocRun, key: AdminKey, query: Start) -> RunDetail:
    """Run an executable's flags with values once, after the engine's verdict and the value checks.

    No command or job is saved. Refused with 422 and the engine's ``violations`` when the flags
    do not match. It needs scope admin: choosing any flags and values is defining a job.
    """
    combination = AdHoc(body.executable_tag, body.parameters, body.values)
    run_id = await app.runs.submit_adhoc(combination, trigger=_trigger(key), timeout=query.timeout)
    return await _answer(app, run_id, query.wait, response)


TRIGGERED = responses(401, 403, 404, 422, 503) | {
    202: {"description": "The run the fire started; or, when no worker recorded it in time, the fire sent"},
}
TRIGGER_WAIT = 5.0


@router.post("/schedules/{name}/trigger", status_code=202, dependencies=[RUN, NO_QUERY], responses=TRIGGERED)
async def trigger_schedule(app: AppDep, name: Name) -> RunDetail | ScheduleFireSent:
    """Fire a schedule on Temporal now, once, even when paused (its next planned time is unchanged).

    The fire counts among the schedule's actions and its run has trigger ``schedule:<name>``. 202
    with that run once a worker has recorded it; if none has within a few seconds, 202 saying the
    fire was sent (its run appears when a worker serves the queue).
    """
    run_id = await app.schedules.trigger(name, wait=TRIGGER_WAIT)
    if run_id is None:
        return ScheduleFireSent(
            schedule=name, trigger=trigger_of(name),
            detail="the fire was sent to Temporal; no worker has recorded its run yet",
        )
    return RunDetail.model_validate(await run_in_threadpool(app.runs.get, run_id))


@router.get("/runs", response_model=RunPage, dependencies=[READ], responses=responses(401, 403, 422))
def list_runs(app: AppDep, query: Annotated[RunQuery, Query()]) -> Response:
    """Runs newest first, filtered by status, job, routine, trigger or kind (job, routine, step).

    Page with ``after`` (each page's ``next_after``) at any depth; ``offset`` costs as much as the
    runs it skips. ``total`` is exact up to 10,000 runs; past that ``total_exact`` is false.
    """
    page = app.runs.page(status=query.status, job=query.job, routine=query.routine, trigger=query.trigger,
                          kind=query.kind, after=query.after, offset=query.offset, limit=query.limit)
    return json_model(RunPage(items=[RunSummary.model_validate(v) for v in page.items], total=page.total,
                             total_exact=page.total_exact, offset=page.offset, limit=page.limit,
                             next_after=page.next_after))


@router.get("/runs/{run_id}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_run(app: AppDep, run_id: Name) -> RunDetail:
    """A run with its argv, status, exit code, times, output and (for a routine) its steps."""
    return RunDetail.model_validate(app.runs.get(run_id))


@router.post("/runs/{run_id}/cancel", status_code=202, dependencies=[NO_QUERY],
             responses=responses(401, 403, 404, 422, 503))
async def cancel_run(app: AppDep, run_id: Name, key: RunKey) -> RunDetail:
    """Ask Temporal to cancel a queued or running run; it ends ``cancelled`` once its processes are gone."""
    run_id = await app.runs.cancel(run_id)
    return RunDetail.model_validate(await run_in_threadpool(app.runs.get, run_id))


@router.post("/runs/{run_id}/rerun", status_code=202, responses=STARTED)
async def rerun(response: Response, app: AppDep, run_id: Name, key: RunKey,
                query: Annotated[RerunQuery, Query()]) -> RunDetail:
    """Run a job or routine run's target again, as a new run whose ``rerun_of`` names this one."""
    new_id = await app.runs.rerun(run_id, trigger=_trigger(key), failed_only=query.failed_only)
    return await _answer(app, new_id, query.wait, response)


class PruneQuery(QueryModel):
    older_than: str | None = Field(None, max_length=50, description="Runs that ended longer ago than this (30d, 12h)")
    keep_last: int | None = Field(None, ge=0, le=1_000_000,
                                  description="Keep the newest N final runs of each job and routine")
    status: list[Annotated[str, Field(max_length=20)]] = Field(
        [], max_length=4, description="Only runs that ended so (succeeded, failed, timed_out, cancelled); repeatable")
    dry_run: bool = Field(False, description="Say what would go; remove nothing")


class PruneReport(BaseModel):
    dry_run: bool
    count: int = Field(description="How many runs went (or would go)")
    bytes: int = Field(description="Bytes of output, run folders and artifacts freed (or that would be)")
    runs: list[dict[str, object]] = Field(description=f"The first {PRUNE_SHOWN} of them, oldest first")


@router.delete("/runs", responses=responses(401, 403, 422))
async def prune_runs(app: AppDep, key: AdminKey, query: Annotated[PruneQuery, Query()]) -> PruneReport:
    """Delete final runs (records, output, run folders and artifacts on this host) as ``oto run prune``
    does: those older than ``older_than`` and beyond the newest ``keep_last`` of each job and routine.
    A queued or running run never goes."""
    pruned = await run_in_threadpool(app.runs.prune, older_than=query.older_than, keep_last=query.keep_last,
                                     statuses=query.status, dry_run=query.dry_run)
    shown = replace(pruned, runs=pruned.runs[:PRUNE_SHOWN]).to_dict()
    return PruneReport.model_validate(shown | {"count": len(pruned.runs)})


def _followed(app: AppDep, run_id: Name, _: Annotated[None, NO_QUERY]) -> str:
    """The run whose log is asked for: an unknown one is a 404 before the stream starts (once the
    query, checked first, is known to be right)."""
    return app.runs.check_followable(run_id)


FollowedRun = Annotated[str, Depends(_followed)]


@router.get(
    "/runs/{run_id}/logs", dependencies=[READ], response_class=EventSourceResponse,
    responses=responses(401, 403, 404, 422),
)
async def run_logs(app: AppDep, run_id: FollowedRun) -> AsyncIterator[ServerSentEvent]:
    """The run's stdout and stderr as server-sent events, live while it runs, to its end.

    Events: ``status`` (the run or a step changed status), ``stdout`` and ``stderr`` (``text``
    with the ``run_id`` and ``step`` it came from) and a last ``end`` with the final status.
    A comment line keeps a quiet stream open through proxies.
    """
    async for event in app.runs.follow(run_id):
        yield ServerSentEvent(event=event.kind, data=event.data)
