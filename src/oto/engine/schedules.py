"""OTO's schedules on Temporal: each schedule of the database kept in step with a Temporal Schedule.

Temporal fires schedules (no timer loop of OTO's), so they survive restarts and scale with the
cluster. The Temporal Schedule of OTO schedule ``NAME`` has the id ``oto-schedule-NAME``; its
action starts ``ScheduledRunWorkflow`` (``oto.engine.workflows``) on OTO_TASK_QUEUE as it was
when the schedule was written, and each fire's run then runs on its target's own task queue.

This module is Temporal's side: how a schedule is built, written, described and kept in step.
Changes that must reach the database and Temporal together (both places or neither) are made
by ``oto.app.schedules``. ``sync`` (``oto schedule sync``, and every worker at start) recreates
the Temporal schedules missing from the server, rewrites the ones that differ from the database,
and reports (or with ``prune`` deletes) the ``oto-schedule-*`` schedules the database does not know.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from oto.domain.documents import ScheduleDoc
from oto.domain.runs import PruneInput, ScheduledInput
from oto.domain.valuetypes import parse_duration
from oto.engine.contracts import RETENTION_SCHEDULE, RETENTION_WORKFLOW, SCHEDULED_WORKFLOW
from oto.errors import InvalidInput, OtoError, Unavailable
from oto.services import schedules
from oto.services.database import Database
from oto.settings import get_settings

log = logging.getLogger(__name__)

ID_PREFIX = "oto-schedule-"
REVISION_MEMO = "oto_revision"
# Bump when the shape of OTO's Temporal schedules changes: sync then rewrites them all.
LAYOUT = 1
OVERLAP = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
    "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
}
# A backfill may also queue every fire of its range, one after another.
BACKFILL_OVERLAP = {**OVERLAP, "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL}
PAUSED_NOTE = "paused with OTO"
RESUMED_NOTE = "resumed with OTO"
POLL = 0.1


def schedule_id(name: str) -> str:
    """The id of OTO schedule ``name`` on Temporal."""
    return f"{ID_PREFIX}{name}"


def name_of(temporal_id: str) -> str | None:
    """The OTO schedule a Temporal schedule id belongs to, or None when it is not OTO's."""
    return temporal_id[len(ID_PREFIX):] if temporal_id.startswith(ID_PREFIX) else None


def _seconds(text: str | None) -> timedelta | None:
    return None if text is None else timedelta(seconds=parse_duration(text))


def revision(doc: ScheduleDoc, task_queue: str) -> str:
    """A digest of everything the Temporal schedule is built from, but its state (paused, note)."""
    shape = {k: v for k, v in schedules.normalized(doc).to_document().items() if k not in ("paused", "note")}
    text = json.dumps({"layout": LAYOUT, "queue": task_queue, "schedule": shape}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def build(doc: ScheduleDoc, task_queue: str | None = None) -> Schedule:
    """The Temporal Schedule of an OTO schedule."""
    doc = schedules.normalized(doc)
    queue = task_queue or get_settings().task_queue
    kind, target = ("job", doc.job) if doc.job is not None else ("routine", doc.routine)
    action = ScheduleActionStartWorkflow(
        SCHEDULED_WORKFLOW, ScheduledInput(doc.name, kind, str(target)), id=schedule_id(doc.name),
        task_queue=queue, memo={REVISION_MEMO: revision(doc, queue)},
        static_summary=f"{kind} {target} (schedule {doc.name})",
    )
    every = _seconds(doc.every)
    spec = ScheduleSpec(
        cron_expressions=[doc.cron] if doc.cron is not None else [],
        intervals=[ScheduleIntervalSpec(every=every, offset=_seconds(doc.offset))] if every is not None else [],
        start_at=doc.start, end_at=doc.end, jitter=_seconds(doc.jitter), time_zone_name=doc.timezone,
    )
    policy = SchedulePolicy(overlap=OVERLAP[doc.overlap], catchup_window=_seconds(doc.catchup_window))
    state = ScheduleState(paused=doc.paused, note=doc.note or (PAUSED_NOTE if doc.paused else ""))
    return Schedule(action=action, spec=spec, policy=policy, state=state)


# -- keeping both places in step -----------------------------------------------------------------


def refused(name: str, doing: str, error: RPCError) -> OtoError:
    if error.status == RPCStatusCode.INVALID_ARGUMENT:
        return InvalidInput(f"schedule {name!r}: Temporal refused it: {error.message}")
    return Unavailable(f"Temporal did not {doing} schedule {name!r}: {error.message}")


def is_missing(error: RPCError) -> bool:
    return error.status == RPCStatusCode.NOT_FOUND


async def put(client: Client, doc: ScheduleDoc) -> str:
    """Create the Temporal schedule of ``doc``, or make the one of the same id match it.

    Returns ``created`` or ``replaced`` (a schedule of that id was there: OTO's ids are OTO's).
    """
    schedule = build(doc)
    try:
        try:
            await client.create_schedule(schedule_id(doc.name), schedule)
            return "created"
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id(doc.name)).update(lambda _: ScheduleUpdate(schedule))
            return "replaced"
    except RPCError as error:
        raise refused(doc.name, "save", error) from None


