"""The activities: the only code in OTO that spawns a job's process, and the writers of run records.

A job run's first second is ``run_job_now``, a local activity on the worker that runs its
workflow; a job still running then is followed by ``watch_job`` on that worker's own task queue,
which heartbeats. A routine's steps run in batches (``run_steps``), one activity per segment.

Every activity is idempotent with respect to the final record: runs are claimed, never run
again once final, and every write is conditional. A retried attempt first kills the process
groups a lost attempt left on this machine (named in its heartbeats or in the job's progress).
A cancellation the user asked for ends a run ``cancelled``; any other (a worker stopping, an
attempt Temporal gave up on) leaves the run to the next attempt.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from oto.domain.runs import (
    FINAL,
    DeliverInput,
    FinishRoutineInput,
    FinishRunInput,
    JobAttempt,
    JobInput,
    JobProgress,
    JobResult,
    JobSpec,
    PruneInput,
    Retry,
    RunStatus,
    ScheduledStart,
    SegmentStatuses,
    SpecError,
    StartScheduledRunInput,
    StepsInput,
    Watch,
)
from oto.engine import logs, metrics, notify, process  # logs, metrics: observability
from oto.engine.contracts import (
    DELIVER_NOTIFICATION,
    FAST_WINDOW,
    FINISH_ROUTINE,
    FINISH_RUN,
    HEARTBEAT_EVERY,
    HEARTBEAT_TIMEOUT,
    NOTIFY_WANTED,
    OWN_QUEUE_PREFIX,
    PRUNE_RUNS,
    RUN_JOB_NOW,
    RUN_STEPS,
    START_SCHEDULED_RUN,
    WATCH_JOB,
)
from oto.engine.dag import Dag
from oto.errors import OtoError, Refused, Unavailable
from oto.services import notifications, retention, runs, schedules, secrets
from oto.services.database import Database, get_database
from oto.settings import get_settings

T = TypeVar("T")
log = logging.getLogger(__name__)
# Step records are written together, at most this often: commits, not processes, bound a
# routine's throughput.
FLUSH_EVERY = 0.1
# A job handed over for watching is stopped if its watcher has not come by then.
ADOPT_WITHIN = 3 * HEARTBEAT_TIMEOUT
# How long a worker keeps what a job did while the database is away, trying to write it, before
# it gives the attempt up (and Temporal runs the job again); never past the activity's own timeout.
WRITE_PATIENCE = 45.0
# The longest one try at the database may take when the network is silent (connect_timeout,
# tcp_user_timeout of services.database), kept free before an activity's timeout.
ATTEMPT_AT_MOST = 20.0


def worker_identity() -> str:
    queue = activity.info().task_queue
    return f"{os.getpid()}@{socket.gethostname()} ({queue})"


def _cancel_requested() -> bool:
    details = activity.cancellation_details()
    return bool(details and details.cancel_requested)


class Heartbeat:
    """Heartbeats every second, naming the live process groups so a retry can reap them.

    Nothing here runs per process: a routine starts hundreds of processes a second, and a
    heartbeat or a read of /proc costs more than starting ``/bin/true``.
    """

    def __init__(self) -> None:
        self.groups: dict[int, int | None] = {}
        self._task: asyncio.Task[None] | None = None

    def started(self, pid: int) -> None:
        self.groups[pid] = None  # its start time is read at the next beat, if it still runs then

    def ended(self, pid: int) -> None:
        self.groups.pop(pid, None)

    def beat(self) -> None:
        for pid, ticks in list(self.groups.items()):
            if ticks is None:
                self.groups[pid] = process.start_ticks(pid)
        groups = [[pid, ticks] for pid, ticks in self.groups.items() if ticks is not None]
        activity.heartbeat({"host": process.HOST, "groups": groups})

    async def _loop(self) -> None:
        while True:  # the first beat after a second: a short job never pays for one
            await asyncio.sleep(HEARTBEAT_EVERY)
            self.beat()

    def __enter__(self) -> Heartbeat:
        details = activity.info().heartbeat_details
        if details and isinstance(details[0], dict):
            process.reap(str(details[0].get("host", "")), list(details[0].get("groups", [])))
        self._task = asyncio.create_task(self._loop())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


class Recorder:
    """Buffers step transitions and writes them in one transaction per flush."""

    def __init__(self, write: Callable[[list[runs.Started], list[tuple[runs.Outcome, bool]]], Any]) -> None:
        self._write = write
        self._started: dict[str, runs.Started] = {}
        self._finished: list[runs.Outcome] = []
        self._task: asyncio.Task[None] | None = None
        # one flush at a time: a step's start must not be written after its end overtook it
        self._writing = asyncio.Lock()

    def started(self, record: runs.Started) -> None:
        self._started[record.run_id] = record

    def finished(self, outcome: runs.Outcome) -> None:
        self._finished.append(outcome)

    async def flush(self) -> None:
        async with self._writing:
            await self._flush()

    async def _flush(self) -> None:
        started, finished = self._started, self._finished
        self._started, self._finished = {}, []
        # a step that both started and ended since the last flush is written once, counting its attempt
        pairs = [(o, started.pop(o.run_id, None) is not None) for o in finished]
        if started or pairs:
            try:
                await self._write(list(started.values()), pairs)
            except BaseException:
                self._started = started | self._started
                self._finished = [o for o, _ in pairs] + self._finished
                raise
            for outcome, _ in pairs:  # metrics: the steps just recorded final
                metrics.run_finished("step", outcome.status, outcome.started_at, outcome.finished_at)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self.flush()
            except Exception as error:  # the database is busy or away: keep the records, try again
                log.warning("cannot write step records yet: %s", error)

    def __enter__(self) -> Recorder:
        self._task = asyncio.create_task(self._loop())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


@dataclass
class _Handed:
    launch: process.Launch
    spec: JobSpec
    worker: str


class Activities:
    """The activities of one worker, writing to ``database`` (the configured one by default).

    ``is_root``: whether this worker runs as root (by default, whether its process does), which
    decides how jobs that need root run (``runs.privileged_argv``).
    """

    def __init__(self, database: Database | None = None, *, own_queue: str | None = None,
                 is_root: bool | None = None) -> None:
        self.database = database or get_database()
        self.own_queue = own_queue or f"{OWN_QUEUE_PREFIX}{uuid.uuid4().hex[:16]}"
        self.is_root = os.geteuid() == 0 if is_root is None else is_root
        self.handed: dict[str, _Handed] = {}
        self._stopping: set[asyncio.Future[None]] = set()

    def _in_session(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A service call in its own transaction (blocking).

        An unreachable database is worth retrying (it raises as it is); a missing run, an old
        schema or a spec of a version this worker does not read is not (a non-retryable
        ApplicationError).
        """
        try:
            with self.database.session() as db:
                return fn(db, *args, **kwargs)
        except OtoError as error:
            if isinstance(error, Unavailable):
                raise
            raise ApplicationError(error.message, type=type(error).__name__, non_retryable=True) from None
        except SpecError as error:
            raise ApplicationError(str(error), type="SpecError", non_retryable=True) from None

    async def _db(self, fn: Callable[..., T], *args: Any, patient: bool = False, **kwargs: Any) -> T:
        """A service call off the event loop, so processes keep starting meanwhile (``patient``: ``_patiently``)."""
        call = functools.partial(self._in_session, fn, *args, **kwargs)
        return await (_patiently(call) if patient else asyncio.to_thread(call))

    def _argv(self, spec: JobSpec) -> list[str]:
        return runs.privileged_argv(list(spec.argv), requires_root=spec.requires_root, job=spec.job,
                                    is_root=self.is_root, allow_sudo=get_settings().allow_sudo)

    @activity.defn(name=RUN_JOB_NOW)
    async def run_job_now(self, attempt: JobAttempt) -> JobProgress:
        """A job's first second (a local activity): claim it, start it, and finish it if it is quick.

        A quick job is claimed, run, read and recorded in one trip off the event loop; a job
        still running after FAST_WINDOW is left, untouched, to ``watch_job`` on this worker's
        own task queue.
        """
        process.reap(attempt.reap_host, attempt.reap_groups)  # what a lost watcher left, if here
        run_id = attempt.run_id
        logs.RUN_ID.set(run_id)  # logs: this activity's lines name its run
        worker = worker_identity()
        settings = get_settings()
        beginning = process.in_pool(self._begin, run_id, worker, settings.home, settings.allow_sudo)
        try:
            held, result = await asyncio.shield(beginning)
        except asyncio.CancelledError:  # the worker stops: stop what the claim may still start
            held, result = await beginning
            if isinstance(result, process.Launch):
                result.release()
                await process.stop_group(result.process, held.spec.kill_grace)
            raise
        if result is None:  # refused, or final already
            return JobProgress(held.status, held.exit_code)
        if not isinstance(result, process.Launch):  # over within the quick wait
            return _progress(await self._record(result, held.spec.retry))
        spec = held.spec
        verdict = await process.supervise(result, timeout=spec.timeout, grace=spec.kill_grace,
                                          hand_over_at=FAST_WINDOW)
        if verdict is None:
            self._hand_over(run_id, result, spec, worker)
            ticks = process.start_ticks(result.process.pid) or 0
            return JobProgress(RunStatus.RUNNING, queue=self.own_queue, host=process.HOST,
                               groups=[[result.process.pid, ticks]])
        if verdict[0] == RunStatus.CANCELLED:
            # a local activity is only cancelled when its worker stops (a user's cancellation
            # reaches the workflow after it): the next attempt runs the job again
            raise asyncio.CancelledError()
        return _progress(await self._end(run_id, worker, result, verdict, spec))

    def _hand_over(self, run_id: str, running: process.Launch, spec: JobSpec, worker: str) -> None:
        """Keep a running job for its watcher; stop it if no watcher comes (its workflow is gone)."""
        self.handed[run_id] = _Handed(running, spec, worker)

        def abandoned() -> None:
            if self.handed.get(run_id) is not None and self.handed[run_id].launch is running:
                del self.handed[run_id]
                running.release()
                stopping = asyncio.ensure_future(process.stop_group(running.process, 0))
                self._stopping.add(stopping)
                stopping.add_done_callback(self._stopping.discard)

        asyncio.get_running_loop().call_later(ADOPT_WITHIN, abandoned)

    @activity.defn(name=WATCH_JOB)
    async def watch_job(self, watch: Watch) -> JobResult:
        """Follow a job this worker started to its end, its timeout or its cancellation (heartbeating)."""
        logs.RUN_ID.set(watch.run_id)
        handed = self.handed.pop(watch.run_id, None)
        if handed is None:
            if watch.stop:
                return JobResult(watch.run_id, RunStatus.CANCELLED)
            raise ApplicationError(f"run {watch.run_id} is not running on this worker", non_retryable=True)
        running, spec = handed.launch, handed.spec
        with Heartbeat() as beat:
            beat.started(running.process.pid)
            verdict = await process.supervise(running, timeout=spec.timeout, grace=spec.kill_grace,
                                              cancelled=watch.stop)
            beat.ended(running.process.pid)
            assert verdict is not None
            status = verdict[0]
            if status == RunStatus.CANCELLED and not watch.stop and not _cancel_requested():
                raise asyncio.CancelledError()  # a lost watch: the workflow starts the job again
            # still heartbeating: a record waiting for the database must not look like a lost worker
            ended = await self._end(watch.run_id, handed.worker, running, verdict, spec)
        if status == RunStatus.CANCELLED and not watch.stop:
            raise asyncio.CancelledError()
        return JobResult(watch.run_id, ended.status, ended.exit_code, ended.again)

    async def close(self) -> None:
        """Stop the jobs this worker still holds for a watcher that will not come now."""
        stops = [process.stop_group(h.launch.process, 0) for h in self.handed.values()]
        for handed in self.handed.values():
            handed.launch.release()
        self.handed.clear()
        await asyncio.gather(*stops, *self._stopping, return_exceptions=True)

    def _begin(self, run_id: str, worker: str, home: Path, allow_sudo: bool
               ) -> tuple[runs.Claim, process.Launch | runs.Ended | runs.Outcome | None]:
        """In a pool thread: claim the run (one transaction), start its program, and if it ends
        within the quick wait, record it too: the status and exit code, or the still running launch
        (or the outcome itself, when the database is away: the caller keeps trying)."""
        held = self._in_session(runs.claim, run_id, worker=worker, home=home, is_root=self.is_root,
                                allow_sudo=allow_sudo)
        if held.status != RunStatus.RUNNING:
            if held.refused:  # metrics: a refusal is a final record too
                metrics.run_finished("job", held.status)
            return held, None
        metrics.run_started("job", held.submitted_at)  # metrics
        workdir = home / held.spec.workdir
        try:
            delivered = _deliver(held.spec, held.argv, workdir, run_id)
            result = process.run(delivered.argv, workdir=workdir, name=run_id, timeout=held.spec.timeout,
                                 env=process.job_env({**held.spec.env, **delivered.env}, workdir), secrets=delivered)
        except (OSError, ValueError) as failure:
            error = f"cannot start {held.argv[0]}: {process.describe(failure)}"
            # a refusal (the executable is missing, a secret cannot be delivered): never tried again
            return held, self._try_record(runs.Outcome(run_id, RunStatus.FAILED, finished_at=runs.now(),
                                                       error=error, retryable=False), held.spec.retry)
        if isinstance(result, process.Launch):
            return held, result
        return held, self._try_record(_outcome(run_id, result, worker, None, None), held.spec.retry)

    def _record_once(self, outcome: runs.Outcome, retry: Retry | None) -> runs.Ended:
        """Write how an attempt ended (the run's final record unless its retry policy asks for another);
        how the run stands after it (the first record's, if retried)."""
        ended = self._in_session(runs.end_attempt, outcome, retry)
        if ended.closed:
            metrics.run_finished("job", outcome.status, outcome.started_at, outcome.finished_at)
        return ended

    def _try_record(self, outcome: runs.Outcome, retry: Retry | None) -> runs.Ended | runs.Outcome:
        """In a pool thread: write an attempt's end once; the outcome back when the database is away.

        The pool's threads start processes: one must never sleep waiting for the database.
        """
        try:
            return self._record_once(outcome, retry)
        except (Unavailable, DBAPIError) as error:
            if not _database_away(error):
                raise
            return outcome

    async def _record(self, written: runs.Ended | runs.Outcome, retry: Retry | None) -> runs.Ended:
        """How the run stands after an attempt, writing its outcome patiently if it is not yet."""
        if isinstance(written, runs.Outcome):
            return await _patiently(functools.partial(self._record_once, written, retry))
        return written

    async def _end(self, run_id: str, worker: str, running: process.Launch, verdict: process.Verdict,
                   spec: JobSpec) -> runs.Ended:
        """Read what the program left and write the attempt's record (in a pool thread, then patiently)."""

        def end() -> runs.Ended | runs.Outcome:
            return self._try_record(_outcome(run_id, process.conclude(running, *verdict), worker, None, None),
                                    spec.retry)

        return await self._record(await process.in_pool(end), spec.retry)

    @activity.defn(name=RUN_STEPS)
    async def run_steps(self, segment: StepsInput) -> SegmentStatuses:
        """Run one segment of a routine as a small DAG, ``concurrency`` processes at a time."""
        logs.RUN_ID.set(segment.run_id)
        worker = worker_identity()
        at = runs.now()
        queued_at = await self._db(runs.start_routine, segment.run_id, worker=worker, at=at)
        if queued_at is not None:  # this segment started the routine
            metrics.run_started("routine", queued_at, at)
        steps = await self._db(runs.load_steps, segment.run_id, segment.step_ids)
        index = {p.step_id: i for i, p in enumerate(steps)}
        dag = Dag([[index[a] for a in (p.spec.step.after if p.spec.step else ()) if a in index] for p in steps],
                  [p.status if p.status.final else "" for p in steps])
        recorder = Recorder(lambda started, finished: self._db(runs.record_steps, started, finished, patient=True))
        tasks: dict[asyncio.Task[RunStatus], int] = {}
        with Heartbeat() as beat, recorder:
            for child, cause in dag.skipped_because.items():
                if not steps[child].status.final:
                    recorder.finished(_skipped(steps[child], steps[cause]))
            ready: deque[int] = deque()
            ended: asyncio.Queue[asyncio.Task[RunStatus]] = asyncio.Queue()  # one wake-up per step, not per wait
            try:
                while True:
                    ready.extend(dag.take_ready())
                    while ready and len(tasks) < segment.concurrency:
                        i = ready.popleft()
                        task = asyncio.create_task(self._step(steps[i], beat, recorder, worker))
                        task.add_done_callback(ended.put_nowait)
                        tasks[task] = i
                    if not tasks:
                        break
                    task = await ended.get()
                    i = tasks.pop(task)
                    for skipped in dag.settle(i, task.result()):
                        recorder.finished(_skipped(steps[skipped], steps[i]))
            except BaseException:  # cancelled, or broken: stop what runs, keep what ended, then go
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                if _cancel_requested():
                    for i, status in enumerate(dag.status):
                        if status not in FINAL and i not in tasks.values():
                            recorder.finished(runs.Outcome(steps[i].run_id, RunStatus.CANCELLED,
                                                           finished_at=runs.now(), error="cancelled before it started"))
                await asyncio.shield(recorder.flush())
                raise
            await recorder.flush()
        # every step of the segment is final here; a step that is not would read as failed
        return {p.step_id or "": RunStatus(dag.status[i]) for i, p in enumerate(steps) if dag.status[i] in FINAL}

    async def _step(self, pending: runs.Pending, beat: Heartbeat, recorder: Recorder, worker: str) -> RunStatus:
        logs.RUN_ID.set(pending.run_id)  # logs: this step's task only
        spec = pending.spec
        workdir = get_settings().home / spec.workdir
        try:
            argv = self._argv(spec)
        except Refused as refused:
            recorder.finished(runs.Outcome(pending.run_id, RunStatus.FAILED, error=refused.message,
                                           finished_at=runs.now()))
            return RunStatus.FAILED
        shown = runs.display_argv(argv, spec)
        recorder.started(runs.Started(pending.run_id, worker, shown, str(workdir), runs.now()))
        metrics.run_started("step")
        try:
            delivered = await asyncio.to_thread(_deliver, spec, argv, workdir, pending.run_id)
        except ValueError as failure:
            recorder.finished(runs.Outcome(pending.run_id, RunStatus.FAILED, error=f"cannot start {argv[0]}: {failure}",
                                           finished_at=runs.now(), worker=worker, argv=shown, workdir=str(workdir)))
            return RunStatus.FAILED
        done = await process.execute(
            delivered.argv, workdir=workdir, name=pending.run_id,
            env=process.job_env({**spec.env, **delivered.env}, workdir), timeout=spec.timeout,
            grace=spec.kill_grace, on_start=beat.started, on_exit=beat.ended, secrets=delivered)
        if done.status == RunStatus.CANCELLED and not _cancel_requested():
            return RunStatus.CANCELLED  # lost attempt: nothing final is written, the retry runs it again
        recorder.finished(_outcome(pending.run_id, done, worker, shown, str(workdir)))
        return done.status

    @activity.defn(name=FINISH_RUN)
    async def finish_run(self, request: FinishRunInput) -> None:
        """Close a job run no attempt closed (never started, or every attempt lost)."""
        logs.RUN_ID.set(request.run_id)
        if await self._db(runs.finish, runs.Outcome(request.run_id, request.status, error=request.error,
                                                    finished_at=runs.now())):
            metrics.run_finished("job", request.status)

    @activity.defn(name=FINISH_ROUTINE)
    async def finish_routine(self, request: FinishRoutineInput) -> RunStatus:
        """Close the steps still open and the routine itself; returns the routine's status."""
        logs.RUN_ID.set(request.run_id)
        end = await self._db(runs.finish_routine, request.run_id, cancelled=request.cancelled,
                             steps=request.steps, errors=request.errors, timed_out=request.timed_out)
        if end.closed:
            metrics.run_finished("routine", end.status, end.started_at, runs.now())
        return end.status

    @activity.defn(name=START_SCHEDULED_RUN)
    async def start_scheduled_run(self, request: StartScheduledRunInput) -> ScheduledStart:
        """Record the run of one fire of a schedule (trigger ``schedule:<name>``); a retry finds the one it made."""
        made = await self._db(schedules.create_run, request.schedule, request.fire_id,
                              retry=activity.info().attempt > 1)
        if made.plan is None:
            return ScheduledStart(made.run_id, made.kind, made.target, made.task_queue,
                                  job=JobInput(made.run_id, made.timeout, made.kill_grace, list(made.limits)))
        return ScheduledStart(made.run_id, made.kind, made.target, made.task_queue, routine=made.plan)

    @activity.defn(name=NOTIFY_WANTED)
    async def notify_wanted(self, run_id: str) -> list[list[str]]:
        """The notifications a run's end calls for (a local activity: one small query when there are none).

        A database that does not answer fails it, to be tried again; the workflow gives up after a few
        tries (logged), and the run stays as it ended.
        """
        return await self._db(notifications.wanted, run_id)

    @activity.defn(name=DELIVER_NOTIFICATION)
    async def deliver_notification(self, request: DeliverInput) -> int:
        """POST one notification once, record the attempt, and fail (for Temporal to retry) unless it got a 2xx."""
        logs.RUN_ID.set(request.run_id)
        attempt = activity.info().attempt
        try:
            out = await self._db(notifications.outgoing, request.notification, request.run_id,
                                 get_settings().public_url or "")
        except ApplicationError as error:  # the notification or the run is gone: nothing left to tell
            log.warning("notification %s of run %s not sent: %s", request.notification, request.run_id, error)
            return 0
        sent = await notify.send(out)
        await self._db(notifications.record_attempt, request.notification, request.run_id, attempt,
                       http_status=sent.http_status, error=sent.error, ok=sent.ok)
        if sent.ok:
            return sent.http_status or 0
        raise ApplicationError(f"notification {request.notification}: {sent.error}", type="DeliveryFailed",
                               non_retryable=not sent.worth_retrying)

    @activity.defn(name=PRUNE_RUNS)
    async def prune_runs(self, request: PruneInput) -> dict[str, int]:
        """The retention schedule's daily prune: final runs older than the setting, folders included."""
        pruned = await asyncio.to_thread(retention.prune, self.database, get_settings().home,
                                         retention.Criteria(older_than=request.older_than))
        log.info("retention pruned %d runs, %d bytes", len(pruned.runs), pruned.bytes)
        return {"runs": len(pruned.runs), "bytes": pruned.bytes}

    def all(self) -> list[Callable[..., Any]]:
        """The activities of a job's task queue (``run_job_now`` and ``notify_wanted`` run as local activities)."""
        return [self.run_job_now, self.run_steps, self.finish_run, self.finish_routine, self.start_scheduled_run,
                self.notify_wanted, self.deliver_notification, self.prune_runs]

    def own(self) -> list[Callable[..., Any]]:
        """The activities of this worker's own task queue."""
        return [self.watch_job]


