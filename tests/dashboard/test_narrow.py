"""Every page of the dashboard on a phone: 390 CSS pixels wide, nothing wider than the screen.

A real Chromium (Debian's) loads each page over a catalog with runs, a routine and a schedule;
the page may scroll down but never sideways (wide tables and argv scroll inside their own box).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from oto.domain.runs import Retry
from oto.services import documents, notifications, runs, schedules
from oto.services.database import Database
from oto.web.server import create_app
from tests.dashboard.conftest import make_key, serving
from tests.dashboard.test_browser import CHROMIUM, launch

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 390
TAG = "openssl - 3.5.3"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not shutil.which("openssl"),
                                reason="needs Debian's chromium (make browser installs it) and openssl")


def catalog(database: Database) -> tuple[str, str]:
    """The openssl catalog, a finished, a retried and a failed run, and a schedule; returns two run ids."""
    with database.session() as db:
        documents.import_document(db, json.loads((ROOT / "data" / "openssl.json").read_text()))
        schedules.add(db, {"name": "nightly-key", "job": "GenRSA-2048", "cron": "0 3 * * *",
                           "timezone": "Europe/Paris"})
        run_id = runs.create_job_run(db, "GenRSA-2048", trigger="test").id
        runs.finish(db, runs.Outcome(run_id, runs.SUCCEEDED, exit_code=0, stdout="x" * 400,
                                     stderr="a long line without spaces " + "y" * 300))
        failed = runs.create_routine_run(db, "keypair-and-pub", trigger="test").run_id
        retried = runs.create_job_run(db, "GenRSA-2048", trigger="test").id
        for status in (runs.FAILED, runs.SUCCEEDED):  # two attempts, each with a long line of output
            runs.end_attempt(db, runs.Outcome(retried, status, exit_code=0, started_at=runs.now(),
                                              stdout="z" * 300, error="a reason without spaces " + "w" * 200),
                             Retry(2))
    return failed, retried


async def test_no_page_is_wider_than_a_phone(sqlite_database: Database) -> None:
    routine_run, retried_run = catalog(sqlite_database)
    with sqlite_database.session() as db:
        notifications.add(db, {"name": "phone-hook", "url": "https://hooks.example.com/services/T000/B000/" + "x" * 60,
                               "on": ["failed", "timed_out", "cancelled", "succeeded"], "job": "GenRSA-2048"})
        notifications.record_attempt(db, "phone-hook", routine_run, 1, http_status=None, ok=False,
                                     error="ConnectError: [Errno 111] Connection refused " + "y" * 80)
    key = make_key(sqlite_database, "admin", "phone")
    pages = ["/", "/executables", f"/executables/{TAG}", "/builder", f"/builder?tag={TAG}", "/commands",
             "/commands/GenRSA", "/jobs", "/jobs/GenRSA-2048", "/jobs/GenRSA-2048/edit", "/routines",
             "/routines/keypair-and-pub", "/routines/new", "/runs", f"/runs/{routine_run}", f"/runs/{retried_run}",
             "/schedules", "/notifications", "/notifications/phone-hook",
             "/catalog", "/catalog?q=archive", "/catalog/tar", "/catalog/git?sub=commit", "/import", "/login"]
    app = create_app(sqlite_database, temporal_probe=None)
    with serving(app) as base:
        async with async_playwright() as playwright_:
            browser = await launch(playwright_)
            context = await browser.new_context(viewport={"width": WIDTH, "height": 844}, base_url=base)
            page = await context.new_page()
            try:
                await page.goto("/login")
                await page.get_by_label("API key").fill(key)
                await page.get_by_role("button", name="Log in").click()
                await page.wait_for_url(f"{base}/")
                wide: dict[str, int] = {}
                for path in pages:
                    answer = await page.goto(path)
                    assert answer is not None and answer.status == 200, path
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    if width > WIDTH:
                        wide[path] = width
                assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
            finally:
                await context.close()
                await browser.close()