async def put_quietly(client: Client, doc: ScheduleDoc) -> None:
    try:
        await put(client, doc)
    except OtoError as error:
        log.error("could not restore the Temporal schedule of %r: %s", doc.name, error)


async def delete_on_server(client: Client, name: str) -> bool:
    """Delete the Temporal schedule of ``name``; False when there was none."""
    try:
        await client.get_schedule_handle(schedule_id(name)).delete()
    except RPCError as error:
        if is_missing(error):
            return False
        raise refused(name, "delete", error) from None
    return True


async def delete_quietly(client: Client, name: str) -> None:
    try:
        await delete_on_server(client, name)
    except OtoError as error:
        log.error("could not delete the Temporal schedule of %r: %s", name, error)


async def handle(client: Client, doc: ScheduleDoc) -> ScheduleHandle:
    """The Temporal handle of a schedule, recreating the Temporal schedule if it went missing."""
    handle = client.get_schedule_handle(schedule_id(doc.name))
    try:
        await handle.describe()
    except RPCError as error:
        if not is_missing(error):
            raise refused(doc.name, "find", error) from None
        await put(client, doc)
    return handle


# -- what Temporal says -------------------------------------------------------------------------


def _memo_revision(client: Client, description: ScheduleDescription) -> str | None:
    return _action_revision(client, description.schedule.action)


def _action_revision(client: Client, action: Any) -> str | None:
    if not isinstance(action, ScheduleActionStartWorkflow) or not action.memo:
        return None
    value = action.memo.get(REVISION_MEMO)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        decoded = client.data_converter.payload_converter.from_payload(value, str)
    except Exception:
        return None
    return decoded if isinstance(decoded, str) else None


def in_step(client: Client, doc: ScheduleDoc, description: ScheduleDescription) -> bool:
    """Whether Temporal's schedule is the one OTO would write now (definition and paused state)."""
    action = description.schedule.action
    queue = action.task_queue if isinstance(action, ScheduleActionStartWorkflow) else None
    return (
        queue is not None
        and _memo_revision(client, description) == revision(doc, queue)
        and queue == get_settings().task_queue
        and description.schedule.state.paused == doc.paused
    )


@dataclass
class ServerView:
    """What Temporal knows of one schedule: ``state`` is in step, out of step, missing or unreachable."""

    state: str
    id: str
    error: str | None = None
    paused: bool | None = None
    note: str | None = None
    actions: int = 0
    skipped_overlap: int = 0
    missed_catchup_window: int = 0
    running: list[str] = field(default_factory=list)
    next: list[datetime] = field(default_factory=list)
    fires: list[dict[str, Any]] = field(default_factory=list)


