"""Schedules in OTO's catalog: validated here, mirrored to Temporal Schedules by the engine.

Everything a schedule may hold is checked here, before anything is written in the database or on
Temporal, so that Temporal never refuses (or silently bends) a spec OTO accepted: cron
expressions use Temporal's dialect (5 fields; numbers, names, ``*``, ranges, lists and steps; a
day of month and a weekday both restrict, like Temporal), intervals are at least 1 s, the
catch-up window at least Temporal's 10 s. ``next_fire_times`` computes the fire times the way
Temporal does (a local time that does not exist is skipped, a repeated one fires at its second
occurrence), without asking Temporal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from oto.domain.documents import ScheduleDoc, Value
from oto.domain.models import Job, Routine, Run, Schedule
from oto.domain.runs import JobSpec, Limit, RunKind, RunSpec
from oto.domain.valuetypes import parse_duration
from oto.errors import AlreadyExists, InvalidInput, NotFound
from oto.services import jobs, lookups, routines, runs
from oto.services.validation import invalid

OVERLAP_POLICIES = ("skip", "buffer_one", "allow_all", "cancel_other")
# Temporal raises a shorter catch-up window to this without saying so.
MIN_CATCHUP_WINDOW = 10.0
MIN_EVERY = 1.0
# The longest duration a schedule may hold, and the times its start and end may name: far enough
# for any real schedule, near enough that every fire time OTO computes (start + every + offset)
# stays within what datetime, Temporal's Go durations (about 292 years) and its timestamps hold.
MAX_SCHEDULE_DURATION = 100 * 365 * 86400.0
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
TRIGGER_PREFIX = "schedule:"
# How many recent runs of a schedule a retried fire looks through for the run it already made.
RETRY_LOOKBACK = 100

_CRON_FIELDS = (
    # name, low, high, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("weekday", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_ITEM = re.compile(r"^(?:\*|([0-9]+|[a-z]{3})(?:-([0-9]+|[a-z]{3}))?)(?:/([0-9]+))?$")


def trigger_of(name: str) -> str:
    """The trigger recorded on every run a schedule starts: ``schedule:<name>``."""
    return f"{TRIGGER_PREFIX}{name}"


def _label(where: str, name: str) -> str:
    if where.endswith("]"):  # an item of a document: schedules[3] (nightly)
        return f"{where} ({name})"
    if where == "schedule":
        return f"schedule {name!r}"
    return where


def _cron_value(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.isdigit():
        value = int(text)
    elif text in names:
        value = names.index(text) + (1 if field == "month" else 0)
    else:
        raise ValueError(f"the {field} field has {text!r}, which is not a number or a name")
    if not low <= value <= high:
        raise ValueError(f"the {field} field has {value}, out of {low}-{high}")
    return value


def _check_cron_field(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> None:
    for item in text.split(","):
        match = _CRON_ITEM.match(item.lower())
        if not match:
            raise ValueError(
                f"the {field} field has {item!r} (use *, numbers, names, ranges a-b, lists a,b and steps /n)"
            )
        first, last, step = match.groups()
        if first is not None:
            start = _cron_value(first, field, low, high, names)
            if last is not None and _cron_value(last, field, low, high, names) < start:
                raise ValueError(f"the {field} field has the range {item!r}, which ends before it starts")
        if step is not None and int(step) == 0:
            raise ValueError(f"the {field} field has a step of 0")


def check_cron(expression: str) -> str | None:
    """Why ``expression`` is not a cron expression OTO and Temporal read alike, or None."""
    fields = expression.split()
    if len(fields) != 5:
        return "it needs 5 fields (minute hour day-of-month month weekday)"
    try:
        for text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
            _check_cron_field(text, field, low, high, names)
    except ValueError as error:
        return str(error)
    if not croniter.is_valid(expression):
        return "croniter cannot read it"
    return None


def _utc(value: datetime | None) -> datetime | None:
    """A time as an aware UTC datetime; a naive one (SQLite hands those back) is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalized(doc: ScheduleDoc) -> ScheduleDoc:
    """The same schedule with its start and end in UTC, as it is stored and exported."""
    start, end = _utc(doc.start), _utc(doc.end)
    if start == doc.start and end == doc.end and (start is None or start.tzinfo is UTC) and (
            end is None or end.tzinfo is UTC):
        return doc
    return doc.model_copy(update={"start": start, "end": end})


