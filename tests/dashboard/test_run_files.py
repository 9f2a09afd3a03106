"""A run's files through the API and the dashboard: names that are not UTF-8, more files than a list holds."""

from __future__ import annotations

import httpx

from oto.domain.models import Run
from oto.engine.devserver import DevServer
from tests.dashboard.conftest import make_key
from tests.dashboard.test_runs import logged_in
from tests.support.engine import Engine

LATIN1_NAME = b"bad-\xff\xfe.bin"


async def _api_run(client: httpx.AsyncClient, key: str, run_id: str) -> httpx.Response:
    return await client.get(f"/api/v1/runs/{run_id}", headers={"Authorization": f"Bearer {key}"})


async def test_a_file_name_that_is_not_utf8_is_shown_escaped_and_downloads(engine: Engine, temporal: DevServer) -> None:
    engine.python("latin1", f"open({LATIN1_NAME!r}, 'wb').write(b'latin'); open('plain.txt', 'w').write('ok')",
                  "x")
    run = await engine.run_job("latin1")
    assert run["status"] == "succeeded"
    key = make_key(engine.database, "read", "reader")
    async with logged_in(engine, temporal, scope="read") as (client, _):
        answer = await _api_run(client, key, run["run_id"])
        assert answer.status_code == 200, answer.text
        listed = {a["path"]: a for a in answer.json()["artifacts"]}
        assert set(listed) == {"bad-\\xff\\xfe.bin", "plain.txt"}
        assert listed["bad-\\xff\\xfe.bin"]["raw"] == "bad-%FF%FE.bin" and "raw" not in listed["plain.txt"]

        page = await client.get(f"/runs/{run['run_id']}")
        assert page.status_code == 200 and "bad-\\xff\\xfe.bin" in page.text
        download = await client.get(f"/runs/{run['run_id']}/artifacts/bad-%5Cxff%5Cxfe.bin")
        assert download.status_code == 200 and download.content == b"latin"
        assert (await client.get(f"/runs/{run['run_id']}/artifacts/plain.txt")).content == b"ok"


async def test_a_record_written_with_an_undecodable_name_still_reads(engine: Engine, temporal: DevServer) -> None:
    """A record an older worker wrote (the raw name, surrogates and all) reads and renders too."""
    engine.python("old", "pass", "x")
    run = await engine.run_job("old")
    with engine.database.session() as db:
        record = db.get(Run, run["run_id"])
        assert record is not None
        record.artifacts = [{"path": LATIN1_NAME.decode("utf-8", "surrogateescape"), "size": 5}]
    key = make_key(engine.database, "read", "reader")
    async with logged_in(engine, temporal, scope="read") as (client, _):
        answer = await _api_run(client, key, run["run_id"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["artifacts"] == [{"path": "bad-\\xff\\xfe.bin", "size": 5, "raw": "bad-%FF%FE.bin"}]
        assert (await client.get(f"/runs/{run['run_id']}")).status_code == 200


async def test_a_cut_artifact_list_says_so_and_every_file_still_downloads(engine: Engine, temporal: DevServer) -> None:
    engine.python("many", "[open(f'f{i:05}.txt', 'w').write(str(i)) for i in range(1205)]", "x")
    run = await engine.run_job("many")
    assert run["status"] == "succeeded"
    assert (len(run["artifacts"]), run["artifacts_total"], run["artifacts_cut"]) == (1000, 1205, True)
    async with logged_in(engine, temporal, scope="read") as (client, _):
        page = await client.get(f"/runs/{run['run_id']}")
        assert page.status_code == 200 and "The run made 1,205 files; the first 1,000 are listed" in page.text
        unlisted = await client.get(f"/runs/{run['run_id']}/artifacts/f01204.txt")
        assert unlisted.status_code == 200 and unlisted.content == b"1204"
        for outside in ("..%2F..%2Foto.db", "%2Fetc%2Fpasswd", "missing.txt"):
            assert (await client.get(f"/runs/{run['run_id']}/artifacts/{outside}")).status_code == 404

    engine.python("few", "open('one.txt', 'w').write('1')", "x")
    few = await engine.run_job("few")
    assert (few["artifacts_total"], few["artifacts_cut"]) == (1, False)
    async with logged_in(engine, temporal, scope="read", name="second") as (client, _):
        # a list that is whole serves only what it lists
        (engine.home / "runs" / few["run_id"] / "later.txt").write_text("not the run's")
        assert (await client.get(f"/runs/{few['run_id']}/artifacts/later.txt")).status_code == 404