def _progress(ended: runs.Ended) -> JobProgress:
    return JobProgress(ended.status, ended.exit_code, again=ended.again)


def _database_away(error: Exception) -> bool:
    """A lost or refused connection (or SQLite's lock), as opposed to a statement the database rejects."""
    if isinstance(error, Unavailable):
        return True
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def _patience_deadline() -> float:
    """When a patient write gives up (loop time): WRITE_PATIENCE from now, or sooner if the
    activity's own time runs out first (its last try may still take ATTEMPT_AT_MOST)."""
    patience = WRITE_PATIENCE
    info = activity.info()
    if info.start_to_close_timeout is not None:
        ends = info.started_time + info.start_to_close_timeout
        patience = min(patience, (ends - datetime.now(UTC)).total_seconds() - ATTEMPT_AT_MOST)
    return asyncio.get_running_loop().time() + patience


async def _patiently(call: Callable[[], T]) -> T:
    """``call`` in a thread, tried again while the database is away, waiting on the event loop.

    For writes that hold an outcome existing nowhere else (what a job did): giving up would mean
    running the job again. Every such write is conditional (a final record is never overwritten,
    an attempt is counted once per start), so a commit whose answer was lost is harmless.
    """
    deadline = _patience_deadline()
    delay = 0.25
    while True:
        try:
            return await asyncio.to_thread(call)
        except (Unavailable, DBAPIError) as error:
            if not _database_away(error) or asyncio.get_running_loop().time() + delay > deadline:
                raise
            reason = error.message if isinstance(error, Unavailable) else _first_line(error)
        log.warning("the database does not answer (%s): keeping the record, trying again in %.1fs", reason, delay)
        await asyncio.sleep(delay)
        delay = min(2 * delay, 5.0)


def _first_line(error: DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__


def _deliver(spec: JobSpec, argv: list[str], workdir: Path, run_id: str) -> secrets.Delivery:
    """The run's secrets revealed and put where their parameters say, just before the program starts
    (argv may hold a prefix the worker added: sudo)."""
    return secrets.deliver(spec.secrets, argv, offset=len(argv) - len(spec.argv), folder=workdir, run_id=run_id)


def _outcome(run_id: str, done: process.Execution, worker: str, argv: list[str] | None,
             workdir: str | None) -> runs.Outcome:
    return runs.Outcome(
        run_id=run_id, status=done.status, exit_code=done.exit_code, started_at=done.started_at,
        finished_at=done.finished_at, stdout=done.stdout, stderr=done.stderr, artifacts=done.artifacts,
        artifacts_total=done.artifacts_total, error=done.error, worker=worker, argv=argv, workdir=workdir,
    )


def _skipped(step: runs.Pending, cause: runs.Pending) -> runs.Outcome:
    return runs.Outcome(step.run_id, RunStatus.SKIPPED, finished_at=runs.now(),
                        error=f"skipped: step {cause.step_id!r} did not succeed")
