"""``DELETE /api/v1/runs``: what ``oto run prune`` does, for an admin key, with the same refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from oto.domain.models import Run
from oto.services import runs
from oto.services.database import Database
from oto.settings import get_settings
from tests.api.conftest import Keys, seed


def _runs(database: Database) -> tuple[str, str]:
    """A run that succeeded 40 days ago, and one running since then."""
    seed(database)
    ended = datetime.now(UTC) - timedelta(days=40)
    made = []
    with database.session() as db:
        for status in ("succeeded", "running"):
            record = db.get(Run, runs.create_job_run(db, "GenRSA-2048", trigger="test").id)
            assert record is not None
            record.status, record.created_at, record.started_at = status, ended, ended
            record.finished_at = ended if status == "succeeded" else None
            Path(record.workdir).mkdir(parents=True)
            made.append(record.id)
    return made[0], made[1]


def test_an_admin_prunes_final_runs_and_never_a_running_one(
        client: TestClient, keys: Keys, sqlite_database: Database) -> None:
    ok, running = _runs(sqlite_database)
    url = "/api/v1/runs"
    assert client.delete(url, params={"older_than": "30d"}, headers=keys["run"]).status_code == 403
    dry = client.delete(url, params={"older_than": "30d", "dry_run": True}, headers=keys["admin"])
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True and dry.json()["count"] == 1
    assert client.get(f"/api/v1/runs/{ok}", headers=keys["read"]).status_code == 200
    done = client.delete(url, params={"older_than": "30d", "status": ["succeeded"]}, headers=keys["admin"])
    assert done.status_code == 200 and [r["run_id"] for r in done.json()["runs"]] == [ok]
    assert client.get(f"/api/v1/runs/{ok}", headers=keys["read"]).status_code == 404
    assert client.get(f"/api/v1/runs/{running}", headers=keys["read"]).status_code == 200
    assert not (get_settings().home / "runs" / ok).exists()


def test_refusals_name_what_is_wrong_and_remove_nothing(
        client: TestClient, keys: Keys, sqlite_database: Database) -> None:
    ok, _ = _runs(sqlite_database)
    for body, words in (({}, "--older-than"), ({"older_than": "soon"}, "older-than"),
                        ({"older_than": "999999d"}, "100 years"), ({"keep_last": -1}, "keep_last"),
                        ({"older_than": "1d", "status": ["running"]}, "running"),
                        ({"older_than": "1d", "whatever": 1}, "whatever")):
        refused = client.delete("/api/v1/runs", params=body, headers=keys["admin"])
        assert refused.status_code == 422, (body, refused.text)
        assert words in refused.text, (body, refused.text)
    assert client.get(f"/api/v1/runs/{ok}", headers=keys["read"]).status_code == 200
