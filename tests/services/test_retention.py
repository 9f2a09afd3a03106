"""Pruning runs: only final ones past the limits go, with their folders, output and step records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oto.domain.models import Notification, NotificationDelivery, Run
from oto.errors import InvalidInput
from oto.services import retention
from oto.services.database import Database
from oto.settings import get_settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _run(db_runs: list[Run], home: Path, run_id: str, *, status: str, days: float, job: str | None = "scan",
         routine: str | None = None, kind: str = "job", parent: str | None = None, size: int = 100) -> None:
    ended = NOW - timedelta(days=days)
    final = status not in ("queued", "running")
    db_runs.append(Run(id=run_id, kind=kind, job_name=job, routine_name=routine, parent_id=parent, status=status,
                       created_at=ended - timedelta(minutes=1), started_at=ended - timedelta(seconds=30),
                       finished_at=ended if final else None, workdir=str(home / "runs" / run_id), spec={}))
    if parent is None:
        folder = home / "runs" / run_id
        (folder / "out").mkdir(parents=True)
        (folder / "out" / "result.bin").write_bytes(b"x" * size)
    streams = home / "streams"
    streams.mkdir(parents=True, exist_ok=True)
    (streams / f"{run_id}.stderr").write_text("e")


@pytest.fixture
def history(database: Database, tmp_path: Path) -> tuple[Database, Path]:
    home = tmp_path / "home"
    made: list[Run] = []
    _run(made, home, "run-old-ok", status="succeeded", days=40)
    _run(made, home, "run-old-failed", status="failed", days=35, size=1000)
    _run(made, home, "run-old-timeout", status="timed_out", days=31)
    _run(made, home, "run-new-ok", status="succeeded", days=2)
    _run(made, home, "run-new-failed", status="failed", days=1)
    _run(made, home, "run-old-running", status="running", days=50)  # started long ago, still going
    _run(made, home, "run-old-queued", status="queued", days=45)
    _run(made, home, "run-other-old", status="cancelled", days=60, job="other")
    _run(made, home, "run-routine-old", status="failed", days=33, job=None, routine="nightly", kind="routine")
    _run(made, home, "run-routine-old-a", status="succeeded", days=33, job="scan", routine="nightly", kind="step",
         parent="run-routine-old")
    _run(made, home, "run-routine-old-b", status="skipped", days=33, job="scan", routine="nightly", kind="step",
         parent="run-routine-old")
    with database.session() as db:
        db.add_all(made)
        note = Notification(name="n", url="https://x.example", on=["failed"], target_kind="", target="", secret="",
                            description="", created_at=NOW)
        db.add(note)
        db.flush()
        db.add(NotificationDelivery(notification_id=note.id, run_id="run-old-failed", attempt=1, at=NOW,
                                    http_status=200, error="", ok=True))
    return database, home


def _ids(database: Database) -> set[str]:
    with database.session() as db:
        return set(db.scalars(select(Run.id)))


def test_only_final_runs_older_than_the_limit_go_with_their_folders(history: tuple[Database, Path]) -> None:
    database, home = history
    before = _ids(database)
    dry = retention.prune(database, home, retention.Criteria(older_than=30 * 86400), dry_run=True, at=NOW)
    gone = {"run-old-ok", "run-old-failed", "run-old-timeout", "run-other-old", "run-routine-old"}
    assert {c.run_id for c in dry.runs} == gone and dry.dry_run
    assert dry.bytes == 100 + 1000 + 100 + 100 + 100 + 5 + 2  # folders, and the stream files of runs and steps
    assert _ids(database) == before  # a dry run removes nothing
    assert all((home / "runs" / r).is_dir() for r in gone)

    done = retention.prune(database, home, retention.Criteria(older_than=30 * 86400), at=NOW)
    assert {c.run_id for c in done.runs} == gone and done.bytes == dry.bytes
    left = _ids(database)
    assert left == before - gone - {"run-routine-old-a", "run-routine-old-b"}
    assert {"run-old-running", "run-old-queued"} <= left  # never a run that is not final
    for run_id in gone:
        assert not (home / "runs" / run_id).exists()
        assert not (home / "streams" / f"{run_id}.stderr").exists()
    assert not (home / "streams" / "run-routine-old-a.stderr").exists()
    for run_id in left:
        assert (home / "runs" / run_id / "out" / "result.bin").exists()
    with database.session() as db:
        assert list(db.scalars(select(NotificationDelivery.run_id))) == []  # its attempts went with it


def test_keep_last_and_status(history: tuple[Database, Path]) -> None:
    database, home = history
    # the newest two finished runs of each job or routine stay, however old
    kept = retention.prune(database, home, retention.Criteria(keep_last=2), dry_run=True, at=NOW)
    assert {c.run_id for c in kept.runs} == {"run-old-failed", "run-old-ok", "run-old-timeout"}
    # only failed ones older than a week
    failed = retention.prune(database, home, retention.Criteria(older_than=7 * 86400, statuses=("failed",)),
                             at=NOW)
    assert {c.run_id for c in failed.runs} == {"run-old-failed", "run-routine-old"}
    assert "run-new-failed" in _ids(database) and "run-old-ok" in _ids(database)
    # both limits: older than a day and beyond the newest one of its job
    both = retention.prune(database, home, retention.Criteria(older_than=86400, keep_last=1), dry_run=True, at=NOW)
    assert {c.run_id for c in both.runs} == {"run-new-ok", "run-old-ok", "run-old-timeout"}


def test_a_routine_with_a_step_still_open_is_kept_whole(history: tuple[Database, Path]) -> None:
    database, home = history
    with database.session() as db:
        step = db.get(Run, "run-routine-old-b")
        assert step is not None
        step.status = "running"
    retention.prune(database, home, retention.Criteria(older_than=0), at=NOW)
    assert {"run-routine-old", "run-routine-old-a", "run-routine-old-b"} <= _ids(database)
    assert (home / "runs" / "run-routine-old").is_dir()


def test_a_symlink_in_a_run_folder_is_removed_not_followed(history: tuple[Database, Path], tmp_path: Path) -> None:
    database, home = history
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (home / "runs" / "run-old-ok" / "link").symlink_to(outside)
    retention.prune(database, home, retention.Criteria(older_than=30 * 86400), at=NOW)
    assert (outside / "keep.txt").read_text() == "keep"
    assert not (home / "runs" / "run-old-ok").exists()


@pytest.mark.parametrize(("criteria", "says"), [
    (retention.Criteria(), "--older-than DURATION"),
    (retention.Criteria(older_than=-1), "0s or more"),
    (retention.Criteria(older_than=float("nan")), "0s or more"),
    (retention.Criteria(keep_last=-1), "from 0 to"),
    (retention.Criteria(keep_last=10**9), "from 0 to"),
    (retention.Criteria(keep_last=1, statuses=("running",)), "never pruned"),
    (retention.Criteria(keep_last=1, statuses=("\x1b[2J",)), "is not a status"),
])
def test_bad_criteria_are_refused(criteria: retention.Criteria, says: str) -> None:
    with pytest.raises(InvalidInput, match=None) as refused:
        retention.check(criteria)
    assert says in refused.value.message


@pytest.mark.parametrize("text", ["30", "30 d", "-1d", "1e9d", "30d\x00", "", "99999999999d", "３０d"])
def test_bad_ages_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        retention.parse_age(text)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("OTO_RUN_RETENTION", "5x", "OTO_RUN_RETENTION must be a duration"),
    ("OTO_RUN_RETENTION", "30m", "from 1h"),
    ("OTO_RUN_RETENTION", "99999999d", "from 1h"),
    ("OTO_RUN_RETENTION", "30d\x1b[2J", "OTO_RUN_RETENTION"),
    ("OTO_PUBLIC_URL", "file:///etc", "OTO_PUBLIC_URL must be an http"),
    ("OTO_PUBLIC_URL", "https://oto.example.com/a b", "OTO_PUBLIC_URL"),
])
def test_bad_settings_stop_in_one_sentence(monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(InvalidInput) as refused:
        get_settings()
    assert says in refused.value.message and "\n" not in refused.value.message


@pytest.mark.parametrize(("value", "seconds"), [("", None), ("off", None), ("30d", 30 * 86400.0), ("12h", 43200.0)])
def test_retention_setting(monkeypatch: pytest.MonkeyPatch, value: str, seconds: float | None) -> None:
    monkeypatch.setenv("OTO_RUN_RETENTION", value)
    monkeypatch.setenv("OTO_PUBLIC_URL", "https://oto.example.com/")
    get_settings.cache_clear()
    assert get_settings().retention_seconds == seconds
    assert get_settings().public_url == "https://oto.example.com"
