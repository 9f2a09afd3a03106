"""Run records: immutable specs, transitions that never overwrite a final record, queries, root policy."""

from __future__ import annotations

import json
import multiprocessing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from oto.domain.models import Run
from oto.domain.runs import FINAL, JobSpec, RoutineSpec, RunSpec, RunStatus, SpecError
from oto.errors import InvalidInput, NotFound, Refused
from oto.services import jobs, runs, secrets
from oto.services.database import Database
from tests.support.catalog import genrsa_document, load


def _catalog(database: Database) -> None:
    document = genrsa_document()
    document["commands"].append({"name": "GenRSA-pass", "executable_tag": "openssl - 3.5.3",
                                 "parameters": ["genpkey", "-algorithm", "-pkeyopt", "-out", "-pass"]})
    document["jobs"].append({"name": "secret", "command": "GenRSA-pass", "values": {
        "genpkey": "", "-algorithm": "RSA", "-pkeyopt": "rsa_keygen_bits:2048", "-out": "k.pem", "-pass": "hunter2"}})
    document["routines"] = [{"name": "r", "steps": [
        {"id": "a", "job": "GenRSA-2048"}, {"id": "b", "job": "secret", "after": ["a"]},
        {"id": "c" * 150, "job": "GenRSA-2048", "after": ["a"]}]}]
    load(database, document)