async def _fire_status(client: Client, workflow_id: str) -> str:
    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return "unknown"
    return described.status.name.lower() if described.status is not None else "unknown"


async def server_view(client: Client, doc: ScheduleDoc, runs_of_fires: dict[str, str], count: int) -> ServerView:
    sid = schedule_id(doc.name)
    try:
        description = await client.get_schedule_handle(sid).describe()
    except RPCError as error:
        if is_missing(error):
            return ServerView("missing", sid, error="Temporal has no such schedule: `oto schedule sync` recreates it")
        return ServerView("unreachable", sid, error=error.message)
    info = description.info
    fires = []
    for action in info.recent_actions[::-1]:
        workflow_id = getattr(action.action, "workflow_id", "")
        run_id = runs_of_fires.get(workflow_id)
        fires.append({
            "scheduled_at": action.scheduled_at, "started_at": action.started_at, "workflow_id": workflow_id,
            "run_id": run_id,
            # a fire with no run yet is waiting for a worker on its queue, or failed before making one
            "status": None if run_id else await _fire_status(client, workflow_id),
        })
    return ServerView(
        state="in step" if in_step(client, doc, description) else "out of step", id=sid,
        paused=description.schedule.state.paused, note=description.schedule.state.note,
        actions=info.num_actions, skipped_overlap=info.num_actions_skipped_overlap,
        missed_catchup_window=info.num_actions_missed_catchup_window,
        running=[getattr(r, "workflow_id", "") for r in info.running_actions],
        next=list(info.next_action_times[:count]), fires=fires,
    )


@dataclass
class SyncReport:
    """What ``sync`` did: names of OTO schedules, and ids of Temporal schedules OTO does not know."""

    recreated: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # the retention schedule (oto-retention): created, updated, unchanged, deleted, or off
    retention: str = "off"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _server_ids(client: Client) -> list[str]:
    found = []
    try:
        async for listed in await client.list_schedules():
            if name_of(listed.id) is not None:
                found.append(listed.id)
    except RPCError as error:
        raise Unavailable(f"Temporal did not list its schedules: {error.message}") from None
    return found


async def sync(client: Client, database: Database, *, prune: bool = False) -> SyncReport:
    """Make Temporal's schedules match OTO's database, and report (or prune) the ones OTO does not know."""
    docs = await database.run(schedules.list_all)
    report = SyncReport()
    for doc in docs:
        handle = client.get_schedule_handle(schedule_id(doc.name))
        try:
            try:
                description = await handle.describe()
            except RPCError as error:
                if not is_missing(error):
                    raise refused(doc.name, "describe", error) from None
                await put(client, doc)
                report.recreated.append(doc.name)
                continue
            if in_step(client, doc, description):
                report.unchanged.append(doc.name)
                continue
            schedule = build(doc)

            def replace(_: ScheduleUpdateInput, schedule: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule)

            try:
                await handle.update(replace)
            except RPCError as error:
                raise refused(doc.name, "update", error) from None
            report.updated.append(doc.name)
        except OtoError as error:
            report.failed[doc.name] = error.message
        except Exception as error:  # a record OTO cannot build (stored before today's checks): the rest go on
            log.warning("schedule %r cannot be written to Temporal: %r", doc.name, error)
            report.failed[doc.name] = f"OTO cannot build it ({type(error).__name__}: {error}); fix or delete it"
    try:
        report.retention = await sync_retention(client)
    except OtoError as error:
        report.failed[RETENTION_SCHEDULE] = error.message
    known = {schedule_id(d.name) for d in docs}
    for sid in await _server_ids(client):
        if sid in known:
            continue
        try:  # the list lags behind: a schedule deleted a moment ago may still be listed
            await client.get_schedule_handle(sid).describe()
        except RPCError as error:
            if is_missing(error):
                continue
        report.unknown.append(sid)
        if prune:
            with_name = name_of(sid) or sid
            try:
                if await delete_on_server(client, with_name):
                    report.pruned.append(sid)
            except OtoError as error:
                report.failed[sid] = error.message
    return report


