"""Schedules in the catalog: every bad spec refused with its exact message and nothing written (on
both databases), fire times computed as Temporal computes them, and import/export of schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oto.domain.documents import ScheduleDoc
from oto.domain.models import Schedule
from oto.errors import AlreadyExists, InvalidInput, NotFound, OtoError
from oto.services import documents, schedules
from oto.services.database import Database
from tests.support.catalog import genrsa_document, load, snapshot

GOOD = {"name": "nightly", "job": "GenRSA-2048", "cron": "0 3 * * *"}


@pytest.fixture
def catalog(database: Database) -> Database:
    load(database, genrsa_document() | {"routines": [
        {"name": "keys", "steps": [{"id": "key", "job": "GenRSA-2048", "after": []}]}]})
    with database.session() as db:
        schedules.add(db, GOOD)
    return database


def refused(database: Database, action: Callable[[Session], Any], error: type[OtoError], message: str) -> None:
    before = snapshot(database)
    with pytest.raises(error) as raised, database.session() as db:
        action(db)
    assert str(raised.value) == message
    assert snapshot(database) == before


REFUSALS: list[tuple[dict[str, Any], type[OtoError], str]] = [
    ({"cron": "every day"}, InvalidInput,
     "schedule 'other': 'every day' is not a valid cron expression: it needs 5 fields "
     "(minute hour day-of-month month weekday)"),
    ({"cron": "0 3 * * * *"}, InvalidInput,
     "schedule 'other': '0 3 * * * *' is not a valid cron expression: it needs 5 fields "
     "(minute hour day-of-month month weekday)"),
    ({"cron": "61 3 * * *"}, InvalidInput,
     "schedule 'other': '61 3 * * *' is not a valid cron expression: the minute field has 61, out of 0-59"),
    ({"cron": "0 3 L * *"}, InvalidInput,
     "schedule 'other': '0 3 L * *' is not a valid cron expression: the day of month field has 'L' "
     "(use *, numbers, names, ranges a-b, lists a,b and steps /n)"),
    ({"cron": "0 3 * * 5#3"}, InvalidInput,
     "schedule 'other': '0 3 * * 5#3' is not a valid cron expression: the weekday field has '5#3' "
     "(use *, numbers, names, ranges a-b, lists a,b and steps /n)"),
    ({"cron": "5-3 * * * *"}, InvalidInput,
     "schedule 'other': '5-3 * * * *' is not a valid cron expression: the minute field has the range "
     "'5-3', which ends before it starts"),
    ({"cron": "*/0 * * * *"}, InvalidInput,
     "schedule 'other': '*/0 * * * *' is not a valid cron expression: the minute field has a step of 0"),
    ({"cron": None, "every": "500ms"}, InvalidInput, "schedule 'other': every must be at least 1s, not 500ms"),
    ({"cron": None, "every": "0s"}, InvalidInput, "schedule 'other': every must be at least 1s, not 0s"),
    ({"cron": None, "every": "soon"}, InvalidInput,
     "schedule 'other': every 'soon' is not a duration (use a number and a unit: 500ms, 30s, 2m, 1h, 1d)"),
    ({"cron": None, "every": "15m", "offset": "15m"}, InvalidInput,
     "schedule 'other': the offset (15m) must be shorter than every (15m)"),
    ({"offset": "1m"}, InvalidInput, "schedule 'other': an offset goes with every, not with a cron expression"),
    ({"catchup_window": "5s"}, InvalidInput,
     "schedule 'other': catchup_window must be at least 10s (Temporal's minimum), not 5s"),
    ({"jitter": "0s"}, InvalidInput, "schedule 'other': jitter must be more than 0s, not 0s"),
    ({"timezone": "Mars/Olympus"}, InvalidInput,
     "schedule 'other': 'Mars/Olympus' is not a known time zone (e.g. UTC, Europe/Paris)"),
    ({"overlap": "sometimes"}, InvalidInput,
     "schedule 'other': overlap must be one of skip, buffer_one, allow_all, cancel_other, not 'sometimes'"),
    ({"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}, InvalidInput,
     "schedule 'other': the end (2030-01-01T00:00:00+00:00) is not after the start (2030-01-02T00:00:00+00:00)"),
    ({"start": "2030-01-01T01:00:00+01:00", "end": "2030-01-01T00:00:00Z"}, InvalidInput,
     "schedule 'other': the end (2030-01-01T00:00:00+00:00) is not after the start (2030-01-01T00:00:00+00:00)"),
    # every time and duration within what datetime and Temporal hold
    ({"start": "9999-12-31T23:00:00Z"}, InvalidInput,
     "schedule 'other': start must be from 1970 to 2199, not 9999-12-31T23:00:00+00:00"),
    ({"end": "0001-01-01T00:00:00+01:00"}, InvalidInput,
     "schedule 'other': end must be from 1970 to 2199, not 0001-01-01T00:00:00+01:00"),
    ({"cron": None, "every": "3000000d"}, InvalidInput,
     "schedule 'other': every must be at most 36500d (100 years), not 3000000d"),
    ({"cron": None, "every": "99999999999999d"}, InvalidInput,
     "schedule 'other': every must be at most 36500d (100 years), not 99999999999999d"),
    ({"cron": None, "every": "1" + "0" * 400 + "d"}, InvalidInput,
     "schedule 'other': every: every can be at most 50 characters long, not 402"),
    ({"jitter": "36501d"}, InvalidInput, "schedule 'other': jitter must be at most 36500d (100 years), not 36501d"),
    ({"catchup_window": "99999999999d"}, InvalidInput,
     "schedule 'other': catchup_window must be at most 36500d (100 years), not 99999999999d"),
    ({"job": "ghost"}, NotFound, "schedule 'other': no job 'ghost'"),
    ({"job": None, "routine": "ghost"}, NotFound, "schedule 'other': no routine 'ghost'"),
    ({"name": "nightly"}, AlreadyExists, "schedule 'nightly' already exists"),
    ({"every": "1h"}, InvalidInput, "schedule 'other': a schedule has exactly one of cron or every"),
    ({"routine": "keys"}, InvalidInput, "schedule 'other': a schedule names exactly one of job or routine"),
    ({"name": "keys/nightly"}, InvalidInput,
     "schedule 'keys/nightly': name: a name cannot contain '/' (names go in URL paths, where '/' separates parts): "
     "'keys/nightly'"),
]


def test_bad_schedules_are_refused_with_nothing_written(catalog: Database) -> None:
    for fields, error, message in REFUSALS:
        data = GOOD | {"name": "other"} | fields
        refused(catalog, lambda db, data=data: schedules.add(db, data), error, message)


def test_a_bad_schedule_in_a_document_says_where(catalog: Database) -> None:
    before = snapshot(catalog)
    bad = {"oto": 1, "schedules": [GOOD | {"name": "a"}, GOOD | {"name": "b", "cron": None, "every": "10ms"}]}
    with pytest.raises(InvalidInput) as raised:
        load(catalog, bad)
    assert str(raised.value) == "schedules[1] (b): every must be at least 1s, not 10ms"
    unknown = {"oto": 1, "schedules": [GOOD | {"name": "c", "job": "ghost"}]}
    with pytest.raises(NotFound) as missing:
        load(catalog, unknown)
    assert str(missing.value) == "schedules[0] (c): no job 'ghost'"
    assert snapshot(catalog) == before


def test_an_import_of_an_endless_interval_is_refused_and_writes_nothing(catalog: Database) -> None:
    before = snapshot(catalog)
    bad = {"oto": 1, "schedules": [GOOD | {"name": "x", "cron": None, "every": "99999999999999d"}]}
    with pytest.raises(InvalidInput) as raised:
        load(catalog, bad)
    assert str(raised.value) == "schedules[0] (x): every must be at most 36500d (100 years), not 99999999999999d"
    assert snapshot(catalog) == before


def test_a_record_stored_before_the_bounds_still_lists(catalog: Database) -> None:
    """Fire times past year 9999 end the list instead of raising OverflowError on every page."""
    with catalog.session() as db:
        record = db.scalar(sa.select(Schedule).where(Schedule.name == "nightly"))
        assert record is not None
        record.cron, record.every, record.start = None, "3000000d", datetime(9999, 12, 31, 23, tzinfo=UTC)
    with catalog.session() as db:
        doc = schedules.get(db, "nightly")
    assert schedules.next_fire_times(doc, 3) == []
    assert schedules.fires_between(doc, datetime(2030, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)) == []


def test_a_changed_schedule_is_checked_again(catalog: Database) -> None:
    refused(catalog, lambda db: schedules.update(db, "nightly", {"every": "100ms"}), InvalidInput,
            "schedule 'nightly': every must be at least 1s, not 100ms")
    with catalog.session() as db:
        moved = schedules.update(db, "nightly", {"routine": "keys", "every": "15m", "offset": "2m"})
    assert (moved.routine, moved.job, moved.every, moved.cron) == ("keys", None, "15m", None)


def test_times_are_kept_in_utc_and_export_round_trips(database: Database, tmp_path: Path) -> None:
    load(database, genrsa_document())
    with database.session() as db:
        doc = schedules.add(db, {"name": "paris", "job": "GenRSA-2048", "cron": "0 3 * * 1-5",
                                 "timezone": "Europe/Paris", "start": "2030-01-01T03:00:00+01:00",
                                 "end": "2031-01-01T00:00:00", "overlap": "buffer_one", "catchup_window": "1h",
                                 "jitter": "30s", "paused": True, "note": "later"})
        schedules.add(db, {"name": "often", "routine": None, "job": "GenRSA-2048", "every": "15m", "offset": "2m"})
    assert doc.start == datetime(2030, 1, 1, 2, tzinfo=UTC) and doc.end == datetime(2031, 1, 1, tzinfo=UTC)
    with database.session() as db:
        exported = documents.export_document(db)
    assert exported["schedules"] == [
        {"name": "often", "job": "GenRSA-2048", "every": "15m", "offset": "2m"},
        {"name": "paris", "job": "GenRSA-2048", "cron": "0 3 * * 1-5", "timezone": "Europe/Paris",
         "start": "2030-01-01T02:00:00Z", "end": "2031-01-01T00:00:00Z", "overlap": "buffer_one",
         "catchup_window": "1h", "jitter": "30s", "paused": True, "note": "later"},
    ]
    again = load(database, exported)
    assert again.counts["schedules"] == {"created": 0, "updated": 0, "unchanged": 2}
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.upgrade()
    report = load(empty, exported)
    assert report.counts["schedules"]["created"] == 2
    with empty.session() as db:
        assert documents.dumps(documents.export_document(db)) == documents.dumps(exported)
    empty.dispose()


# -- fire times, as Temporal's dev server computes them (checked against it once, kept here) -------


def fires(cron: str, zone: str, after: datetime, n: int = 5) -> list[str]:
    doc = ScheduleDoc(name="x", job="j", cron=cron, timezone=zone)
    return [t.isoformat() for t in schedules.next_fire_times(doc, n, after)]


def test_next_fire_times_of_0_3_in_utc_and_in_paris_across_the_spring_change() -> None:
    after = datetime(2035, 3, 22, 12, tzinfo=UTC)  # Paris moves to summer time on Sunday 25 March 2035
    assert fires("0 3 * * *", "UTC", after) == [
        "2035-03-23T03:00:00+00:00", "2035-03-24T03:00:00+00:00", "2035-03-25T03:00:00+00:00",
        "2035-03-26T03:00:00+00:00", "2035-03-27T03:00:00+00:00"]
    assert fires("0 3 * * *", "Europe/Paris", after) == [
        "2035-03-23T02:00:00+00:00", "2035-03-24T02:00:00+00:00", "2035-03-25T01:00:00+00:00",
        "2035-03-26T01:00:00+00:00", "2035-03-27T01:00:00+00:00"]


def test_a_skipped_local_time_does_not_fire_and_a_repeated_one_fires_once() -> None:
    # 2:30 does not exist in Paris on 28 March 2027 and happens twice on 31 October 2027
    assert fires("30 2 * * *", "Europe/Paris", datetime(2027, 3, 26, tzinfo=UTC), 4) == [
        "2027-03-26T01:30:00+00:00", "2027-03-27T01:30:00+00:00", "2027-03-29T00:30:00+00:00",
        "2027-03-30T00:30:00+00:00"]
    assert fires("30 2 * * *", "Europe/Paris", datetime(2027, 10, 29, tzinfo=UTC), 4) == [
        "2027-10-29T00:30:00+00:00", "2027-10-30T00:30:00+00:00", "2027-10-31T01:30:00+00:00",
        "2027-11-01T01:30:00+00:00"]


def test_day_of_month_and_weekday_both_restrict_like_temporal() -> None:
    assert fires("0 0 13 * 5", "UTC", datetime(2027, 1, 1, tzinfo=UTC), 3) == [  # Friday the 13th
        "2027-08-13T00:00:00+00:00", "2028-10-13T00:00:00+00:00", "2029-04-13T00:00:00+00:00"]
    assert fires("0 9 * * mon-fri", "UTC", datetime(2027, 10, 29, 12, tzinfo=UTC), 2) == [
        "2027-11-01T09:00:00+00:00", "2027-11-02T09:00:00+00:00"]
    assert fires("0 0 31 2 *", "UTC", datetime(2027, 1, 1, tzinfo=UTC)) == []


def test_interval_fire_times_honour_offset_start_and_end() -> None:
    doc = ScheduleDoc(name="x", job="j", every="15m", offset="2m", start=datetime(2030, 1, 1, tzinfo=UTC),
                      end=datetime(2030, 1, 1, 1, tzinfo=UTC))
    assert [t.strftime("%H:%M") for t in schedules.next_fire_times(doc, 10)] == ["00:02", "00:17", "00:32", "00:47"]
    now = datetime(2030, 6, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    every_second = ScheduleDoc(name="x", job="j", every="1s")
    assert schedules.next_fire_times(every_second, 2, now) == [now.replace(microsecond=0) + timedelta(seconds=1),
                                                               now.replace(microsecond=0) + timedelta(seconds=2)]


def test_interval_fires_count_from_the_epoch_plus_offset_after_the_time_given() -> None:
    # what the dashboard shows (it asks the service, which it once duplicated)
    now = datetime(2026, 1, 1, 10, 7, 30, tzinfo=UTC)
    every = ScheduleDoc(name="x", job="j", every="15m")
    assert [t.strftime("%H:%M") for t in schedules.next_fire_times(every, 3, now)] == ["10:15", "10:30", "10:45"]
    offset = ScheduleDoc(name="x", job="j", every="1h", offset="5m")
    assert [t.strftime("%H:%M") for t in schedules.next_fire_times(offset, 2, now)] == ["11:05", "12:05"]
    ended = ScheduleDoc(name="x", job="j", every="1h", end=datetime(2026, 1, 1, 11, 30, tzinfo=UTC))
    assert [t.strftime("%H:%M") for t in schedules.next_fire_times(ended, 3, now)] == ["11:00"]


def test_a_backfill_range_lists_the_fires_it_makes() -> None:
    doc = ScheduleDoc(name="x", job="j", cron="0 3 * * *", timezone="Europe/Paris")
    start, end = datetime(2026, 11, 24, 23, tzinfo=UTC), datetime(2026, 11, 27, 23, tzinfo=UTC)
    assert [t.day for t in schedules.fires_between(doc, start, end)] == [25, 26, 27]
    with pytest.raises(InvalidInput) as raised:
        schedules.check_backfill(doc, end, start)
    assert str(raised.value) == ("schedule 'x': the backfill's end (2026-11-24T23:00:00+00:00) is not after its "
                                 "start (2026-11-27T23:00:00+00:00)")
