"""The dashboard's runs page pages by cursor: Older to the end, each run once; a garbled cursor is refused."""

from __future__ import annotations

import html
import re

from oto.services import runs
from oto.services.database import Database
from tests.dashboard.conftest import Browser
from tests.dashboard.test_pages import seed

PAGE_SIZE = 50


def test_the_runs_page_pages_by_cursor_to_the_last_run(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    with sqlite_database.session() as db:
        made = {runs.create_job_run(db, "GenRSA-2048", trigger="test").id for _ in range(PAGE_SIZE + 7)}
    first = admin.client.get("/runs?trigger=test").text
    assert f"{PAGE_SIZE + 7} runs, {PAGE_SIZE} shown: the newest." in first and ">Newest<" not in first
    older = html.unescape(re.search(r'<a href="(/runs\?[^"]*after=[^"]*)">Older</a>', first)[1])  # type: ignore[index]
    assert older.startswith("/runs?trigger=test&after=")
    second = admin.client.get(older).text
    assert "7 shown" in second and ">Older<" not in second and ">Newest<" in second
    shown = set(re.findall(r"/runs/(run-[0-9a-f-]+)\"", first)) | set(re.findall(r"/runs/(run-[0-9a-f-]+)\"", second))
    assert shown == made


def test_a_garbled_cursor_is_refused_in_one_sentence(admin: Browser) -> None:
    refused = admin.client.get("/runs?after=%3Cscript%3E")
    assert refused.status_code == 422 and "is not one a listing of runs gave" in refused.text
    assert "<script>" not in refused.text and "Traceback" not in refused.text