def test_a_job_run_is_queued_with_an_immutable_spec(database: Database, oto_home: Path) -> None:
    _catalog(database)
    with database.session() as db:
        run = runs.create_job_run(db, "GenRSA-2048", trigger="api", timeout=30)
        run_id = run.id
    with database.session() as db:
        jobs.update(db, "GenRSA-2048", {"values": {"genpkey": "", "-algorithm": "RSA",
                                                   "-pkeyopt": "rsa_keygen_bits:4096", "-out": "key.pem"}})
    with database.session() as db:
        view = runs.get(db, run_id)
        pending = runs.load(db, run_id)
    assert view["status"] == "queued" and view["trigger"] == "api" and view["starts"] == 0
    assert pending.spec.argv == ("/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                 "rsa_keygen_bits:2048", "-out", "key.pem")  # the job's values at submission
    assert pending.spec.timeout == 30 and pending.spec.task_queue == "oto"
    assert pending.spec.workdir == f"runs/{run_id}"
    assert view["workdir"] == str(oto_home / "runs" / run_id)


def test_secret_values_are_sealed_in_the_spec_and_masked_in_the_record(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        run_id = runs.create_job_run(db, "secret").id
    with sqlite_database.session() as db:
        assert runs.get(db, run_id)["argv"][-1] == "***"
        spec = runs.load(db, run_id).spec
        assert spec.argv[-1] == "***" and "hunter2" not in json.dumps(spec.to_json())
        (slot,) = spec.secrets
        assert slot.index == len(spec.argv) - 1 and slot.flag == "-pass" and secrets.reveal(slot.value) == "hunter2"


def test_a_routine_run_has_one_record_per_step_and_its_plan(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        plan = runs.create_routine_run(db, "r")
    assert plan.step_ids == ["a", "b", "c" * 150] and plan.after == [[], [0], [0]]
    assert plan.queues == ["oto"] and plan.queue_of == [0, 0, 0]
    with sqlite_database.session() as db:
        run = runs.get(db, plan.run_id)
    assert [s["step"] for s in run["steps"]] == plan.step_ids
    assert all(len(s["run_id"]) <= 100 and s["parent_id"] == plan.run_id for s in run["steps"])
    assert run["steps"][0]["run_id"] == f"{plan.run_id}-a"
    assert {s["workdir"] for s in run["steps"]} == {run["workdir"]}


# Specs exactly as version 1 wrote them: records written before the typed contract must still load.
JOB_SPEC_V1: dict[str, Any] = {
    "version": 1, "job": "GenRSA-2048", "command": "GenRSA", "executable": "openssl - 3.5.3",
    "argv": ["/usr/bin/openssl", "genpkey", "-pass", "hunter2"], "display_argv": ["/usr/bin/openssl", "genpkey",
                                                                                "-pass", "***"],
    "requires_root": False, "workdir": "runs/run-1", "timeout": 3600, "kill_grace": 10.0, "task_queue": "oto",
    "env": {"OTO_RUN_ID": "run-1-a", "OTO_JOB": "GenRSA-2048", "OTO_ROUTINE_RUN_ID": "run-1"},
    "step": {"id": "a", "index": 0, "after": []},
}
ROUTINE_SPEC_V1: dict[str, Any] = {
    "version": 1, "routine": "r", "workdir": "runs/run-1", "task_queue": "oto",
    "steps": [{"id": "a", "job": "GenRSA-2048", "after": []}, {"id": "b", "job": "secret", "after": ["a"]}],
    "concurrency": 8, "timeout": None, "schedule": {"name": "nightly", "fire": "oto-schedule-nightly-1"},
}


@pytest.mark.parametrize("stored", [JOB_SPEC_V1, ROUTINE_SPEC_V1], ids=["job", "routine"])
def test_a_stored_spec_of_version_1_loads_and_is_written_back_the_same(stored: dict[str, Any]) -> None:
    spec = RunSpec.from_json(stored)
    assert spec.to_json() == stored
    assert isinstance(spec, JobSpec if "job" in stored else RoutineSpec)


def test_a_spec_this_version_cannot_read_is_refused_in_one_sentence() -> None:
    with pytest.raises(SpecError, match="version 3 is not one this OTO reads"):
        RunSpec.from_json({**JOB_SPEC_V1, "version": 3})
    with pytest.raises(SpecError, match="'argv' should be a list of strings"):
        RunSpec.from_json({**JOB_SPEC_V1, "argv": "/bin/true"})
    with pytest.raises(SpecError, match="a routine's spec where a job's was expected"):
        JobSpec.from_json(ROUTINE_SPEC_V1)


def test_the_records_specs_are_the_version_1_json(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        job = runs.create_job_run(db, "secret")
        plan = runs.create_routine_run(db, "r")
        routine, step = db.get(Run, plan.run_id), db.get(Run, runs.step_run_id(plan.run_id, "b"))
        assert routine is not None and step is not None
        # a job with a secret: version 2, its secret slots beside version 1's keys
        assert set(job.spec) == set(JOB_SPEC_V1) - {"step"} | {"secrets"} and job.spec["version"] == 2
        assert set(step.spec) == set(JOB_SPEC_V1) | {"secrets"}
        assert set(routine.spec) == set(ROUTINE_SPEC_V1) - {"schedule"}
        assert step.spec["step"] == {"id": "b", "index": 1, "after": ["a"]}
        assert step.spec["env"]["OTO_ROUTINE_RUN_ID"] == plan.run_id
        for run in (job, routine, step):
            assert RunSpec.from_json(run.spec).to_json() == run.spec


def test_statuses_have_one_final_set_and_explicit_transitions() -> None:
    assert runs.FINAL is FINAL and {s.value for s in FINAL} == {"succeeded", "failed", "timed_out", "cancelled",
                                                                   "skipped"}
    assert tuple(RunStatus) == runs.STATUSES and runs.SUCCEEDED == "succeeded" and "failed" in runs.FINAL
    assert RunStatus.QUEUED.may_become(RunStatus.RUNNING) and RunStatus.QUEUED.may_become(RunStatus.CANCELLED)
    assert RunStatus.RUNNING.may_become(RunStatus.RUNNING)  # another attempt, after a lost worker
    assert not RunStatus.RUNNING.may_become(RunStatus.QUEUED)
    assert not any(final.may_become(other) for final in FINAL for other in RunStatus)


def test_an_orphan_is_closed_with_its_open_steps_and_only_once(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        plan = runs.create_routine_run(db, "r")
        first = runs.step_run_id(plan.run_id, "a")
        runs.finish(db, runs.Outcome(first, RunStatus.SUCCEEDED, exit_code=0))
        assert runs.close_orphan(db, plan.run_id, RunStatus.CANCELLED, "cancelled; its workflow was not found")
        assert not runs.close_orphan(db, plan.run_id, RunStatus.FAILED, "again")
    with sqlite_database.session() as db:
        run = runs.get(db, plan.run_id)
    assert (run["status"], run["error"]) == ("cancelled", "cancelled; its workflow was not found")
    assert [s["status"] for s in run["steps"]] == ["succeeded", "cancelled", "cancelled"]
    with pytest.raises(ValueError, match="not a final status"), sqlite_database.session() as db:
        runs.close_orphan(db, plan.run_id, RunStatus.RUNNING, "no")


@pytest.mark.parametrize("step_id", ["a", "x" * 63, "x" * 64, "with space", "é", "a~b"])
def test_step_run_ids_fit_and_never_collide(step_id: str) -> None:
    parent = runs.new_run_id()
    made = runs.step_run_id(parent, step_id)
    assert len(made) <= 100 and made.startswith(parent + "-")
    assert made != runs.step_run_id(parent, step_id + "!")


def test_a_second_final_record_is_never_written(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        run_id = runs.create_job_run(db, "GenRSA-2048").id
    with database.session() as db:
        assert runs.start(db, run_id, worker="w1", argv=["x"], workdir="/tmp", at=runs.now())
        assert runs.finish(db, runs.Outcome(run_id, "succeeded", exit_code=0, stdout="first\x00"))
    with database.session() as db:
        assert not runs.finish(db, runs.Outcome(run_id, "failed", exit_code=1, stdout="second"))
        assert not runs.start(db, run_id, worker="w2", argv=["x"], workdir="/tmp", at=runs.now())
    with database.session() as db:
        view = runs.get(db, run_id)
    assert (view["status"], view["exit_code"], view["stdout"], view["worker"]) == ("succeeded", 0, "first\ufffd", "w1")


def test_a_step_start_written_twice_counts_one_attempt_and_a_new_start_counts_another(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        step = runs.step_run_id(runs.create_routine_run(db, "r").run_id, "a")
    first, second = runs.now(), runs.now() + timedelta(seconds=5)
    for at in (first, first, second):  # the same start again is a retried write; a later one a retried step
        with database.session() as db:
            runs.record_steps(db, [runs.Started(step, "w", ["a"], "/tmp/x", at)], [])
    with database.session() as db:
        assert runs.get(db, step)["starts"] == 2


def test_batched_step_records_start_and_finish_in_one_go(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        plan = runs.create_routine_run(db, "r")
        ids = [runs.step_run_id(plan.run_id, s) for s in plan.step_ids]
    at = runs.now()
    with database.session() as db:
        runs.record_steps(db, [runs.Started(ids[0], "w", ["a"], "/tmp/x", at)], [])
    with database.session() as db:
        runs.record_steps(db, [], [
            (runs.Outcome(ids[0], "succeeded", exit_code=0, started_at=at, finished_at=at + timedelta(seconds=1),
                          worker="w", argv=["a"], workdir="/tmp/x"), False),
            (runs.Outcome(ids[1], "failed", exit_code=2, started_at=at, finished_at=at, worker="w", argv=["b"],
                          workdir="/tmp/x", artifacts=[{"path": "k", "size": 1}]), True),
            (runs.Outcome(ids[2], "skipped", error="skipped"), False),
        ])
    with database.session() as db:
        steps = runs.get(db, plan.run_id)["steps"]
        status = runs.finish_routine(db, plan.run_id, cancelled=False, steps={}).status
    assert [(s["status"], s["starts"]) for s in steps] == [("succeeded", 1), ("failed", 1), ("skipped", 0)]
    assert steps[1]["artifacts"] == [{"path": "k", "size": 1}] and steps[2]["argv"] != [] and steps[0]["duration"] == 1
    assert status == "failed"


def test_listing_filters_and_pages(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        made = [runs.create_job_run(db, "GenRSA-2048", trigger="cli").id for _ in range(3)]
        made.append(runs.create_job_run(db, "secret", trigger="schedule:nightly").id)
        routine = runs.create_routine_run(db, "r").run_id
    with sqlite_database.session() as db:
        assert len(runs.list_runs(db)) == 5  # jobs and routines, not steps
        assert [r["run_id"] for r in runs.list_runs(db, job="secret")] == [made[3]]
        assert [r["run_id"] for r in runs.list_runs(db, trigger="schedule:nightly")] == [made[3]]
        assert [r["run_id"] for r in runs.list_runs(db, routine="r")] == [routine]
        assert len(runs.list_runs(db, kind="step")) == 3
        assert len(runs.list_runs(db, status="queued", limit=2)) == 2
        assert len(runs.list_runs(db, status="queued", limit=2, offset=4)) == 1
        assert "stdout" not in runs.list_runs(db)[0]
        for bad in ({"status": "done"}, {"kind": "task"}, {"limit": 0}, {"offset": -1}):
            with pytest.raises(InvalidInput):
                runs.list_runs(db, **bad)
        with pytest.raises(NotFound):
            runs.get(db, "run-nope")


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e12, runs.MAX_TIMEOUT + 1])
def test_a_timeout_must_be_a_positive_number(sqlite_database: Database, timeout: float) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db, pytest.raises(InvalidInput, match="the timeout must be a positive"):
        runs.create_job_run(db, "GenRSA-2048", timeout=timeout)
    with sqlite_database.session() as db, pytest.raises(InvalidInput, match="the timeout must be a positive"):
        runs.create_routine_run(db, "r", timeout=timeout)
    with sqlite_database.session() as db:
        assert runs.list_runs(db, kind="step") == [] and runs.list_runs(db) == []


def test_a_routine_run_keeps_its_timeout_in_its_spec(sqlite_database: Database) -> None:
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        timed = runs.create_routine_run(db, "r", timeout=90)
        untimed = runs.create_routine_run(db, "r")
    assert (timed.timeout, untimed.timeout) == (90, 0)  # 0: no limit
    with sqlite_database.session() as db:
        assert runs.get(db, timed.run_id)["timeout"] == 90 and runs.get(db, untimed.run_id)["timeout"] is None
        # the timeout is the routine's: each step keeps its job's own
        assert {s["timeout"] for s in runs.get(db, timed.run_id)["steps"]} == {3600}


def test_a_timed_out_routine_closes_its_steps_saying_why(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        plan = runs.create_routine_run(db, "r", timeout=2)
        ids = [runs.step_run_id(plan.run_id, s) for s in plan.step_ids]
        runs.start_routine(db, plan.run_id, worker="w", at=runs.now())
    why = "the routine ran past its timeout of 2s"
    with database.session() as db:  # what the segment's activity records when it is cancelled
        runs.record_steps(db, [], [(runs.Outcome(ids[0], "cancelled", started_at=runs.now(), error="cancelled"), True),
                                   (runs.Outcome(ids[1], "cancelled", error="cancelled before it started"), False)])
    with database.session() as db:
        end = runs.finish_routine(db, plan.run_id, cancelled=False, steps={s: "cancelled" for s in plan.step_ids},
                                  timed_out=why)
    assert (end.status, end.closed) == ("timed_out", True)
    with database.session() as db:
        run = runs.get(db, plan.run_id)
        assert (run["status"], run["error"]) == ("timed_out", why)
        assert [(s["status"], s["error"]) for s in run["steps"]] == [
            ("cancelled", f"cancelled: {why}"), ("cancelled", f"cancelled before it started: {why}"),
            ("cancelled", f"cancelled before it started: {why}")]
        # a retried closing call changes nothing
        again = runs.finish_routine(db, plan.run_id, cancelled=False, steps={}, timed_out=why)
        assert (again.status, again.closed) == ("timed_out", False)
        assert [s["error"] for s in runs.get(db, plan.run_id)["steps"]] == [s["error"] for s in run["steps"]]


def test_the_root_policy() -> None:
    argv = ["/usr/sbin/thing", "--flag"]
    assert runs.privileged_argv(argv, requires_root=False, job="j", is_root=False, allow_sudo=False) == argv
    assert runs.privileged_argv(argv, requires_root=True, job="j", is_root=True, allow_sudo=False) == argv
    assert runs.privileged_argv(argv, requires_root=True, job="j", is_root=False, allow_sudo=True) == [
        "sudo", "-n", "--", *argv]
    with pytest.raises(Refused, match="job 'j' needs root"):
        runs.privileged_argv(argv, requires_root=True, job="j", is_root=False, allow_sudo=False)


def _writer(url: str, run_ids: list[str], worker: str) -> None:
    database = Database(url)
    for run_id in run_ids:
        with database.session() as db:
            runs.start(db, run_id, worker=worker, argv=["x"], workdir="/tmp", at=runs.now())
        with database.session() as db:
            runs.finish(db, runs.Outcome(run_id, "succeeded", exit_code=0, worker=worker, stdout="x" * 1000))
    database.dispose()


def test_sqlite_takes_concurrent_writers_from_separate_processes(sqlite_database: Database) -> None:
    """The CLI, the API and workers share one SQLite file: WAL and a busy timeout make that safe."""
    _catalog(sqlite_database)
    with sqlite_database.session() as db:
        made = [runs.create_job_run(db, "GenRSA-2048").id for _ in range(200)]
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(sqlite_database.url, made[i::4], f"w{i}")) for i in range(4)]
    for writer in writers:
        writer.start()
    with sqlite_database.session() as db:  # and a reader meanwhile, as `oto run list` would be
        runs.list_runs(db, limit=1000)
    for writer in writers:
        writer.join(60)
    assert [w.exitcode for w in writers] == [0, 0, 0, 0]
    with sqlite_database.session() as db:
        done: list[dict[str, Any]] = runs.list_runs(db, status="succeeded", limit=1000)
    assert len(done) == 200 and all(r["starts"] == 1 for r in done)
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_run_is_found_by_a_unique_prefix_of_its_id(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        first = runs.create_job_run(db, "GenRSA-2048").id
        second = runs.create_job_run(db, "GenRSA-2048").id
        plan = runs.create_routine_run(db, "r")
    # make the two job runs share a known prefix, the way a user meets it: runs whose ids begin alike
    with database.session() as db:
        db.get(Run, first).id = "run-abcd1111"  # type: ignore[union-attr]
        db.get(Run, second).id = "run-abcd2222"  # type: ignore[union-attr]
    with database.session() as db:
        assert runs.resolve_id(db, "run-abcd1") == "run-abcd1111"
        assert runs.resolve_id(db, "abcd2") == "run-abcd2222"  # "run-" may be left out
        assert runs.resolve_id(db, plan.run_id) == plan.run_id  # an exact id, a step's too
        step = runs.list_runs(db, parent_id=plan.run_id)[0]["run_id"]
        assert runs.resolve_id(db, step) == step
        with pytest.raises(InvalidInput, match=r"run id 'run-abcd' is ambiguous: it starts run-abcd1111, "
                                               r"run-abcd2222; give more of it"):
            runs.resolve_id(db, "run-abcd")
        with pytest.raises(NotFound, match="needs at least 4 characters"):
            runs.resolve_id(db, "run-ab")
        with pytest.raises(NotFound, match=r"^no run 'run-abcd%'$"):
            runs.resolve_id(db, "run-abcd%")  # a wildcard is a character like any other
        # a routine run's prefix is the start of its steps' ids too: only the routine run is meant
        assert runs.resolve_id(db, plan.run_id[:12]) == plan.run_id