# -- retention: a Temporal Schedule of its own -----------------------------------------------------------

# Once a day, at a quiet hour (UTC); a prune still going when the next fire comes makes it skip.
RETENTION_CRON = "17 3 * * *"


def retention_schedule(older_than: float, task_queue: str | None = None) -> Schedule:
    """The daily prune of final runs older than ``older_than`` seconds, on OTO_TASK_QUEUE's workers."""
    queue = task_queue or get_settings().task_queue
    shape = json.dumps({"layout": LAYOUT, "queue": queue, "older_than": older_than, "cron": RETENTION_CRON})
    action = ScheduleActionStartWorkflow(
        RETENTION_WORKFLOW, PruneInput(older_than), id=RETENTION_SCHEDULE, task_queue=queue,
        memo={REVISION_MEMO: hashlib.sha256(shape.encode()).hexdigest()[:32]},
        static_summary=f"prune final runs older than {get_settings().run_retention}")
    return Schedule(action=action, spec=ScheduleSpec(cron_expressions=[RETENTION_CRON], time_zone_name="UTC"),
                    policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))


async def sync_retention(client: Client) -> str:
    """Make ``oto-retention`` match OTO_RUN_RETENTION: created, updated or unchanged when it is set;
    deleted (or off) when it is not."""
    seconds = get_settings().retention_seconds
    handle = client.get_schedule_handle(RETENTION_SCHEDULE)
    try:
        description: ScheduleDescription | None = await handle.describe()
    except RPCError as error:
        if not is_missing(error):
            raise Unavailable(f"Temporal did not describe schedule {RETENTION_SCHEDULE}: {error.message}") from None
        description = None
    try:
        if seconds is None:
            if description is None:
                return "off"
            await handle.delete()
            return "deleted"
        schedule = retention_schedule(seconds)
        if description is None:
            await client.create_schedule(RETENTION_SCHEDULE, schedule)
            return "created"
        if _memo_revision(client, description) == _action_revision(client, schedule.action):
            return "unchanged"
        await handle.update(lambda _: ScheduleUpdate(schedule))
        return "updated"
    except RPCError as error:
        raise Unavailable(f"Temporal did not write schedule {RETENTION_SCHEDULE}: {error.message}") from None


async def sync_on_start(client: Client, database: Database) -> SyncReport | None:
    """What a worker runs at start: ``sync``, logging what it did; never stops the worker."""
    try:
        report = await sync(client, database)
    except Exception as error:
        log.warning("could not sync OTO's schedules with Temporal: %s", error)
        return None
    if report.recreated or report.updated:
        log.info("schedules recreated on Temporal: %s; updated: %s", report.recreated or "none",
                 report.updated or "none")
    if report.unknown:
        log.warning("Temporal has schedules OTO does not know (`oto schedule sync --prune` deletes them): %s",
                    ", ".join(report.unknown))
    for name, problem in report.failed.items():
        log.warning("schedule %r could not be synced: %s", name, problem)
    return report


async def counts(client: Client, database: Database) -> dict[str, dict[str, int]]:
    """Per OTO schedule, Temporal's counters: fires taken, skipped by overlap, missed the catch-up window.

    For metrics (``oto_schedule_*``); a schedule Temporal does not have is left out.
    """
    names = await database.run(schedules.names)
    found: dict[str, dict[str, int]] = {}
    for name in names:
        try:
            info = (await client.get_schedule_handle(schedule_id(name)).describe()).info
        except RPCError:
            continue
        found[name] = {"actions": info.num_actions, "skipped_overlap": info.num_actions_skipped_overlap,
                       "missed_catchup_window": info.num_actions_missed_catchup_window}
    return found