def check_times(doc: ScheduleDoc, where: str) -> None:
    """Refuse a start or an end outside 1970-2199 (comparing aware times never overflows; converting may)."""
    label = _label(where, doc.name)
    for key in ("start", "end"):
        at: datetime | None = getattr(doc, key)
        if at is None:
            continue
        aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        if not EARLIEST <= aware < LATEST:
            raise InvalidInput(f"{label}: {key} must be from 1970 to 2199, not {at.isoformat()}")


def check_spec(doc: ScheduleDoc, where: str) -> None:
    """Refuse a schedule spec Temporal would reject or misread, with the reason."""
    check_times(doc, where)
    label = _label(where, doc.name)
    if doc.cron is not None:
        problem = check_cron(doc.cron)
        if problem is not None:
            raise InvalidInput(f"{label}: {doc.cron!r} is not a valid cron expression: {problem}")
    try:
        ZoneInfo(doc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{label}: {doc.timezone!r} is not a known time zone (e.g. UTC, Europe/Paris)") from None
    seconds: dict[str, float] = {}
    for key in ("every", "offset", "catchup_window", "jitter"):
        text = getattr(doc, key)
        if text is None:
            continue
        try:
            seconds[key] = parse_duration(text)
        except ValueError as error:
            raise InvalidInput(f"{label}: {key} {error}") from None
        if seconds[key] > MAX_SCHEDULE_DURATION:
            raise InvalidInput(f"{label}: {key} must be at most 36500d (100 years), not {text}")
    if "every" in seconds and seconds["every"] < MIN_EVERY:
        raise InvalidInput(f"{label}: every must be at least 1s, not {doc.every}")
    if "offset" in seconds:
        if doc.every is None:
            raise InvalidInput(f"{label}: an offset goes with every, not with a cron expression")
        if seconds["offset"] >= seconds["every"]:
            raise InvalidInput(f"{label}: the offset ({doc.offset}) must be shorter than every ({doc.every})")
    if "catchup_window" in seconds and seconds["catchup_window"] < MIN_CATCHUP_WINDOW:
        raise InvalidInput(
            f"{label}: catchup_window must be at least 10s (Temporal's minimum), not {doc.catchup_window}"
        )
    if "jitter" in seconds and seconds["jitter"] <= 0:
        raise InvalidInput(f"{label}: jitter must be more than 0s, not {doc.jitter}")
    if doc.overlap not in OVERLAP_POLICIES:
        raise InvalidInput(f"{label}: overlap must be one of {', '.join(OVERLAP_POLICIES)}, not {doc.overlap!r}")
    start, end = _utc(doc.start), _utc(doc.end)
    if start and end and end <= start:
        raise InvalidInput(f"{label}: the end ({end.isoformat()}) is not after the start ({start.isoformat()})")


def to_doc(s: Schedule) -> ScheduleDoc:
    return ScheduleDoc.model_construct(
        name=s.name,
        job=s.job.name if s.job else None,
        routine=s.routine.name if s.routine else None,
        cron=s.cron,
        timezone=s.timezone,
        every=s.every,
        offset=s.offset,
        overlap=s.overlap,
        catchup_window=s.catchup_window,
        jitter=s.jitter,
        start=_utc(s.start),
        end=_utc(s.end),
        paused=s.paused,
        note=s.note,
        values=jobs.shown_inputs(s.input_values, _secret_values(s)) if s.input_values else {},
    )


def _secret_values(s: Schedule) -> set[str]:
    if s.job is not None:
        return jobs.secret_inputs(s.job)
    return routines.secret_inputs(s.routine) if s.routine is not None else set()


def check_values(db: Session, doc: ScheduleDoc, job: Job | None, routine: Routine | None,
                 current: Schedule | None, label: str) -> dict[str, Value]:
    """The input values a schedule's fires run with, checked as a run's are, secret ones sealed; a
    masked one (``***``, as exports show it) keeps the value stored now."""
    given = jobs.kept_masks(dict(doc.values), current.input_values if current is not None else {})
    if job is not None:
        resolved = jobs.resolve(db, job.name, to_run=False, given=given, where=label)
        return {flag: resolved.inputs[flag] for flag in given if given[flag] is not None}
    assert routine is not None
    return routines.check_run_values(db, routine, given, label)


def parse(data: ScheduleDoc | dict[str, Any], where: str = "schedule") -> ScheduleDoc:
    if isinstance(data, ScheduleDoc):
        return data
    try:
        return ScheduleDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def save(db: Session, doc: ScheduleDoc, where: str, *, replace: bool) -> str:
    """Write a schedule (flushed, not committed); refused with nothing written when anything is wrong."""
    check_times(doc, where)
    doc = normalized(doc)
    check_spec(doc, where)
    label = _label(where, doc.name)
    try:
        job = lookups.job(db, doc.job) if doc.job else None
        routine = lookups.routine(db, doc.routine) if doc.routine else None
    except NotFound as error:
        raise error.within(label) from None
    current = db.scalar(select(Schedule).where(Schedule.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"schedule {doc.name!r} already exists")
    try:
        values = check_values(db, doc, job, routine, current, label)
    except InvalidInput as error:
        raise (error if error.message.startswith(label) else error.within(label)) from None
    if (current is not None and current.input_values == values
            and to_doc(current).to_document() | {"values": None} == doc.to_document() | {"values": None}):
        return "unchanged"
    record = current or Schedule(name=doc.name)
    record.job, record.routine = job, routine
    record.input_values = values
    for key in (
        "cron",
        "timezone",
        "every",
        "offset",
        "overlap",
        "catchup_window",
        "jitter",
        "start",
        "end",
        "paused",
        "note",
    ):
        setattr(record, key, getattr(doc, key))
    if current is None:
        db.add(record)
    db.flush()
    return "updated" if current is not None else "created"


def add(db: Session, data: ScheduleDoc | dict[str, Any]) -> ScheduleDoc:
    name = data.get("name") if isinstance(data, dict) else data.name
    doc = parse(data, f"schedule {name!r}" if isinstance(name, str) else "schedule")
    save(db, doc, "schedule", replace=False)
    return get(db, doc.name)


def get(db: Session, name: str) -> ScheduleDoc:
    return to_doc(lookups.schedule(db, name))


def list_all(db: Session) -> list[ScheduleDoc]:
    return [to_doc(s) for s in db.scalars(select(Schedule).order_by(Schedule.name))]


def names(db: Session) -> list[str]:
    return list(db.scalars(select(Schedule.name).order_by(Schedule.name)))


def update(db: Session, name: str, changes: dict[str, Any]) -> ScheduleDoc:
    """Apply ``changes`` to a schedule; naming a job drops its routine and vice versa."""
    record = lookups.schedule(db, name)
    lookups.claim(db, record, f"schedule {name!r}")
    current = to_doc(record).model_dump()
    if changes.get("job") is not None:
        current["routine"] = None
    if changes.get("routine") is not None:
        current["job"] = None
    if (changes.get("job") or changes.get("routine")) not in (None, current["job"] or current["routine"]):
        current["values"] = {}  # another job's or routine's inputs: the values given for them, or none
    if changes.get("cron") is not None:
        current["every"] = None
    if changes.get("every") is not None:
        current["cron"] = None
    doc = parse(current | changes | {"name": name}, f"schedule {name!r}")
    save(db, doc, "schedule", replace=True)
    return get(db, name)


def set_paused(db: Session, name: str, paused: bool, note: str = "") -> ScheduleDoc:
    record = lookups.schedule(db, name)
    lookups.claim(db, record, f"schedule {name!r}")
    record.paused, record.note = paused, note
    db.flush()
    return to_doc(record)


def delete(db: Session, name: str) -> None:
    record = lookups.schedule(db, name)
    lookups.claim(db, record, f"schedule {name!r}")
    db.delete(record)
    db.flush()


# -- when it fires -------------------------------------------------------------------------------


def _cron_times(doc: ScheduleDoc, after: datetime) -> Iterator[datetime]:
    """Fire times of a cron schedule after ``after``, in UTC, as Temporal computes them.

    Cron fields are wall-clock times in the schedule's zone: a time the zone skips (spring
    forward) does not fire, and a time it repeats (fall back) fires once, at its second occurrence.
    """
    assert doc.cron is not None
    zone = ZoneInfo(doc.timezone)
    local = after.astimezone(zone).replace(tzinfo=None)
    # back up an hour: a repeated hour's second occurrence is earlier in wall-clock time
    times = croniter(doc.cron, local - timedelta(hours=1), day_or=False)
    for _ in range(100_000):
        try:
            wall: datetime = times.get_next(datetime)
        except Exception:  # croniter gives up on a date that never comes (30 February)
            return
        moment = wall.replace(tzinfo=zone, fold=1)
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            continue  # skipped by the zone
        at = moment.astimezone(UTC)
        if at > after:
            yield at


def _interval_times(doc: ScheduleDoc, after: datetime) -> Iterator[datetime]:
    """Fire times of an interval schedule after ``after``: epoch + n * every + offset, like Temporal."""
    assert doc.every is not None
    micro = timedelta(microseconds=1)
    every = round(parse_duration(doc.every) * 1_000_000)
    offset = round(parse_duration(doc.offset) * 1_000_000) if doc.offset else 0
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    since = (after - epoch) // micro
    n = (since - offset) // every + 1
    while True:
        yield epoch + (n * every + offset) * micro
        n += 1


def next_fire_times(doc: ScheduleDoc, count: int = 5, after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times (UTC, before jitter) after ``after`` (now), within start and end."""
    after = _utc(after) or runs.now()
    start, end = _utc(doc.start), _utc(doc.end)
    if start is not None and start > after:
        after = start - timedelta(microseconds=1)
    times = _cron_times(doc, after) if doc.cron is not None else _interval_times(doc, after)
    found: list[datetime] = []
    try:
        for at in times:
            if len(found) >= count or (end is not None and at > end):
                break
            found.append(at)
    except (OverflowError, ValueError):  # past year 9999: a record older than the bounds above
        pass
    return found


def fires_between(doc: ScheduleDoc, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
    """The fire times in (start, end], at most ``limit`` (what a backfill of that range starts)."""
    first, last = _utc(start) or start, _utc(end) or end
    own_start, own_end = _utc(doc.start), _utc(doc.end)
    found: list[datetime] = []
    try:
        for at in _cron_times(doc, first) if doc.cron is not None else _interval_times(doc, first):
            if at > last or len(found) >= limit:
                break
            if (own_start is None or at >= own_start) and (own_end is None or at <= own_end):
                found.append(at)
    except (OverflowError, ValueError):  # past year 9999
        pass
    return found


def check_backfill(doc: ScheduleDoc, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A backfill range in UTC; refused when it is empty or backwards."""
    for at in (start, end):
        if not EARLIEST <= (at if at.tzinfo is not None else at.replace(tzinfo=UTC)) < LATEST:
            raise InvalidInput(f"schedule {doc.name!r}: a backfill's times must be from 1970 to 2199, not "
                               f"{at.isoformat()}")
    first, last = _utc(start), _utc(end)
    assert first is not None and last is not None
    if last <= first:
        raise InvalidInput(
            f"schedule {doc.name!r}: the backfill's end ({last.isoformat()}) is not after its start "
            f"({first.isoformat()})"
        )
    return first, last


# -- the runs it starts --------------------------------------------------------------------------


def recent_runs(db: Session, name: str, limit: int = 5) -> list[dict[str, Any]]:
    """The newest runs a schedule started, newest first (as ``oto run list`` shows them)."""
    return runs.list_runs(db, trigger=trigger_of(name), limit=limit)


@dataclass(frozen=True)
class ScheduledRun:
    """The run a schedule's fire made: what the engine needs to start its workflow."""

    run_id: str
    kind: str  # job | routine
    target: str
    task_queue: str
    timeout: float = 0.0
    kill_grace: float = 0.0
    plan: runs.RoutinePlan | None = None
    limits: tuple[Limit, ...] = ()


def _newest(db: Session, name: str, limit: int) -> list[Run]:
    query = (
        select(Run).options(defer(Run.stdout), defer(Run.stderr))
        .where(Run.trigger == trigger_of(name), Run.parent_id.is_(None))
        .order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
    )
    return list(db.scalars(query))


def _fire_of(run: Run) -> str | None:
    schedule = RunSpec.from_json(run.spec).schedule
    return None if schedule is None else schedule.fire


def fire_runs(db: Session, name: str, limit: int = RETRY_LOOKBACK) -> dict[str, str]:
    """The runs of a schedule's recent fires, newest first: fire (its workflow id) -> run id."""
    return {fire: run.id for run in _newest(db, name, limit) if (fire := _fire_of(run)) is not None}


def _already_made(db: Session, name: str, fire_id: str) -> Run | None:
    for run in _newest(db, name, RETRY_LOOKBACK):
        if _fire_of(run) == fire_id:
            return run
    return None


def create_run(db: Session, name: str, fire_id: str, *, retry: bool = False) -> ScheduledRun:
    """The queued run of one fire of schedule ``name``, recorded like ``oto job run`` / ``oto routine run``.

    ``fire_id`` (the id of the fire's workflow) is kept in the run's spec, so a retried fire finds
    the run it already made instead of making a second one.
    """
    schedule = db.scalar(select(Schedule).where(Schedule.name == name))
    if schedule is None:
        raise NotFound(
            f"no schedule {name!r} in OTO's database, yet Temporal fired it: it was deleted behind Temporal's "
            "back (`oto schedule sync --prune` deletes such schedules)"
        )
    made = _already_made(db, name, fire_id) if retry else None
    if made is not None:
        return _scheduled(db, made)
    trigger = trigger_of(name)
    plan: runs.RoutinePlan | None = None
    if schedule.job is not None:
        run = runs.create_job_run(db, schedule.job.name, trigger=trigger, values=schedule.input_values)
    else:
        assert schedule.routine is not None
        plan = runs.create_routine_run(db, schedule.routine.name, trigger=trigger, values=schedule.input_values)
        found = db.get(Run, plan.run_id)
        assert found is not None
        run = found
    run.spec = RunSpec.from_json(run.spec).with_schedule(name, fire_id).to_json()
    db.flush()
    return _scheduled(db, run, plan)


def _scheduled(db: Session, run: Run, plan: runs.RoutinePlan | None = None) -> ScheduledRun:
    if run.kind == RunKind.JOB:
        spec = JobSpec.from_json(run.spec)
        return ScheduledRun(run.id, "job", str(run.job_name), run.task_queue, spec.timeout, spec.kill_grace,
                            limits=spec.limits)
    # a retried fire: the plan again, from the records it made
    plan = plan or runs.plan_of(db, run.id)
    return ScheduledRun(run.id, "routine", str(run.routine_name), plan.queues[0], plan=plan)
