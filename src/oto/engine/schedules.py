"""OTO's schedules on Temporal: each schedule of the database kept in step with a Temporal Schedule.

Temporal fires schedules (no timer loop of OTO's), so they survive restarts and scale with the
cluster. The Temporal Schedule of OTO schedule ``NAME`` has the id ``oto-schedule-NAME``; its
action starts ``ScheduledRunWorkflow`` (``oto.engine.scheduled``) on OTO_TASK_QUEUE as it was
when the schedule was written, and each fire's run then runs on its target's own task queue.

Every change goes to both places or to neither: services validate first, the database is
written (flushed, not committed), then Temporal is told, then the transaction commits. If
Temporal refuses, the transaction rolls back; if the commit fails, Temporal's change is undone.
``sync`` (``oto schedule sync``, and every worker at start) recreates the Temporal schedules
missing from the server, rewrites the ones that differ from the database, and reports (or with
``prune`` deletes) the ``oto-schedule-*`` schedules the database does not know. A cascading
delete of a catalog item (``delete_with_schedules``) deletes the Temporal schedules of the
schedules it takes along the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
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
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from oto.domain.documents import ScheduleDoc
from oto.domain.runs import JobInput
from oto.domain.valuetypes import parse_duration
from oto.engine.client import connect
from oto.engine.scheduled import (
    SCHEDULED_WORKFLOW,
    START_SCHEDULED_RUN,
    ScheduledInput,
    ScheduledStart,
    StartScheduledRunInput,
)
from oto.errors import InvalidInput, OtoError, Unavailable
from oto.services import deletions, schedule_edits, schedules
from oto.services.database import Database, get_database
from oto.settings import get_settings

T = TypeVar("T")
Connect = Callable[[], Awaitable[Client]]
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


# -- the activity a fire runs first -------------------------------------------------------------


class ScheduleActivities:
    """The activity of ``ScheduledRunWorkflow``, writing to ``database``."""

    def __init__(self, database: Database | None = None) -> None:
        self.database = database or get_database()

    def _create(self, request: StartScheduledRunInput, retry: bool) -> schedules.ScheduledRun:
        with self.database.session() as db:
            return schedules.create_run(db, request.schedule, request.fire_id, retry=retry)

    @activity.defn(name=START_SCHEDULED_RUN)
    async def start_scheduled_run(self, request: StartScheduledRunInput) -> ScheduledStart:
        """Record the run of one fire (trigger ``schedule:<name>``); a retry finds the one it made."""
        try:
            made = await asyncio.to_thread(self._create, request, activity.info().attempt > 1)
        except OtoError as error:
            raise ApplicationError(error.message, type=type(error).__name__, non_retryable=True) from None
        if made.plan is None:
            return ScheduledStart(made.run_id, made.kind, made.target, made.task_queue,
                                  job=JobInput(made.run_id, made.timeout, made.kill_grace))
        return ScheduledStart(made.run_id, made.kind, made.target, made.task_queue, routine=made.plan)

    def all(self) -> list[Callable[..., Any]]:
        return [self.start_scheduled_run]


# -- keeping both places in step -----------------------------------------------------------------


@asynccontextmanager
async def _transaction(database: Database | None) -> AsyncIterator[Session]:
    """A database session whose commit (at the end of the block) runs off the event loop."""
    manager = (database or get_database()).session()
    db = await asyncio.to_thread(manager.__enter__)
    try:
        yield db
    except BaseException as error:
        await asyncio.to_thread(manager.__exit__, type(error), error, error.__traceback__)
        raise
    await asyncio.to_thread(manager.__exit__, None, None, None)


async def _read(database: Database | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    async with _transaction(database) as db:
        return await asyncio.to_thread(fn, db, *args, **kwargs)


class _DryRun(Exception):
    """Rolls back a transaction that only checked a change."""


async def _check(database: Database | None, write: Callable[[Session], Any]) -> None:
    """Run ``write`` and roll it back: its refusals (bad input, unknown names) come before Temporal is asked."""
    try:
        async with _transaction(database) as db:
            await asyncio.to_thread(write, db)
            raise _DryRun
    except _DryRun:
        pass


async def _client(client: Client | None, connector: Connect | None) -> Client:
    """``client``, else one from ``connector`` (an app's own way to Temporal), else the engine's default."""
    if client is not None:
        return client
    return await (connector or connect)()


def _refused(name: str, doing: str, error: RPCError) -> OtoError:
    if error.status == RPCStatusCode.INVALID_ARGUMENT:
        return InvalidInput(f"schedule {name!r}: Temporal refused it: {error.message}")
    return Unavailable(f"Temporal did not {doing} schedule {name!r}: {error.message}")


def _missing(error: RPCError) -> bool:
    return error.status == RPCStatusCode.NOT_FOUND


async def _put(client: Client, doc: ScheduleDoc) -> str:
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
        raise _refused(doc.name, "save", error) from None


async def _put_quietly(client: Client, doc: ScheduleDoc) -> None:
    try:
        await _put(client, doc)
    except OtoError as error:
        log.error("could not restore the Temporal schedule of %r: %s", doc.name, error)


async def _delete_on_server(client: Client, name: str) -> bool:
    """Delete the Temporal schedule of ``name``; False when there was none."""
    try:
        await client.get_schedule_handle(schedule_id(name)).delete()
    except RPCError as error:
        if _missing(error):
            return False
        raise _refused(name, "delete", error) from None
    return True


async def _delete_quietly(client: Client, name: str) -> None:
    try:
        await _delete_on_server(client, name)
    except OtoError as error:
        log.error("could not delete the Temporal schedule of %r: %s", name, error)


async def _both(database: Database | None, write: Callable[[Session], T],
                tell: Callable[[T], Awaitable[Any]], undo: Callable[[T], Awaitable[None]]) -> T:
    """``write`` in the database (flushed), then ``tell`` Temporal, then commit.

    Refused by the services or by Temporal: the transaction rolls back, nothing is written. The
    commit fails after Temporal was told: ``undo`` puts Temporal back as it was.
    """
    told: list[T] = []
    try:
        async with _transaction(database) as db:
            written = await asyncio.to_thread(write, db)
            await tell(written)
            told.append(written)
    except BaseException:
        if told:
            await undo(told[0])
        raise
    return written


async def create(data: ScheduleDoc | dict[str, Any], *, client: Client | None = None,
                 database: Database | None = None, connector: Connect | None = None) -> ScheduleDoc:
    """Add a schedule to OTO and to Temporal; refused with nothing written in either on any error."""
    doc = schedules.parse(data)

    def write(db: Session) -> ScheduleDoc:
        return schedules.add(db, doc)

    await _check(database, write)
    temporal = await _client(client, connector)

    async def undo(saved: ScheduleDoc) -> None:
        await _delete_quietly(temporal, saved.name)

    return await _both(database, write, lambda saved: _put(temporal, saved), undo)


async def update(name: str, changes: dict[str, Any], *, client: Client | None = None,
                 database: Database | None = None, connector: Connect | None = None) -> ScheduleDoc:
    """Change a schedule (the given fields replace the stored ones) in OTO and on Temporal."""

    def write(db: Session) -> ScheduleDoc:
        return schedule_edits.update(db, name, changes)

    await _check(database, write)
    temporal = await _client(client, connector)
    before = await _read(database, schedules.get, name)

    async def undo(_: ScheduleDoc) -> None:
        await _put_quietly(temporal, before)

    return await _both(database, write, lambda after: _put(temporal, after), undo)


async def _set_paused(name: str, paused: bool, note: str, client: Client | None,
                      database: Database | None, connector: Connect | None) -> ScheduleDoc:
    before = await _read(database, schedules.get, name)  # NotFound before Temporal is asked
    temporal = await _client(client, connector)

    async def tell(doc: ScheduleDoc) -> None:
        handle = temporal.get_schedule_handle(schedule_id(name))
        try:
            if paused:
                await handle.pause(note=note or PAUSED_NOTE)
            else:
                await handle.unpause(note=note or RESUMED_NOTE)
        except RPCError as error:
            if not _missing(error):
                raise _refused(name, "pause" if paused else "resume", error) from None
            await _put(temporal, doc)  # deleted behind OTO's back: recreated, in its new state

    async def undo(_: ScheduleDoc) -> None:
        await _put_quietly(temporal, before)

    def write(db: Session) -> ScheduleDoc:
        return schedules.set_paused(db, name, paused, note)

    return await _both(database, write, tell, undo)


async def pause(name: str, note: str = "", *, client: Client | None = None,
                database: Database | None = None, connector: Connect | None = None) -> ScheduleDoc:
    """Pause a schedule: no fire until it is resumed."""
    return await _set_paused(name, True, note, client, database, connector)


async def resume(name: str, note: str = "", *, client: Client | None = None,
                 database: Database | None = None, connector: Connect | None = None) -> ScheduleDoc:
    return await _set_paused(name, False, note, client, database, connector)


async def delete(name: str, *, client: Client | None = None, database: Database | None = None,
                 connector: Connect | None = None) -> None:
    """Delete a schedule from OTO and from Temporal (runs it already started go on)."""
    await _read(database, schedules.get, name)  # NotFound before Temporal is asked
    temporal = await _client(client, connector)

    def write(db: Session) -> ScheduleDoc:
        doc = schedules.get(db, name)
        schedules.delete(db, name)
        return doc

    async def tell(_: ScheduleDoc) -> None:
        await _delete_on_server(temporal, name)

    async def undo(doc: ScheduleDoc) -> None:
        await _put_quietly(temporal, doc)

    await _both(database, write, tell, undo)


async def delete_with_schedules(kind: deletions.Kind, *key: str, cascade: bool = False,
                                client: Client | None = None, database: Database | None = None,
                                connector: Connect | None = None) -> list[str]:
    """Delete a catalog item (``oto.services.deletions``) and, with ``cascade``, what uses it; the
    schedules that go with it are deleted on Temporal too. Returns those schedules' names.

    Refusals (NotFound, InUse) come before Temporal is asked, and a delete that removes no schedule
    never asks it. Otherwise Temporal must answer (else Unavailable, nothing deleted). As for
    ``delete``: the database delete is flushed, the Temporal schedules are deleted, then the
    transaction commits; if Temporal refuses one or the commit fails, the Temporal schedules already
    deleted are put back. Should that fail too, ``oto schedule sync`` recreates them from the database.
    """
    doomed = await _read(database, deletions.schedules_removed, kind, *key, cascade=cascade)
    temporal = await _client(client, connector) if doomed else None
    deleted: list[ScheduleDoc] = []

    def write(db: Session) -> list[ScheduleDoc]:
        docs = [schedules.get(db, name) for name in deletions.schedules_removed(db, kind, *key, cascade=cascade)]
        deletions.delete(db, kind, *key, cascade=cascade)
        return docs

    async def put_back() -> None:
        if temporal is not None:
            for doc in deleted:
                await _put_quietly(temporal, doc)

    async def tell(docs: list[ScheduleDoc]) -> None:
        nonlocal temporal
        if not docs:
            return
        server = temporal = temporal or await _client(client, connector)  # none yet: added since the first look
        try:
            for doc in docs:
                deleted.append(doc)  # before the call: a delete whose answer is lost is put back too
                await _delete_on_server(server, doc.name)
        except BaseException:
            await put_back()
            raise

    async def undo(_: list[ScheduleDoc]) -> None:
        await put_back()

    return [doc.name for doc in await _both(database, write, tell, undo)]


async def _handle(client: Client, doc: ScheduleDoc) -> ScheduleHandle:
    """The Temporal handle of a schedule, recreating the Temporal schedule if it went missing."""
    handle = client.get_schedule_handle(schedule_id(doc.name))
    try:
        await handle.describe()
    except RPCError as error:
        if not _missing(error):
            raise _refused(doc.name, "find", error) from None
        await _put(client, doc)
    return handle


async def trigger(name: str, *, wait: float = 5.0, client: Client | None = None,
                  database: Database | None = None, connector: Connect | None = None) -> str | None:
    """Fire a schedule now, whatever its overlap policy and even when paused.

    Returns the id of the run it started once a worker has recorded it (within ``wait``
    seconds), or None when none has yet (the fire waits on Temporal for a worker).
    """
    doc = await _read(database, schedules.get, name)  # NotFound before Temporal is asked
    client = await _client(client, connector)
    handle = await _handle(client, doc)
    before = set(await _read(database, schedules.fire_runs, name))
    try:
        await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    except RPCError as error:
        raise _refused(name, "trigger", error) from None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        made = await _read(database, schedules.fire_runs, name)
        new = [(fire, run_id) for fire, run_id in made.items() if fire not in before]
        if new:
            return new[0][1]
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(POLL)


async def backfill(name: str, start: datetime, end: datetime, *, overlap: str = "buffer_all",
                   client: Client | None = None, database: Database | None = None) -> list[datetime]:
    """Fire a schedule for each of its times in (start, end], as if they were now; returns those times."""
    if overlap not in BACKFILL_OVERLAP:
        raise InvalidInput(f"overlap must be one of {', '.join(BACKFILL_OVERLAP)}, not {overlap!r}")
    doc = await _read(database, schedules.get, name)
    first, last = schedules.check_backfill(doc, start, end)
    client = client or await connect()
    handle = await _handle(client, doc)
    try:
        await handle.backfill(ScheduleBackfill(first, last, overlap=BACKFILL_OVERLAP[overlap]))
    except RPCError as error:
        raise _refused(name, "backfill", error) from None
    return schedules.fires_between(doc, first, last)


# -- what Temporal says -------------------------------------------------------------------------


def _memo_revision(client: Client, description: ScheduleDescription) -> str | None:
    action = description.schedule.action
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


async def _server_view(client: Client, doc: ScheduleDoc, runs_of_fires: dict[str, str], count: int) -> ServerView:
    sid = schedule_id(doc.name)
    try:
        description = await client.get_schedule_handle(sid).describe()
    except RPCError as error:
        if _missing(error):
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


async def describe(name: str, *, count: int = 5, client: Client | None = None,
                   database: Database | None = None) -> dict[str, Any]:
    """A schedule as ``oto schedule show`` shows it: its spec, next fire times, recent runs, and
    Temporal's view (fires taken, skipped by the overlap policy, missed outside the catch-up window).

    The next fire times are computed from the spec (they need no Temporal); Temporal's own are
    under ``server.next``. With Temporal unreachable, ``server.state`` says so and the rest stands.
    """
    def local(db: Session) -> tuple[ScheduleDoc, list[dict[str, Any]], dict[str, str]]:
        return (schedules.get(db, name), schedules.recent_runs(db, name, limit=count),
                schedules.fire_runs(db, name))

    doc, recent, fired = await _read(database, local)
    try:
        client = client or await connect()
        server = await _server_view(client, doc, fired, count)
    except Unavailable as error:
        server = ServerView("unreachable", schedule_id(name), error=error.message)
    return {
        "schedule": doc.model_dump(mode="json"),
        "trigger": schedules.trigger_of(name),
        "next": [t.isoformat() for t in schedules.next_fire_times(doc, count)],
        "recent_runs": recent,
        "server": _plain(asdict(server)),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class SyncReport:
    """What ``sync`` did: names of OTO schedules, and ids of Temporal schedules OTO does not know."""

    recreated: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

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


async def sync(*, prune: bool = False, client: Client | None = None, database: Database | None = None,
               connector: Connect | None = None) -> SyncReport:
    """Make Temporal's schedules match OTO's database, and report (or prune) the ones OTO does not know."""
    client = await _client(client, connector)
    docs: list[ScheduleDoc] = await _read(database, schedules.list_all)
    report = SyncReport()
    for doc in docs:
        handle = client.get_schedule_handle(schedule_id(doc.name))
        try:
            try:
                description = await handle.describe()
            except RPCError as error:
                if not _missing(error):
                    raise _refused(doc.name, "describe", error) from None
                await _put(client, doc)
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
                raise _refused(doc.name, "update", error) from None
            report.updated.append(doc.name)
        except OtoError as error:
            report.failed[doc.name] = error.message
    known = {schedule_id(d.name) for d in docs}
    for sid in await _server_ids(client):
        if sid in known:
            continue
        try:  # the list lags behind: a schedule deleted a moment ago may still be listed
            await client.get_schedule_handle(sid).describe()
        except RPCError as error:
            if _missing(error):
                continue
        report.unknown.append(sid)
        if prune:
            with_name = name_of(sid) or sid
            try:
                if await _delete_on_server(client, with_name):
                    report.pruned.append(sid)
            except OtoError as error:
                report.failed[sid] = error.message
    return report


def wrote_schedules(counts: dict[str, dict[str, int]]) -> bool:
    """Whether an import (its report's ``counts``) created or updated schedules."""
    written = counts.get("schedules", {})
    return bool(written.get("created") or written.get("updated"))


async def sync_imported(*, client: Client | None = None, database: Database | None = None,
                        connector: Connect | None = None) -> str | None:
    """After an import that wrote schedules: ``sync``, so Temporal gets them.

    The import stands whatever happens here: returns None when Temporal took every schedule, else
    one sentence saying what did not reach Temporal and that ``oto schedule sync`` finishes it.
    """
    try:
        report = await sync(client=client, database=database, connector=connector)
    except OtoError as error:
        return (f"the import stands, but Temporal did not get its schedules ({error.message}): "
                "`oto schedule sync` will finish it")
    if report.failed:
        return (f"the import stands, but Temporal did not take schedule(s) {', '.join(sorted(report.failed))}: "
                "`oto schedule sync` will finish it")
    return None


async def sync_on_start(client: Client, database: Database | None = None) -> SyncReport | None:
    """What a worker runs at start: ``sync``, logging what it did; never stops the worker."""
    try:
        report = await sync(client=client, database=database)
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


async def counts(*, client: Client | None = None, database: Database | None = None) -> dict[str, dict[str, int]]:
    """Per OTO schedule, Temporal's counters: fires taken, skipped by overlap, missed the catch-up window.

    For metrics (``oto_schedule_*``); a schedule Temporal does not have is left out.
    """
    client = client or await connect()
    names = await _read(database, schedules.names)
    found: dict[str, dict[str, int]] = {}
    for name in names:
        try:
            info = (await client.get_schedule_handle(schedule_id(name)).describe()).info
        except RPCError:
            continue
        found[name] = {"actions": info.num_actions, "skipped_overlap": info.num_actions_skipped_overlap,
                       "missed_catchup_window": info.num_actions_missed_catchup_window}
    return found
