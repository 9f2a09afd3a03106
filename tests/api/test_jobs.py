"""/api/v1/jobs: values checked by type, secrets masked, pages and filters."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from oto.api.models import Page
from oto.domain.documents import JobDoc
from oto.domain.models import Job
from oto.services import jobs, listings, secrets
from oto.services.database import Database
from tests.api.conftest import TAG, TAG_URL, Keys, seed

BASE = "/api/v1/jobs"
GENRSA = {"genpkey": "", "-algorithm": "RSA", "-pkeyopt": "rsa_keygen_bits:4096", "-out": "big.pem"}


def test_crud_on_both_backends(any_backend: tuple[TestClient, Keys], database: Database) -> None:
    client, keys = any_backend
    admin = keys["admin"]
    seed(database)
    created = client.post(BASE, json={"name": "GenRSA-4096", "command": "GenRSA", "values": GENRSA}, headers=admin)
    assert created.status_code == 201
    assert created.json() == {"name": "GenRSA-4096", "command": "GenRSA", "description": "", "values": GENRSA,
                              "retry": None, "max_concurrent": None, "inputs": {}}
    assert client.get(f"{BASE}/GenRSA-4096", headers=keys["read"]).json()["values"]["-out"] == "big.pem"
    listed = client.get(BASE, headers=keys["read"])
    with database.session() as db:
        page = listings.job_page(db)
    expected = Page[JobDoc](items=page.items, total=page.total, offset=page.offset, limit=page.limit)
    assert listed.content == expected.model_dump_json().encode()  # the JSON columns read as text, both backends
    changed = client.patch(f"{BASE}/GenRSA-4096", json={"values": GENRSA | {"-out": "b.pem"}}, headers=admin)
    assert changed.status_code == 200 and changed.json()["values"]["-out"] == "b.pem"
    argv = client.get(f"{BASE}/GenRSA-4096/argv", headers=keys["read"]).json()
    assert argv == ["/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096",
                    "-out", "b.pem"]
    assert client.delete(f"{BASE}/GenRSA-4096", headers=admin).status_code == 204
    assert client.get(f"{BASE}/GenRSA-4096", headers=admin).status_code == 404


def test_bad_values_are_422(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    unknown_flag = client.post(BASE, json={"name": "J", "command": "GenRSA", "values": {"-nope": "1"}}, headers=admin)
    assert unknown_flag.status_code == 422 and "-nope" in unknown_flag.json()["detail"]
    missing_value = client.post(BASE, json={"name": "J", "command": "GenRSA", "values": {"genpkey": ""}},
                                headers=admin)
    assert missing_value.status_code == 422 and "-algorithm" in missing_value.json()["detail"]
    nul = client.post(BASE, json={"name": "J", "command": "GenRSA", "values": GENRSA | {"-out": "a\u0000b"}},
                      headers=admin)
    assert nul.status_code == 422
    assert client.post(BASE, json={"name": "J", "command": "nope", "values": {}}, headers=admin).status_code == 404
    dup = client.post(BASE, json={"name": "GenRSA-2048", "command": "GenRSA", "values": GENRSA}, headers=admin)
    assert dup.status_code == 409


def test_a_slash_in_a_name_is_422_naming_the_field(client: TestClient, admin: dict[str, str],
                                                   seeded: Database) -> None:
    # GET /api/v1/jobs/keys%2Frsa would route as /jobs/keys/rsa: such a job could be made, never reached
    refused = client.post(BASE, json={"name": "keys/rsa", "command": "GenRSA", "values": GENRSA}, headers=admin)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    message = "a name cannot contain '/' (names go in URL paths, where '/' separates parts): 'keys/rsa'"
    assert refused.json()["detail"] == f"body.name: {message}"
    assert refused.json()["errors"] == [{"location": "body.name", "message": message}]
    assert client.get(BASE, headers=admin).json()["total"] == 5
    for kind, body in [("commands", {"name": "gen/rsa", "executable_tag": TAG, "parameters": ["genpkey"]}),
                       ("routines", {"name": "r/1", "steps": [{"id": "a", "job": "GenRSA-2048"}]}),
                       ("schedules", {"name": "s/1", "job": "GenRSA-2048", "cron": "0 3 * * *"}),
                       ("executables", {"name": "ls", "version": "1/2", "path": "/bin/ls"}),
                       ("apikeys", {"name": "ci/deploy"})]:
        answer = client.post(f"/api/v1/{kind}", json=body, headers=admin)
        assert answer.status_code == 422, (kind, answer.text)
        assert "cannot contain '/'" in answer.json()["detail"], kind


def test_secret_values_are_masked(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    params = f"/api/v1/executables/{TAG_URL}/parameters"
    client.post(params, json={"flag": "-pw", "value_type": "string", "secret": True}, headers=admin)
    client.post("/api/v1/commands", json={"name": "Enc", "executable_tag": TAG, "parameters": ["enc", "-pw"]},
                headers=admin)
    created = client.post(BASE, json={"name": "Enc1", "command": "Enc", "values": {"enc": "", "-pw": "hunter2"}},
                          headers=admin)
    assert created.json()["values"]["-pw"] == "***"
    assert "ps" in created.headers["Warning"] and "-pw" in created.headers["Warning"]  # it goes by argv
    assert client.get(f"{BASE}/Enc1", headers=admin).json()["values"]["-pw"] == "***"
    listed = client.get(f"{BASE}?command=Enc", headers=admin).json()["items"]
    assert listed[0]["values"]["-pw"] == "***"
    assert "hunter2" not in client.get(f"{BASE}/Enc1/argv", headers=admin).text
    assert "hunter2" not in client.get("/api/v1/export", headers=admin).text
    # Sending the mask back keeps the stored secret.
    client.patch(f"{BASE}/Enc1", json={"values": {"enc": "", "-pw": "***"}, "description": "d"}, headers=admin)
    with seeded.session() as db:
        assert secrets.unseal(db.scalars(select(Job).where(Job.name == "Enc1")).one().values["-pw"]) == "hunter2"
    # A secret that goes by env: no warning.
    client.patch(f"{params}/-pw", json={"delivery": "env", "template": "env:{env}"}, headers=admin)
    changed = client.patch(f"{BASE}/Enc1", json={"description": "e"}, headers=admin)
    assert changed.status_code == 200 and "Warning" not in changed.headers


def test_the_listing_is_the_jobs_documents_byte_for_byte(
    client: TestClient, admin: dict[str, str], seeded: Database
) -> None:
    """The listing builds its JSON without a model per job: exactly what the documents would give."""
    params = f"/api/v1/executables/{TAG_URL}/parameters"
    client.post(params, json={"flag": "-pw", "value_type": "string", "secret": True}, headers=admin)
    client.post("/api/v1/commands", json={"name": "Enc", "executable_tag": TAG, "parameters": ["enc", "-pw"]},
                headers=admin)
    with seeded.session() as db:
        jobs.add(db, {"name": "Enc1", "command": "Enc", "values": {"enc": "", "-pw": "hunter2"}})
        jobs.add(db, {"name": "Enc2", "command": "Enc", "values": {"enc": ""}, "inputs": {"-pw": "é\u263a"},
                      "retry": {"attempts": 3, "delay": "2s", "backoff": 2, "on": ["timed_out", "failed"]},
                      "max_concurrent": 2, "description": "ünïcode ☺"})
    for query, command in (("?limit=1000", None), ("?command=Enc", "Enc"), ("?offset=2&limit=3", None)):
        listed = client.get(f"{BASE}{query}", headers=admin)
        assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
        with seeded.session() as db:
            window = listed.json()
            page = listings.job_page(db, command=command, offset=window["offset"], limit=window["limit"])
        expected = Page[JobDoc](items=page.items, total=page.total, offset=page.offset, limit=page.limit)
        assert listed.content == expected.model_dump_json().encode()
    assert "hunter2" not in client.get(f"{BASE}?command=Enc", headers=admin).text
    for item in client.get(f"{BASE}?command=Enc", headers=admin).json()["items"]:
        assert list(item) == list(JobDoc.model_fields)


def test_pages_and_filters(client: TestClient, reader: dict[str, str], seeded: Database) -> None:
    with seeded.session() as db:
        for i in range(25):
            jobs.add(db, {"name": f"k{i:02}", "command": "GenRSA", "values": GENRSA})
    page = client.get(f"{BASE}?offset=20&limit=10", headers=reader).json()
    assert page["total"] == 30 and len(page["items"]) == 10
    assert [j["name"] for j in page["items"]][:3] == ["k15", "k16", "k17"]
    by_command = client.get(f"{BASE}?command=ExtractPub", headers=reader).json()
    assert [j["name"] for j in by_command["items"]] == ["ExtractPub-key"]
    assert client.get(f"{BASE}?command=nope", headers=reader).status_code == 404
    assert client.get(f"{BASE}?offset=-1", headers=reader).status_code == 422


def test_delete_in_use(client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    used = client.delete(f"{BASE}/GenRSA-2048", headers=admin)
    assert used.status_code == 409 and used.json()["used_by"] == [{"kind": "routine", "name": "keypair-and-pub"}]
    assert client.delete(f"{BASE}/GenRSA-2048?cascade=true", headers=admin).status_code == 204
    assert client.get("/api/v1/routines", headers=admin).json()["total"] == 1  # encrypted-key stays


def test_of_fifty_parallel_deletes_of_one_job_one_answers_204_and_the_others_404(
        client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def delete(_: int) -> int:
        return client.delete(f"{BASE}/GenRSA-2048?cascade=true", headers=admin).status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(delete, range(50)))
    # One delete wins; the others are told it is gone (on SQLite too, where the winner's commit must
    # not queue for a pool thread behind the writers waiting for its lock).
    assert answers.count(204) == 1 and answers.count(404) == 49, answers


def test_changes_racing_a_delete_answer_200_or_404_never_500(
        client: TestClient, admin: dict[str, str], seeded: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    job = client.get(f"{BASE}/ExtractPub-key", headers=admin).json()
    for round_ in range(10):
        if round_:
            assert client.post(BASE, headers=admin, json={k: job[k] for k in ("name", "command", "values")}
                               ).status_code == 201

        def act(i: int, n: int = round_) -> int:
            if i == 0:
                return client.delete(f"{BASE}/ExtractPub-key?cascade=true", headers=admin).status_code
            return client.patch(f"{BASE}/ExtractPub-key", headers=admin,
                                json={"description": f"round {n}.{i}"}).status_code

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(act, range(4)))
        assert answers[0] == 204 and set(answers[1:]) <= {200, 404}, answers
