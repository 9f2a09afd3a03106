"""``max_concurrent`` on executables and jobs: kept, exported and imported as is, refused when it makes no sense."""

from __future__ import annotations

from typing import Any

import pytest

from oto.domain.runs import JobSpec, Limit
from oto.errors import InvalidInput
from oto.services import documents, executables, jobs, runs
from oto.services.database import Database
from tests.services.test_catalog import refused
from tests.support.catalog import OPENSSL, TAG, genrsa_document, load, snapshot

WANTED = "max_concurrent must be a whole number from 1 to 1000, or null for no limit"


@pytest.fixture
def catalog(database: Database) -> Database:
    load(database, genrsa_document())
    return database


def test_a_limit_is_kept_changed_and_removed(catalog: Database) -> None:
    with catalog.session() as db:
        assert executables.get(db, TAG).max_concurrent is None
        assert executables.update(db, TAG, {"max_concurrent": 2}).max_concurrent == 2
        assert executables.update(db, TAG, {"description": "crypto"}).max_concurrent == 2  # other edits keep it
        assert executables.update(db, TAG, {"max_concurrent": None}).max_concurrent is None
        assert jobs.update(db, "GenRSA-2048", {"max_concurrent": 1}).max_concurrent == 1
        assert jobs.update(db, "GenRSA-2048", {"description": "x"}).max_concurrent == 1
        assert jobs.update(db, "GenRSA-2048", {"max_concurrent": None}).max_concurrent is None


def test_a_run_counts_against_its_executables_and_its_jobs_limits_in_key_order(catalog: Database) -> None:
    with catalog.session() as db:
        executables.update(db, TAG, {"max_concurrent": 3})
        jobs.update(db, "GenRSA-2048", {"max_concurrent": 1})
        run = runs.create_job_run(db, "GenRSA-2048")
        spec = JobSpec.from_json(run.spec)
        assert spec.limits == (Limit(f"executable:{TAG}", TAG, 3), Limit("job:GenRSA-2048", "job GenRSA-2048", 1))
        assert JobSpec.from_json(spec.to_json()) == spec


def test_a_spec_without_limits_is_written_as_before(catalog: Database) -> None:
    with catalog.session() as db:
        assert "limits" not in runs.create_job_run(db, "GenRSA-2048").spec


def test_limits_export_and_import_byte_identically_and_absent_ones_stay_absent(catalog: Database,
                                                                            sqlite_database: Database) -> None:
    plain = snapshot(catalog)
    assert "max_concurrent" not in plain  # an export without limits is what it always was
    with catalog.session() as db:
        executables.update(db, TAG, {"max_concurrent": 2})
        jobs.update(db, "GenRSA-2048", {"max_concurrent": 1})
    exported = snapshot(catalog)
    assert '"max_concurrent": 2' in exported and '"max_concurrent": 1' in exported
    if sqlite_database.url == catalog.url:
        return
    with sqlite_database.session() as db:
        documents.import_document(db, documents.loads(exported))
    assert snapshot(sqlite_database) == exported
    with sqlite_database.session() as db:  # importing again changes nothing
        report = documents.import_document(db, documents.loads(exported))
    assert snapshot(sqlite_database) == exported
    assert report.counts["executables"]["unchanged"] == 1 and report.counts["jobs"]["unchanged"] == 1


HOSTILE: list[tuple[Any, str]] = [
    (0, "0"), (-1, "-1"), (1001, "1001"), (10**40, "a number that large"), (True, "true or false"),
    (1.5, "float"), (2.0, "float"), ("5", "str"), ("x" * 1_000_000, "str"), ([1], "list"), ({"n": 1}, "dict"),
    ("<b>1</b>", "str"), ("\udcff", "str"),
]


@pytest.mark.parametrize(("value", "shown"), HOSTILE)
def test_a_bad_limit_is_refused_in_one_sentence_and_nothing_is_written(catalog: Database, value: Any,
                                                                         shown: str) -> None:
    message = f"{WANTED}, not {shown}"
    refused(catalog, lambda db: executables.add(db, OPENSSL | {"name": "other", "max_concurrent": value}),
            InvalidInput, f"executable: max_concurrent: {message}")
    refused(catalog, lambda db: executables.update(db, TAG, {"max_concurrent": value}),
            InvalidInput, f"executable: max_concurrent: {message}")
    refused(catalog, lambda db: jobs.update(db, "GenRSA-2048", {"max_concurrent": value}),
            InvalidInput, f"job: max_concurrent: {message}")
    document = genrsa_document()
    document["jobs"][0]["max_concurrent"] = value
    error = refused(catalog, lambda db: documents.import_document(db, document), InvalidInput,
                    f"jobs[0] ({document['jobs'][0]['name']}): max_concurrent: {message}")
    assert len(str(error)) < 300


def test_the_bounds_are_kept(catalog: Database) -> None:
    with catalog.session() as db:
        assert executables.update(db, TAG, {"max_concurrent": 1}).max_concurrent == 1
        assert executables.update(db, TAG, {"max_concurrent": 1000}).max_concurrent == 1000


def test_a_routine_plan_lists_its_limited_steps_once_per_limit_and_a_retried_fire_rebuilds_it(
        database: Database) -> None:
    from tests.support import DATA

    with database.session() as db:
        documents.import_document(db, documents.loads((DATA / "openssl.json").read_text()))
        executables.update(db, TAG, {"max_concurrent": 2})
        plan = runs.create_routine_run(db, "keypair-and-pub")
        assert plan.limits == [Limit(f"executable:{TAG}", TAG, 2)]
        assert [(s.index, s.limits) for s in plan.slots] == [(i, [0]) for i in range(len(plan.step_ids))]
        assert runs.plan_of(db, plan.run_id) == plan
