"""Concurrency limits on the dashboard: the limit on executable and job pages, why a queued run waits."""

from __future__ import annotations

from urllib.parse import quote

from oto.services import documents, executables, jobs, runs
from oto.services.database import Database
from tests.dashboard.conftest import Browser
from tests.support import DATA

TAG = "openssl - 3.5.3"


def test_the_limit_and_why_a_run_waits_are_shown_escaped(admin: Browser, sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        documents.import_document(db, documents.loads((DATA / "openssl.json").read_text()))
        executables.update(db, TAG, {"max_concurrent": 2})
        jobs.update(db, "GenRSA-2048", {"max_concurrent": 1})
        run_id = runs.create_job_run(db, "GenRSA-2048").id
        runs.note_waiting(db, {run_id: "waiting for a slot of <b>job</b>: 1 of 1 taken by run-x"})
    exe = admin.client.get(f"/executables/{quote(TAG)}")
    assert exe.status_code == 200 and "at most 2 runs at once" in exe.text
    job = admin.client.get("/jobs/GenRSA-2048")
    assert job.status_code == 200 and "at most 1 run at once" in job.text
    page = admin.client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "waiting for a slot of &lt;b&gt;job&lt;/b&gt;: 1 of 1 taken by run-x" in page.text
    listed = admin.client.get("/runs")
    assert "waiting for a slot of &lt;b&gt;job&lt;/b&gt;" in listed.text
    with sqlite_database.session() as db:  # once it runs, the note is no longer shown
        runs.start(db, run_id, worker="w", argv=["x"], workdir="/tmp", at=runs.now())
    assert "waiting for a slot" not in admin.client.get(f"/runs/{run_id}").text
