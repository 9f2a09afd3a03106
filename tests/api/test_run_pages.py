"""``GET /api/v1/runs`` by cursor: pages to the end, the next cursor, totals, cursors no listing gave."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from oto.services import runs
from oto.services.database import Database
from tests.api.conftest import Keys, seed

URL = "/api/v1/runs"


def _submit(database: Database, n: int, trigger: str = "api:t") -> list[str]:
    with database.session() as db:
        return [runs.create_job_run(db, "GenRSA-2048", trigger=trigger).id for _ in range(n)]


def test_pages_by_cursor_list_every_run_once_as_runs_arrive(any_backend: tuple[TestClient, Keys],
                                                            database: Database) -> None:
    client, keys = any_backend
    seed(database)
    made = _submit(database, 11)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 4, "trigger": "api:t"}
    while True:
        page = client.get(URL, params=params, headers=keys["read"])
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == len(made) and body["total_exact"] is True and body["offset"] == 0
        seen += [r["run_id"] for r in body["items"]]
        if body["next_after"] is None:
            break
        params["after"] = body["next_after"]
        made += _submit(database, 1)  # newer than every page read so far: not on a later page
    assert len(seen) == len(set(seen)) == 11 and set(seen) <= set(made)
    last = client.get(URL, params={"limit": 11, "trigger": "api:t"}, headers=keys["read"]).json()
    assert last["next_after"] is not None and len(last["items"]) == 11  # three arrived meanwhile


@pytest.mark.parametrize("after", ["x", "<b>", "%00", "\u00e9t\u00e9", "A" * 501, "MXwyMDI2fHJ1bi0x"])
def test_a_cursor_no_listing_gave_is_a_422_problem(client: TestClient, reader: dict[str, str], after: str) -> None:
    refused = client.get(URL, params={"after": after}, headers=reader)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    detail = refused.json()["detail"]
    assert "after" in detail and len(detail) < 400 and "Traceback" not in detail


def test_a_cursor_and_an_offset_together_are_a_422(client: TestClient, reader: dict[str, str],
                                                   seeded: Database) -> None:
    _submit(seeded, 3)
    cursor = client.get(URL, params={"limit": 1}, headers=reader).json()["next_after"]
    refused = client.get(URL, params={"limit": 1, "after": cursor, "offset": 1}, headers=reader)
    assert refused.status_code == 422 and refused.json()["detail"] == "give a cursor (after) or an offset, not both"


def test_the_openapi_document_describes_cursor_and_totals(client: TestClient) -> None:
    spec = json.dumps(client.get("/openapi.json").json())
    assert "next_after" in spec and "total_exact" in spec and "keyset cursor" in spec
