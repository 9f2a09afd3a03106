"""Writers racing on one item: each is told the truth (404 or 409), never a database error, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session

from oto.errors import InUse, NotFound
from oto.services import commands, jobs, schedules
from oto.services.database import Database
from tests.support.catalog import genrsa_document, load

JOB = genrsa_document()["jobs"][0]


def race(database: Database, *actions: Callable[[Session], Any]) -> list[str]:
    """Run each action in its own unit of work, all released at once; what each came to."""
    start = threading.Barrier(len(actions))

    def run(action: Callable[[Session], Any]) -> str:
        start.wait()
        try:
            with database.session() as db:
                action(db)
        except (NotFound, InUse) as error:
            return type(error).__name__
        return "ok"

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def test_of_fifty_deletes_of_one_job_exactly_one_deletes_it(database: Database) -> None:
    load(database, genrsa_document())
    outcomes = race(database, *[lambda db: jobs.delete(db, JOB["name"])] * 50)
    assert outcomes.count("ok") == 1 and outcomes.count("NotFound") == 49


def test_a_change_racing_a_delete_is_done_or_not_found(database: Database) -> None:
    load(database, genrsa_document())
    for round_ in range(10):
        with database.session() as db:
            jobs.save(db, jobs.parse(JOB), "job", replace=True)
            schedules.add(db, {"name": "nightly", "job": JOB["name"], "cron": "0 3 * * *"})
        outcomes = race(
            database,
            lambda db, n=round_: jobs.update(db, JOB["name"], {"description": f"round {n}"}),
            lambda db: schedules.update(db, "nightly", {"cron": "0 4 * * *"}),
            lambda db: jobs.delete(db, JOB["name"], cascade=True),
        )
        assert outcomes[2] == "ok" and set(outcomes[:2]) <= {"ok", "NotFound"}, outcomes


def test_a_create_racing_a_cascading_delete_is_told_the_truth(database: Database) -> None:
    load(database, genrsa_document())
    for round_ in range(10):
        load(database, genrsa_document())
        outcomes = race(
            database,
            lambda db, n=round_: jobs.add(db, JOB | {"name": f"new-{n}"}),
            lambda db: commands.delete(db, "GenRSA", cascade=True),
        )
        assert set(outcomes) <= {"ok", "NotFound", "InUse"}, outcomes
