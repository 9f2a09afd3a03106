"""Schedules in OTO's catalog: validated here, mirrored to Temporal Schedules by the engine."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.documents import ScheduleDoc
from oto.domain.models import Job, Routine, Schedule
from oto.domain.valuetypes import parse_duration
from oto.errors import AlreadyExists, InvalidInput
from oto.services import lookups
from oto.services.validation import invalid

OVERLAP_POLICIES = ("skip", "buffer_one", "allow_all", "cancel_other")


def check_spec(doc: ScheduleDoc, where: str) -> None:
    """Refuse a schedule spec Temporal would reject or misread, with the reason."""
    label = f"{where} ({doc.name})"
    if doc.cron is not None:
        fields = doc.cron.split()
        if len(fields) != 5 or not croniter.is_valid(doc.cron):
            raise InvalidInput(
                f"{label}: {doc.cron!r} is not a 5-field cron expression (minute hour day month weekday)"
            )
    try:
        ZoneInfo(doc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{label}: {doc.timezone!r} is not a known time zone (e.g. UTC, Europe/Paris)") from None
    for key in ("every", "offset", "catchup_window", "jitter"):
        text = getattr(doc, key)
        if text is None:
            continue
        try:
            seconds = parse_duration(text)
        except ValueError as error:
            raise InvalidInput(f"{label}: {key} {error}") from None
        if key == "every" and seconds < 1:
            raise InvalidInput(f"{label}: every must be at least 1s, not {text}")
    if doc.overlap not in OVERLAP_POLICIES:
        raise InvalidInput(f"{label}: overlap must be one of {', '.join(OVERLAP_POLICIES)}, not {doc.overlap!r}")
    if doc.start and doc.end and doc.end <= doc.start:
        raise InvalidInput(f"{label}: the end ({doc.end.isoformat()}) is not after the start ({doc.start.isoformat()})")


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
        start=s.start,
        end=s.end,
        paused=s.paused,
        note=s.note,
    )


def parse(data: ScheduleDoc | dict[str, Any], where: str = "schedule") -> ScheduleDoc:
    if isinstance(data, ScheduleDoc):
        return data
    try:
        return ScheduleDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def save(db: Session, doc: ScheduleDoc, where: str, *, replace: bool) -> str:
    check_spec(doc, where)
    job = lookups.job(db, doc.job) if doc.job else None
    routine = lookups.routine(db, doc.routine) if doc.routine else None
    current = db.scalar(select(Schedule).where(Schedule.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"{where}: schedule {doc.name!r} already exists")
    if current is not None and to_doc(current).to_document() == doc.to_document():
        return "unchanged"
    record = current or Schedule(name=doc.name)
    record.job, record.routine = job, routine
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
    doc = parse(data)
    save(db, doc, "schedule", replace=False)
    return get(db, doc.name)


def get(db: Session, name: str) -> ScheduleDoc:
    return to_doc(lookups.schedule(db, name))


def list_all(db: Session) -> list[ScheduleDoc]:
    return [to_doc(s) for s in db.scalars(select(Schedule).order_by(Schedule.name))]


def set_paused(db: Session, name: str, paused: bool, note: str = "") -> ScheduleDoc:
    record = lookups.schedule(db, name)
    record.paused, record.note = paused, note
    db.flush()
    return to_doc(record)


def delete(db: Session, name: str) -> None:
    db.delete(lookups.schedule(db, name))
    db.flush()


def targets(db: Session) -> tuple[set[str], set[str]]:
    return set(db.scalars(select(Job.name))), set(db.scalars(select(Routine.name)))
