"""The dashboard's notifications: listed, added through a form (refusals shown), attempts shown, deleted."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from oto.services import notifications
from oto.services.database import Database
from tests.dashboard.conftest import Browser, make_key
from tests.dashboard.test_pages import problem, seed


def test_a_notification_is_added_shown_and_deleted(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    made = admin.post("/notifications", data={
        "name": "ops", "url": "https://hooks.example.com/x", "target": "job:GenRSA-2048", "secret": "s3cret-value",
        "description": "<script>alert(1)</script>", "on-failed": "1", "on-succeeded": "1"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/notifications/ops"
    with sqlite_database.session() as db:
        notifications.record_attempt(db, "ops", "run-abc", 1, http_status=503, error="HTTP 503: busy", ok=False)
        notifications.record_attempt(db, "ops", "run-abc", 2, http_status=200, error="", ok=True)
    page = admin.client.get("/notifications/ops").text
    assert "job GenRSA-2048" in page and "failed, succeeded" in page and "HTTP 503" in page
    assert 'href="/runs/run-abc"' in page and "yes (X-OTO-Signature)" in page
    assert "s3cret-value" not in page and "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script>") in page
    listing = admin.client.get("/notifications").text
    assert 'id="ops"' in listing and "HTTP 200" in listing
    assert admin.post("/notifications/ops/delete", follow_redirects=False).status_code == 303
    assert 'id="ops"' not in admin.client.get("/notifications").text


def test_a_bad_notification_is_refused_on_the_form(admin: Browser, sqlite_database: Database) -> None:
    bad = admin.post("/notifications", data={"name": "x", "url": "file:///etc/shadow", "target": "",
                                             "secret": "never-shown", "description": "", "on-failed": "1"})
    assert bad.status_code == 422 and "http:// or https://" in problem(bad.text)
    assert "never-shown" not in bad.text
    none = admin.post("/notifications", data={"name": "x", "url": "https://ok.example", "target": "",
                                              "secret": "", "description": ""})
    assert none.status_code == 422 and "at least one status" in problem(none.text)
    assert 'id="x"' not in admin.client.get("/notifications").text


def test_a_reader_sees_notifications_but_cannot_add_one(client: TestClient, sqlite_database: Database) -> None:
    reader = Browser(client, make_key(sqlite_database, "read"))
    assert "New notification" not in reader.client.get("/notifications").text
    refused = reader.post("/notifications", data={"name": "x", "url": "https://ok.example", "target": "",
                                                  "secret": "", "description": "", "on-failed": "1"})
    assert refused.status_code == 403
