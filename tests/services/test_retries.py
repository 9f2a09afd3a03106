"""Retry policies in documents (jobs and routine steps): strict checks, what a run freezes, byte-identical
round trips; and what a rerun repeats."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oto.domain.runs import JobSpec, Retry
from oto.errors import InvalidInput
from oto.services import jobs, runs
from oto.services.database import Database
from tests.support.catalog import genrsa_document, load, snapshot

POLICY = {"attempts": 3, "delay": "10s", "backoff": 2.0, "max_delay": "5m", "on": ["failed", "timed_out"]}


def with_retry(retry: Any, *, step: Any = None) -> dict[str, Any]:
    document = genrsa_document()
    document["jobs"][0]["retry"] = retry
    document["routines"] = [{"name": "R", "steps": [{"id": "a", "job": "GenRSA-2048"}]}]
    if step is not None:
        document["routines"][0]["steps"][0]["retry"] = step
    return document


def test_a_policy_round_trips_byte_identical_on_jobs_and_steps(database: Database, sqlite_database: Database) -> None:
    load(database, with_retry(POLICY, step={"attempts": 2, "delay": "500ms", "on": ["timed_out"]}))
    first = snapshot(database)
    exported = json.loads(first)
    assert exported["jobs"][0]["retry"] == POLICY
    assert exported["routines"][0]["steps"][0]["retry"] == {
        "attempts": 2, "delay": "500ms", "backoff": 1.0, "max_delay": None, "on": ["timed_out"]}
    load(sqlite_database, exported)
    assert snapshot(sqlite_database) == first
    load(sqlite_database, json.loads(first))  # again: nothing changes
    assert snapshot(sqlite_database) == first


def test_a_job_without_a_policy_exports_as_before(sqlite_database: Database) -> None:
    load(sqlite_database, genrsa_document())
    exported = json.loads(snapshot(sqlite_database))
    assert "retry" not in exported["jobs"][0]


@pytest.mark.parametrize(("retry", "words"), [
    ({"attempts": 0}, "greater than or equal to 1"),
    ({"attempts": -3}, "greater than or equal to 1"),
    ({"attempts": 101}, "less than or equal to 100"),
    ({"attempts": 10**40}, "less than or equal to 100"),
    ({"attempts": "3"}, "valid integer"),
    ({"attempts": 2.5}, "valid integer"),
    ({"attempts": True}, "valid integer"),
    ({}, "attempts: is missing"),
    ({"attempts": 2, "delay": "-1s"}, "is not a duration"),
    ({"attempts": 2, "delay": "10"}, "is not a duration"),
    ({"attempts": 2, "delay": "1e9s"}, "is not a duration"),
    ({"attempts": 2, "delay": "2d"}, "at most a day"),
    ({"attempts": 2, "delay": "9" * 400 + "s"}, "at most 50 characters"),
    ({"attempts": 2, "delay": "1s\n"}, "is not a duration"),
    ({"attempts": 2, "max_delay": "forever"}, "is not a duration"),
    ({"attempts": 2, "backoff": 0.5}, "greater than or equal to 1"),
    ({"attempts": 2, "backoff": 11}, "less than or equal to 10"),
    ({"attempts": 2, "backoff": float("nan")}, "finite number"),
    ({"attempts": 2, "backoff": "2"}, "valid number"),
    ({"attempts": 2, "on": []}, "at least one status"),
    ({"attempts": 2, "on": ["cancelled"]}, "'cancelled' is not a status a retry may follow"),
    ({"attempts": 2, "on": ["succeeded"]}, "is not a status a retry may follow"),
    ({"attempts": 2, "on": ["<script>alert(1)</script>"]}, "is not a status a retry may follow"),
    ({"attempts": 2, "on": ["failed", "failed"]}, "names a status twice"),
    ({"attempts": 2, "on": "failed"}, "valid list"),
    ({"attempts": 2, "tries": 3}, "is not a known field"),
    ("3 times", "valid dictionary"),
])
def test_a_bad_policy_is_refused_in_one_sentence_and_nothing_is_written(
        sqlite_database: Database, retry: Any, words: str) -> None:
    load(sqlite_database, genrsa_document())
    before = snapshot(sqlite_database)
    for document in (with_retry(retry), with_retry(None, step=retry)):
        with pytest.raises(InvalidInput, match=words) as raised:
            load(sqlite_database, document)
        assert "\n" not in str(raised.value) and len(str(raised.value)) < 400
        assert snapshot(sqlite_database) == before


def test_a_run_freezes_the_policy_and_a_step_policy_overrides_its_jobs(sqlite_database: Database) -> None:
    load(sqlite_database, with_retry(POLICY, step={"attempts": 4, "delay": "1s"}))
    with sqlite_database.session() as db:
        run = runs.create_job_run(db, "GenRSA-2048")
        assert JobSpec.from_json(run.spec).retry == Retry(3, 10.0, 2.0, 300.0, ("failed", "timed_out"))
        plan = runs.create_routine_run(db, "R")
        step = runs.load_steps(db, plan.run_id)[0]
        assert step.spec.retry == Retry(4, 1.0, 1.0, 0.0, ("failed", "timed_out"))
        assert plan.retried == [0]
        jobs.update(db, "GenRSA-2048", {"retry": None})
        assert jobs.resolve(db, "GenRSA-2048").retry is None
        assert runs.load(db, run.id).spec.retry is not None  # frozen at submission


def test_waits_grow_by_the_backoff_up_to_the_cap() -> None:
    retry = Retry(5, 10.0, 2.0, 35.0)
    assert [retry.wait_after(n) for n in (1, 2, 3, 4)] == [10.0, 20.0, 35.0, 35.0]
    assert retry.again(4, "failed") and not retry.again(5, "failed") and not retry.again(1, "cancelled")


def test_an_attempt_written_twice_counts_once(sqlite_database: Database) -> None:
    load(sqlite_database, with_retry({"attempts": 3}))
    with sqlite_database.session() as db:
        run_id = runs.create_job_run(db, "GenRSA-2048").id
    outcome = runs.Outcome(run_id, runs.FAILED, exit_code=1, started_at=runs.now(), finished_at=runs.now())
    retry = Retry(3)
    with sqlite_database.session() as db:
        first = runs.end_attempt(db, outcome, retry)
    with sqlite_database.session() as db:  # the same write again, as after a lost answer
        again = runs.end_attempt(db, outcome, retry)
        assert first == again and first.again == 0.0
        assert [a["attempt"] for a in runs.get(db, run_id)["attempts"]] == [1]
